"""Where pytest finds the grader's plugin when it runs `pytest grader/checks --submission PATH`
(grader/checks/plugin.py)."""

from grader.checks.plugin import *  # noqa: F403
