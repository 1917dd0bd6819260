"""Step 1, reshape: each 28×28 image becomes one row of 784 values.

Each check judges what reshape_images returned for the sample of 1,000 images, then for what the program
gives it (the 60,000 training images and the 10,000 test images) and for a single image.
"""

import numpy as np
import pytest

from grader.checks.expect import fail, input_untouched, shown
from grader.course.i18n import _

STEP = "reshape"


@pytest.mark.points(3)
def test_shape(answers):
    """reshape returns (N, 784) for any number of images N"""
    for answer in answers():
        if answer.shape != (answer.count, 784):
            fail(f"({answer.count}, 784)", answer.got(shown(answer.shape), STEP), shape_help(answer))


def shape_help(answer):
    """How to get (N, 784) from the shape reshape returned."""
    found, count = answer.shape, answer.count
    if found is None:
        return _("end the function with `return` and the result.")
    if found == (count, 28, 28):
        return _("the images came back as they were: return images.reshape(len(images), 784).")
    if found == (784,) and count == 1:
        return _("a single image comes back as (1, 784), one row: squeeze() and flatten() drop the row.")
    if len(found) == 1:
        return _("give reshape two sizes, the number of images and 784: images.reshape(len(images), 784).")
    if found == (784, count):
        return _("the number of images comes first: (len(images), 784), not (784, len(images)).")
    if len(found) == 2 and found[1] == 784:
        return _("the program passes 60,000 images, then 10,000: use len(images) (or -1), not a fixed count.")
    return _("each 28×28 image must become one row of 28 * 28 = 784 values, for any number of images.")


@pytest.mark.points(2)
def test_dtype(answers):
    """reshape keeps the pixels' dtype (uint8)"""
    for answer in answers():
        if answer.dtype != answer.given.dtype:
            fail(answer.given.dtype, answer.got(answer.dtype, STEP),
                 _("reshape only moves values; leave converting to the normalize step."))


@pytest.mark.points(3)
def test_values(answers):
    """reshape lays out each image row by row"""
    for answer in answers():
        if answer.shape != (answer.count, 784):
            fail(_("values in shape {shape}", shape=f"({answer.count}, 784)"),
                 answer.got(_("shape {shape}", shape=shown(answer.shape)), STEP), _("fix the shape first."))
        if not np.array_equal(answer.output, answer.given.reshape(len(answer.given), 784)):
            fail(_("the pixels of each image in their original order"), answer.got(_("different values"), STEP),
                 _("use reshape; transposing or reordering the pixels changes what the network sees."))


@pytest.mark.points(2)
def test_input_untouched(run, sample):
    """reshape leaves the images it is given unchanged"""
    images = sample[0]
    input_untouched(run, images, _("return a new array (images.reshape(...)) instead of changing `images` in place."))

