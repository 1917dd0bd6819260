"""Helpers for checks: each failure is a Failure (grader/grade.py), "expected X, got Y" plus one help line."""

import pytest

from grader import protocol
from grader.grade import Failure
from grader.i18n import _


class CheckFailed(pytest.fail.Exception):
    """A check's failure, as pytest fails a test, carrying the Failure for the Grade."""

    def __init__(self, failure):
        super().__init__(failure.text(), pytrace=False)
        self.failure = failure


def fail(expected, got, help):
    """Fail the current check: it expected `expected` and got `got`; `help` says what to do."""
    __tracebackhide__ = True
    raise CheckFailed(Failure(expected=str(expected), got=str(got), help=help))


def facts(run):
    """The facts of a step whose code returned; fails the check with the reason when it did not."""
    __tracebackhide__ = True
    problem = run.problem()
    if problem:
        raise CheckFailed(problem)
    return run.facts


def returned_array(run):
    """The array the student's function returned; fails the check when it returned something else."""
    __tracebackhide__ = True
    returned = facts(run)["returned"]
    output = run.array(protocol.OUTPUT)
    if output is None:
        fail(_("an array"), returned, _("end the function with `return` and the result."))
    return output


def shape(array):
    """A shape as a student writes it: (1000, 784)."""
    return str(tuple(array.shape))


def input_untouched(run, given, help):
    """Fail unless the student's function left the array it was given as it was."""
    __tracebackhide__ = True
    returned_array(run)
    after = run.array(protocol.INPUT_AFTER)
    if after is None or after.shape != given.shape or after.dtype != given.dtype or not (after == given).all():
        fail(
            _("the input to stay {shape} {dtype} and unchanged", shape=shape(given), dtype=given.dtype),
            _("it changed"),
            help,
        )
