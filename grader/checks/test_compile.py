"""Step 5, compile: rmsprop, categorical cross-entropy, and accuracy."""

import re

import pytest

from grader.checks.expect import facts, fail
from grader.i18n import _

STEP = "compile"
ACCURACY_NAMES = {"accuracy", "acc", "categorical_accuracy", "CategoricalAccuracy"}


def compiled(run):
    """The facts about the model compile_model() returned; fails the check when it is not compiled."""
    __tracebackhide__ = True
    found = facts(run)
    if found["compiled"] is None:
        fail(_("the compiled model"), found["returned"], _("end compile_model with `return model`."))
    if not found["compiled"]["compiled"]:
        fail(
            _("a compiled model"),
            _("a model that was never compiled"),
            _("call model.compile(...) inside compile_model."),
        )
    if not found["same_model"]:  # The program trains what compile returns; build's checks judged the model given.
        fail(
            _("the model compile_model is given, compiled"),
            _("another {kind}", kind=found["returned"]),
            _("call model.compile(...) on the model you are given, then return that model."),
        )
    return found["compiled"]


def snake(name):
    """CategoricalCrossentropy -> categorical_crossentropy, so strings and objects compare alike."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.points(3)
def test_returns_model(run):
    """compile returns the compiled model"""
    compiled(run)


@pytest.mark.points(4)
def test_optimizer(run):
    """compile uses the rmsprop optimizer"""
    optimizer = compiled(run)["optimizer"]
    if optimizer != "RMSprop":
        fail("RMSprop", optimizer, _('the seed trains with optimizer="rmsprop".'))


@pytest.mark.points(4)
def test_loss(run):
    """compile uses categorical cross-entropy as the loss"""
    found = compiled(run)
    loss = snake(str(found["loss"]))
    if loss == "sparse_categorical_crossentropy":
        fail(
            "categorical_crossentropy",
            loss,
            _("the sparse loss is for integer labels; one-hot labels need categorical_crossentropy."),
        )
    if loss != "categorical_crossentropy":
        fail(
            "categorical_crossentropy", loss, _('with one-hot labels and softmax, use loss="categorical_crossentropy".')
        )
    if found["from_logits"]:
        fail("from_logits=False", "from_logits=True", _("softmax already gives probabilities, not logits."))


@pytest.mark.points(4)
def test_metrics(run):
    """compile tracks accuracy"""
    metrics = compiled(run)["metrics"]
    if "Accuracy" in metrics:
        fail(
            '"accuracy"',
            "keras.metrics.Accuracy()",
            _('Accuracy() counts exact matches of probabilities; metrics=["accuracy"] picks the right one.'),
        )
    if not ACCURACY_NAMES & set(metrics):
        fail(_('"accuracy" among the metrics'), metrics or _("no metrics"), _('add metrics=["accuracy"] to compile.'))
