"""The last check: the grader tests the trained model on the 10,000 test images it never saw."""

import pytest

from grader.backend import reference as network
from grader.checks.expect import facts, fail
from grader.course.i18n import _
from grader.course.steps import ACCURACY_BAR, REFERENCE_ACCURACY
from grader.workers import protocol

STEP = "accuracy"


@pytest.mark.points(20)
def test_accuracy(step_runs, grading, mnist_test, record_property):
    """accuracy of the trained model on the 10,000 test images is at least 0.97"""
    run = step_runs("fit")
    trained = facts(run)["trained"]  # The model fit_model was given, after training: the one the program tests.
    built = facts(step_runs("build"))["model"]  # What build's checks judged, the network computed included.
    if trained["model"] != built:
        fail(_("the trained 784 → 512 → 10 model"), _("another model"), _("fit the model you are given, as it is."))
    weights = network.in_seed_order(run.arrays(protocol.WEIGHTS) or [])
    if not network.has_seed_shapes(weights):
        fail(_("weights of shapes (784, 512), (512,), (512, 10), (10,)"), [w.shape for w in weights],
             _("fit the model you are given."))
    accuracy = network.accuracy_of(weights, grading.test_images(), mnist_test[1])
    record_property("note", _("test accuracy {accuracy}", accuracy=f"{accuracy:.4f}"))
    record_property("value", round(accuracy, 4))
    if accuracy < ACCURACY_BAR:
        fail(_("at least {bar}", bar=ACCURACY_BAR),
             _("{accuracy} (the reference solution reaches about {reference})", accuracy=f"{accuracy:.4f}",
               reference=REFERENCE_ACCURACY),
             _("train as the seed does: rmsprop, 5 epochs, batches of 128, on images scaled to [0, 1]."))
