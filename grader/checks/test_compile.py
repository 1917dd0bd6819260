"""Step 5, compile: rmsprop, categorical cross-entropy, and accuracy.

The seed's optimizer="rmsprop" and loss="categorical_crossentropy" mean Keras's RMSprop and
CategoricalCrossentropy with their default settings: a setting that changes how the model trains fails.
"""

import math
import re

import pytest

from grader.checks.expect import facts, fail
from grader.course.i18n import _
from grader.engine.problems import written

STEP = "compile"
ACCURACY_NAMES = {"accuracy", "acc", "categorical_accuracy", "CategoricalAccuracy"}
# keras.optimizers.RMSprop()'s settings that change training, as Keras 3 sets them (tests/test_course.py compares
# them with the installed Keras); the EMA's settings matter only with use_ema. An unset setting is its default.
RMSPROP = {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": False,
           "weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None, "use_ema": False,
           "gradient_accumulation_steps": None}
SAME_AS_UNSET = {"weight_decay": 0, "gradient_accumulation_steps": 1}  # Values that change nothing either.
# keras.losses.CategoricalCrossentropy()'s settings, beside from_logits.
CROSSENTROPY = {"label_smoothing": 0.0, "reduction": "sum_over_batch_size", "axis": -1}


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
    found = compiled(run)
    if found["optimizer"] != "RMSprop":
        fail("RMSprop", found["optimizer"], _('the seed trains with optimizer="rmsprop".'))
    setting = differing(found.get("optimizer_settings") or {}, RMSPROP)
    if setting:
        value = (found.get("optimizer_settings") or {}).get(setting)
        got = (_("a learning-rate schedule ({name})", name=value) if isinstance(value, str) and
               setting == "learning_rate" else f"{setting} {written(value)}")
        expected = (_("RMSprop without {setting}", setting=setting) if RMSPROP[setting] is None else
                    _("RMSprop with {setting} {value}", setting=setting, value=written(RMSPROP[setting])))
        fail(expected, got,
             _('the seed uses optimizer="rmsprop", Keras\'s defaults: leave {setting} out.', setting=setting))


def differing(settings, defaults):
    """The first of `defaults` that `settings` sets otherwise; None when none does."""
    for key, default in defaults.items():
        value = settings.get(key, default)
        if not same(value, default) and not (key in SAME_AS_UNSET and same(value, SAME_AS_UNSET[key])):
            return key
    return None


def same(value, default):
    """Whether a setting is its default: numbers within 1e-6 of it (Keras keeps a learning rate as float32)."""
    if isinstance(value, bool) or isinstance(default, bool) or value is None or default is None:
        return value == default
    if isinstance(value, (int, float)) and isinstance(default, (int, float)):
        return math.isclose(value, default, rel_tol=1e-6, abs_tol=1e-12)
    return value == default


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
    setting = differing(found.get("loss_settings") or {}, CROSSENTROPY)
    if setting:
        value = found["loss_settings"][setting]
        fail(f"{setting} {written(CROSSENTROPY[setting])}", f"{setting} {written(value)}", loss_help(setting))
    if found.get("loss_weights") not in (None, 1, 1.0, [1], [1.0]):
        fail(_("no loss_weights"), f"loss_weights {found['loss_weights']}",
             _("loss_weights scales the loss, and so every training step: remove it."))


def loss_help(setting):
    """What to do about a loss setting that is not the seed's."""
    if setting == "label_smoothing":
        return _("label smoothing changes the labels the network learns from; the seed uses "
                 'loss="categorical_crossentropy" as it is: remove label_smoothing.')
    if setting == "reduction":
        return _("the seed averages the loss over each batch, Keras's default; another reduction changes the size "
                 "of every training step: remove reduction.")
    return _("the 10 probabilities of each image lie along the last axis, Keras's default: remove axis.")


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
