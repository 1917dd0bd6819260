"""The last check: the grader tests the trained model on the 10,000 test images it never saw."""

import numpy as np
import pytest

from grader.expect import facts, fail
from grader.i18n import _
from grader.steps import ACCURACY_BAR, reference_accuracy

STEP = "accuracy"
EXPECTED_LAYERS = [
    {"class": "Dense", "units": 512, "activation": "relu"},
    {"class": "Dense", "units": 10, "activation": "softmax"},
]


def predict(weights, images):
    """The trained network's answers, computed here with numpy: relu(x W1 + b1) W2 + b2, then argmax."""
    w1, b1, w2, b2 = weights
    hidden = np.maximum(images @ w1 + b1, 0)
    return np.argmax(hidden @ w2 + b2, axis=1)


@pytest.mark.points(20)
def test_accuracy(runs, mnist_test, record_property):
    """accuracy of the trained model on the 10,000 test images is at least 0.97"""
    run = runs("fit")
    trained = facts(run)["history"]
    if trained is None or trained["model"]["layers"] != EXPECTED_LAYERS:
        fail(_("the trained 784 → 512 → 10 model"), _("another model"), _("fit the model you are given."))
    weights = run.arrays("weights") or []
    shapes = [w.shape for w in weights]
    if shapes != [(784, 512), (512,), (512, 10), (10,)]:
        fail(_("weights of shapes (784, 512), (512,), (512, 10), (10,)"), shapes, _("fit the model you are given."))
    images, labels = mnist_test
    x_test = images.reshape(len(images), 784).astype("float32") / 255
    accuracy = float(np.mean(predict(weights, x_test) == labels))
    record_property("note", _("test accuracy {accuracy}", accuracy=f"{accuracy:.4f}"))
    if accuracy < ACCURACY_BAR:
        fail(_("at least {bar}", bar=ACCURACY_BAR),
             _("{accuracy} (the reference solution reaches {reference})", accuracy=f"{accuracy:.4f}", reference=reference_accuracy()),
             _("train as the seed does: rmsprop, 5 epochs, batches of 128, on images scaled to [0, 1]."))
