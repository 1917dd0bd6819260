"""Helpers for checks: each failure reads "expected X, got Y" plus one help line."""

import pytest

from grader.i18n import _


def fail(expected, got, help):
    """Fail the current check with the message a student reads."""
    __tracebackhide__ = True
    pytest.fail(_("expected {expected}, got {got}", expected=expected, got=got) + "\n" + _("Help: {help}", help=help),
                pytrace=False)


def facts(run):
    """The facts of a step whose code returned; fails the check with the reason when it did not."""
    __tracebackhide__ = True
    problem = run.problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    return run.facts


def returned_array(run):
    """The array the student's function returned; fails the check when it returned something else."""
    __tracebackhide__ = True
    returned = facts(run)["returned"]
    output = run.array("output")
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
    after = run.array("input_after")
    if after is None or after.shape != given.shape or after.dtype != given.dtype or not (after == given).all():
        fail(_("the input to stay {shape} {dtype} and unchanged", shape=shape(given), dtype=given.dtype), _("it changed"), help)
