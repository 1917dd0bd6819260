"""Step 2, normalize: pixels become float32 values between 0 and 1.

Each check judges what normalize_images returned for the sample of 1,000 images, then for what the program
gives it (the 60,000 training images and the 10,000 test images) and for a single image.
"""

import numpy as np
import pytest

from grader.checks.expect import fail, input_untouched, shown
from grader.course.i18n import _

STEP = "normalize"


@pytest.mark.points(2)
def test_shape(answers):
    """normalize keeps the shape of its input"""
    for answer in answers():
        expected = (answer.count, *answer.given.shape[1:])
        if answer.shape != expected:
            fail(shown(expected), answer.got(shown(answer.shape), STEP),
                 _("normalize changes the values only; reshaping is the reshape step."))


@pytest.mark.points(3)
def test_dtype(answers):
    """normalize returns float32"""
    for answer in answers():
        if answer.dtype != np.float32:
            fail("float32", answer.got(answer.dtype, STEP), dtype_help(answer))


def dtype_help(answer):
    """How to get float32 from what normalize returned: each wrong dtype has its own cause."""
    output = answer.output
    if answer.dtype is None:
        return _('end the function with `return` and the result: images.astype("float32") / 255.')
    if answer.dtype.kind in "iu" and output is not None and output.size and output.max() <= 1:
        return _('`//` divides and drops the fraction, so each pixel becomes 0 or 1: use `/`, as in '
                 'images.astype("float32") / 255.')
    if answer.dtype.kind in "iu":
        return _('the pixels are still integers: convert them, then divide: images.astype("float32") / 255.')
    if answer.dtype == np.float64:
        return _('dividing uint8 pixels by 255 makes float64; convert first: images.astype("float32") / 255.')
    return _('convert with .astype("float32"), then divide by 255.')


@pytest.mark.points(3)
def test_values(answers):
    """normalize returns images / 255, values between 0 and 1"""
    for answer in answers():
        expected = answer.given.astype("float32") / 255
        if answer.shape != (answer.count, *answer.given.shape[1:]):
            fail(_("values in shape {shape}", shape=shown((answer.count, *answer.given.shape[1:]))),
                 answer.got(_("shape {shape}", shape=shown(answer.shape)), STEP), _("fix the shape first."))
        output = answer.output
        if output.max() > 1 or output.min() < 0:
            fail(
                _("values between 0 and 1"),
                answer.got(_("values from {low} to {high}", low=f"{output.min():g}", high=f"{output.max():g}"),
                           STEP),
                _("divide by 255, the largest value a pixel can have."),
            )
        if not np.allclose(output, expected, rtol=0, atol=1e-6):
            worst = np.abs(output.astype("float64") - expected).max()
            floored = np.array_equal(output, np.floor(expected))
            fail(
                "images / 255",
                answer.got(_("values that differ from it by up to {worst}", worst=f"{worst:.3g}"), STEP),
                _("`//` drops the fraction, so each pixel becomes 0 or 1: divide with `/`.") if floored
                else _("divide every pixel by 255, nothing else."),
            )


@pytest.mark.points(2)
def test_input_untouched(run, sample):
    """normalize leaves the images it is given unchanged"""
    images = sample[0]
    input_untouched(run, images, _("return a new array instead of changing `images` in place."))
