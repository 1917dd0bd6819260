"""Step 6, fit: train for 5 epochs, 128 images at a time."""

import pytest

from grader.checks.expect import facts, fail
from grader.i18n import _

STEP = "fit"
EPOCHS, BATCH_SIZE, TRAIN_IMAGES = 5, 128, 60_000
STEPS_PER_EPOCH = -(-TRAIN_IMAGES // BATCH_SIZE)  # 469: the last batch is smaller.


def history(run):
    """The facts about the History fit_model() returned, once they are the training of the model it was given.

    The program goes on to test that model, so a History of another model, one made by hand, or one that
    tells of more or less training than that model had fails every check of fit.
    """
    __tracebackhide__ = True
    found = facts(run)
    history, trained = found["history"], found["trained"]
    if history is None:
        fail(
            _("the History that model.fit returns"), found["returned"], _("end fit_model with `return model.fit(...)`.")
        )
    if not history["of_model"]:
        fail(
            _("the History of training the model fit_model is given"),
            _("the History of another model, or one made by hand"),
            _("train the model you are given, and return what its fit returns: return model.fit(...)."),
        )
    if trained["recompiled"]:
        fail(
            _("the model as compile_model compiled it"),
            _("a model compiled again in fit_model"),
            _("do not call model.compile in fit_model: train the model as it is given."),
        )
    told = (history["steps"] or 0) * len(history["epoch"])
    if trained["iterations"] != told:
        fail(
            _("{count} training steps of the model you are given, as its History says", count=told),
            trained["iterations"],
            _("call model.fit once, on the model you are given, and return what it returns."),
        )
    return history


@pytest.mark.points(3)
def test_returns_history(run):
    """fit returns the History of training"""
    history(run)


@pytest.mark.points(6)
def test_epochs(run):
    """fit trains for 5 epochs"""
    epochs = len(history(run)["epoch"])
    if epochs != EPOCHS:
        fail(_("{count} epochs", count=EPOCHS), epochs, _("pass epochs=5 to model.fit."))


@pytest.mark.points(6)
def test_batch_size(run):
    """fit uses batches of 128 images (469 steps an epoch)"""
    found = history(run)
    steps = found["steps"]
    if steps != STEPS_PER_EPOCH:
        size = _("about {count} images", count=TRAIN_IMAGES // steps) if steps else _("an unknown size")
        fail(
            _("{steps} steps an epoch (batches of {size})", steps=STEPS_PER_EPOCH, size=BATCH_SIZE),
            _("{steps} ({size} a batch)", steps=steps, size=size),
            _("pass batch_size=128 to model.fit, and train on all the images you are given."),
        )
