"""Step 3, one_hot: each label becomes a row of 10 values with a single 1."""

import numpy as np
import pytest

from grader.checks.expect import fail, returned_array, shape
from grader.i18n import _

STEP = "one_hot"
NUM_CLASSES = 10


@pytest.mark.points(3)
def test_shape(run, sample):
    """one_hot returns (N, 10): one row per label, one column per digit"""
    labels = sample[1]
    output = returned_array(run)
    if output.shape != (len(labels), NUM_CLASSES):
        fail(f"({len(labels)}, {NUM_CLASSES})", shape(output), shape_help(labels, output))


def shape_help(labels, output):
    """How to get (N, 10) from the shape one_hot returned."""
    if output.ndim == 1:
        return _("each label needs a row of 10 values: to_categorical(labels, 10) makes them.")
    if output.shape == (NUM_CLASSES, len(labels)):
        return _("one row per label: (len(labels), 10), not (10, len(labels)).")
    if output.ndim == 2 and output.shape[0] == len(labels):
        return _("give the number of classes, to_categorical(labels, 10): without it the columns stop at the "
                 "largest label seen.")
    return _("there are 10 digits, so each label needs 10 columns.")


@pytest.mark.points(2)
def test_dtype(run):
    """one_hot returns floats"""
    output = returned_array(run)
    if output.dtype.kind != "f":
        fail(_("a float dtype"), output.dtype, _("the loss compares the labels with probabilities, which are floats: "
                                                 'to_categorical gives floats, or convert with .astype("float32").'))


@pytest.mark.points(5)
def test_values(run, sample):
    """one_hot puts a single 1 at each label's index, 0 elsewhere"""
    labels = sample[1]
    output = returned_array(run)
    if output.shape != (len(labels), NUM_CLASSES):
        fail(
            _("values in shape {shape}", shape=(len(labels), NUM_CLASSES)),
            _("shape {shape}", shape=shape(output)),
            _("fix the shape first."),
        )
    expected = np.eye(NUM_CLASSES)[labels]
    wrong = np.flatnonzero((output != expected).any(axis=1))
    if wrong.size:
        i = wrong[0]
        fail(
            _("{row} for label {label}", row=expected[i].astype(int).tolist(), label=labels[i]),
            _("{row} (row {i})", row=output[i].tolist(), i=i),
            _("row i must be all 0 except a 1 in column labels[i]."),
        )
