"""Step 2, normalize: pixels become float32 values between 0 and 1."""

import numpy as np
import pytest

from grader.checks.expect import fail, input_untouched, returned_array, shape
from grader.i18n import _

STEP = "normalize"


@pytest.mark.points(2)
def test_shape(run, sample):
    """normalize keeps the shape of its input"""
    images = sample[0]
    output = returned_array(run)
    if output.shape != images.shape:
        fail(shape(images), shape(output), _("normalize changes the values only; reshaping is the reshape step."))


@pytest.mark.points(3)
def test_dtype(run):
    """normalize returns float32"""
    output = returned_array(run)
    if output.dtype != np.float32:
        fail("float32", output.dtype, dtype_help(output))


def dtype_help(output):
    """How to get float32 from what normalize returned: each wrong dtype has its own cause."""
    if output.dtype.kind in "iu" and output.size and output.max() <= 1:
        return _('`//` divides and drops the fraction, so each pixel becomes 0 or 1: use `/`, as in '
                 'images.astype("float32") / 255.')
    if output.dtype.kind in "iu":
        return _('the pixels are still integers: convert them, then divide: images.astype("float32") / 255.')
    if output.dtype == np.float64:
        return _('dividing uint8 pixels by 255 makes float64; convert first: images.astype("float32") / 255.')
    return _('convert with .astype("float32"), then divide by 255.')


@pytest.mark.points(3)
def test_values(run, sample):
    """normalize returns images / 255, values between 0 and 1"""
    images = sample[0]
    output = returned_array(run)
    expected = images.astype("float32") / 255
    if output.shape != expected.shape:
        fail(_("values in shape {shape}", shape=shape(expected)), _("shape {shape}", shape=shape(output)),
             _("fix the shape first."))
    if output.max() > 1 or output.min() < 0:
        fail(
            _("values between 0 and 1"),
            _("values from {low} to {high}", low=f"{output.min():g}", high=f"{output.max():g}"),
            _("divide by 255, the largest value a pixel can have."),
        )
    if not np.allclose(output, expected, rtol=0, atol=1e-6):
        worst = np.abs(output.astype("float64") - expected).max()
        floored = np.array_equal(output, np.floor(expected))
        fail(
            "images / 255",
            _("values that differ from it by up to {worst}", worst=f"{worst:.3g}"),
            _("`//` drops the fraction, so each pixel becomes 0 or 1: divide with `/`.") if floored
            else _("divide every pixel by 255, nothing else."),
        )


@pytest.mark.points(2)
def test_input_untouched(run, sample):
    """normalize leaves the images it is given unchanged"""
    images = sample[0]
    input_untouched(run, images, _("return a new array instead of changing `images` in place."))
