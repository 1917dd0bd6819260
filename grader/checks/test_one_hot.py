"""Step 3, one_hot: each label becomes a row of 10 values with a single 1.

Each check judges what one_hot_labels returned for the sample of 1,000 labels, then for what the program
gives it (the 60,000 training labels and the 10,000 test labels) and for a single label.
"""

import numpy as np
import pytest

from grader.checks.expect import fail, shown
from grader.course.i18n import _

STEP = "one_hot"
NUM_CLASSES = 10


@pytest.mark.points(3)
def test_shape(answers):
    """one_hot returns (N, 10): one row per label, one column per digit"""
    for answer in answers():
        if answer.shape != (answer.count, NUM_CLASSES):
            fail(f"({answer.count}, {NUM_CLASSES})", answer.got(shown(answer.shape), STEP), shape_help(answer))


def shape_help(answer):
    """How to get (N, 10) from the shape one_hot returned."""
    found, count = answer.shape, answer.count
    if found is None:
        return _("end the function with `return` and the result.")
    if len(found) == 1:
        return _("each label needs a row of 10 values: to_categorical(labels, 10) makes them.")
    if found == (NUM_CLASSES, count):
        return _("one row per label: (len(labels), 10), not (10, len(labels)).")
    if len(found) == 2 and found[0] == count:
        return _("give the number of classes, to_categorical(labels, 10): without it the columns stop at the "
                 "largest label seen.")
    return _("there are 10 digits, so each label needs 10 columns.")


@pytest.mark.points(2)
def test_dtype(answers):
    """one_hot returns floats"""
    for answer in answers():
        if answer.dtype is None or answer.dtype.kind != "f":
            fail(_("a float dtype"), answer.got(answer.dtype, STEP),
                 _("the loss compares the labels with probabilities, which are floats: "
                   'to_categorical gives floats, or convert with .astype("float32").'))


@pytest.mark.points(5)
def test_values(answers):
    """one_hot puts a single 1 at each label's index, 0 elsewhere"""
    for answer in answers():
        if answer.shape != (answer.count, NUM_CLASSES):
            fail(
                _("values in shape {shape}", shape=(answer.count, NUM_CLASSES)),
                answer.got(_("shape {shape}", shape=shown(answer.shape)), STEP),
                _("fix the shape first."),
            )
        expected = np.eye(NUM_CLASSES)[answer.given]
        wrong = np.flatnonzero((answer.output != expected).any(axis=1))
        if wrong.size:
            i = wrong[0]
            fail(
                _("{row} for label {label}", row=expected[i].astype(int).tolist(), label=answer.given[i]),
                answer.got(_("{row} (row {i})", row=answer.output[i].tolist(), i=answer.rows[i]), STEP),
                _("row i must be all 0 except a 1 in column labels[i]."),
            )
