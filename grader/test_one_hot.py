"""Step 3, one_hot: each label becomes a row of 10 values with a single 1."""

import numpy as np
import pytest

from grader.expect import fail, returned_array, shape

STEP = "one_hot"
NUM_CLASSES = 10


@pytest.mark.points(3)
def test_shape(run, sample):
    """one_hot returns (N, 10): one row per label, one column per digit"""
    _, labels = sample
    output = returned_array(run)
    if output.shape != (len(labels), NUM_CLASSES):
        fail(f"({len(labels)}, {NUM_CLASSES})", shape(output), "there are 10 digits, so each label needs 10 columns.")


@pytest.mark.points(2)
def test_dtype(run):
    """one_hot returns floats"""
    output = returned_array(run)
    if output.dtype.kind != "f":
        fail("a float dtype", output.dtype, "the loss compares the labels with probabilities, which are floats.")


@pytest.mark.points(5)
def test_values(run, sample):
    """one_hot puts a single 1 at each label's index, 0 elsewhere"""
    _, labels = sample
    output = returned_array(run)
    if output.shape != (len(labels), NUM_CLASSES):
        fail(f"values in shape ({len(labels)}, {NUM_CLASSES})", f"shape {shape(output)}", "fix the shape first.")
    expected = np.eye(NUM_CLASSES)[labels]
    wrong = np.flatnonzero((output != expected).any(axis=1))
    if wrong.size:
        i = wrong[0]
        fail(f"{expected[i].astype(int).tolist()} for label {labels[i]}", f"{output[i].tolist()} (row {i})",
             "row i must be all 0 except a 1 in column labels[i].")
