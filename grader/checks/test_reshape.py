"""Step 1, reshape: each 28×28 image becomes one row of 784 values."""

import numpy as np
import pytest

from grader.checks.expect import fail, input_untouched, returned_array, shape
from grader.i18n import _

STEP = "reshape"


@pytest.mark.points(3)
def test_shape(run, sample):
    """reshape returns (N, 784) for any number of images N"""
    images = sample[0]
    output = returned_array(run)
    if output.shape != (len(images), 784):
        fail(f"({len(images)}, 784)", shape(output), shape_help(images, output))


def shape_help(images, output):
    """How to get (N, 784) from the shape reshape returned."""
    if output.shape == images.shape:
        return _("the images came back as they were: return images.reshape(len(images), 784).")
    if output.ndim == 1:
        return _("give reshape two sizes, the number of images and 784: images.reshape(len(images), 784).")
    if output.shape == (784, len(images)):
        return _("the number of images comes first: (len(images), 784), not (784, len(images)).")
    return _("each 28×28 image must become one row of 28 * 28 = 784 values, for any number of images.")


@pytest.mark.points(2)
def test_dtype(run, sample):
    """reshape keeps the pixels' dtype (uint8)"""
    images = sample[0]
    output = returned_array(run)
    if output.dtype != images.dtype:
        fail(images.dtype, output.dtype, _("reshape only moves values; leave converting to the normalize step."))


@pytest.mark.points(3)
def test_values(run, sample):
    """reshape lays out each image row by row"""
    images = sample[0]
    output = returned_array(run)
    expected = images.reshape(len(images), 784)
    if output.shape != expected.shape:
        fail(_("values in shape {shape}", shape=shape(expected)), _("shape {shape}", shape=shape(output)),
             _("fix the shape first."))
    if not np.array_equal(output, expected):
        fail(_("the pixels of each image in their original order"), _("different values"),
             _("use reshape; transposing or reordering the pixels changes what the network sees."))


@pytest.mark.points(2)
def test_input_untouched(run, sample):
    """reshape leaves the images it is given unchanged"""
    images = sample[0]
    input_untouched(run, images, _("return a new array (images.reshape(...)) instead of changing `images` in place."))
