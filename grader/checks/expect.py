"""Helpers for checks: each failure is a Failure (grader/results/grade.py), "expected X, got Y" plus one help line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from _pytest.outcomes import Failed  # pytest.fail.Exception, by a name a type checker knows.

from grader.course.i18n import _
from grader.engine.problems import failure_of, given_text
from grader.results.grade import Failure
from grader.workers import protocol

if TYPE_CHECKING:
    from grader.workers.handle import Run


class CheckFailed(Failed):
    """A check's failure, as pytest fails a test, carrying the Failure for the Grade."""

    def __init__(self, failure):
        super().__init__(failure.text(), pytrace=False)
        self.failure = failure


def fail(expected: object, got: object, help: str) -> NoReturn:
    """Fail the current check: it expected `expected` and got `got`; `help` says what to do."""
    __tracebackhide__ = True
    raise CheckFailed(Failure(expected=str(expected), got=str(got), help=help))


def facts(run: Run) -> dict[str, Any]:
    """The facts of a step whose code returned, leaving Keras's global settings as they were; fails the check with
    the reason when it did not."""
    __tracebackhide__ = True
    problem = failure_of(run)
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


def shown(found: tuple[int, ...] | None) -> str:
    """A shape (a tuple) as a student writes it, or that there was no array (None)."""
    return _("no array") if found is None else str(tuple(found))


def input_untouched(run: Run, given: np.ndarray, help: str) -> None:
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


@dataclass
class Answer:
    """What an array step's function returned for one input: the sample (all of it), or one of the program's
    inputs (protocol.SIZES: the rows protocol.kept_rows of it, and of what it returned)."""

    size: str  # "sample", "train", "test" or "one".
    count: int  # How many images or labels the function was given.
    given: np.ndarray  # What it was given (those rows).
    shape: tuple | None  # The shape of what it returned; None when that was no array.
    dtype: np.dtype | None
    output: np.ndarray | None  # What it returned (those rows).
    rows: np.ndarray  # Which rows of the input `given` and `output` are.

    def got(self, text, step):
        """`text`, what the check got, with the input it got it for when that was not the sample."""
        if self.size == "sample":
            return str(text)
        return _("{got}, given {given}", got=text, given=given_text(self.size, self.count, step))


def answers(run: Run, sample: tuple[np.ndarray, np.ndarray],
            program_inputs: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[Answer]:
    """What the step's function returned for the sample, then for each of the program's inputs, as Answers;
    fails the check when it returned no array for the sample."""
    __tracebackhide__ = True
    labels = protocol.INPUT_OF[run.step] == protocol.LABELS
    given = sample[labels]
    output = returned_array(run)
    found = [Answer("sample", len(given), given, output.shape, output.dtype, output, np.arange(len(given)))]
    for facts in run.facts.get("answers", []):
        size, count = facts["size"], facts["count"]
        rows = protocol.kept_rows(count)
        kept = run.array(protocol.sized(protocol.OUTPUT, size))
        shape = None if facts["shape"] is None else tuple(facts["shape"])
        dtype = None if facts["dtype"] is None else np.dtype(facts["dtype"])
        found.append(Answer(size, count, program_inputs[size][labels][rows], shape, dtype, kept, rows))
    return found
