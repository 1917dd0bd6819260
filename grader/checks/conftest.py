"""Where pytest finds the grader's plugin when it runs the checks (grader/engine/plugin.py), and the one fixture
that is the checks' own."""

import pytest

from grader.checks import expect
from grader.engine.plugin import *  # noqa: F403


@pytest.fixture
def answers(run, sample, program_inputs):
    """answers(): what the data step returned for the sample and for each of the program's inputs (expect.Answer);
    called in the check, so that a failure is the check's."""
    return lambda: expect.answers(run, sample, program_inputs)
