"""Step 6, fit: train for 5 epochs, 128 images at a time, on all the images given, each counted alike."""

import math

import pytest

from grader.checks.expect import facts, fail
from grader.course.i18n import _

STEP = "fit"
EPOCHS, BATCH_SIZE, TRAIN_IMAGES = 5, 128, 60_000


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


@pytest.mark.points(5)
def test_epochs(run):
    """fit trains for 5 epochs"""
    epochs = len(history(run)["epoch"])
    if epochs != EPOCHS:
        fail(_("{count} epochs", count=EPOCHS), epochs, _("pass epochs=5 to model.fit."))


@pytest.mark.points(5)
def test_batch_size(run):
    """fit uses batches of 128 images (469 steps an epoch)"""
    found = history(run)
    steps, images = found["steps"], trained_on(found)
    expected = -(-images // BATCH_SIZE)  # For all 60,000 images, 469; for fewer, test_all_images says so.
    if steps != expected:
        size = _("about {count} images", count=images // steps) if steps else _("an unknown size")
        fail(
            _("{steps} steps an epoch (batches of {size})", steps=expected, size=BATCH_SIZE),
            _("{steps} ({size} a batch)", steps=steps, size=size),
            _("pass batch_size=128 to model.fit, and train on all the images you are given."),
        )


def trained_on(found):
    """How many images an epoch of the first model.fit call trained on, as Keras splits off validation_split."""
    call = (found.get("calls") or [{}])[0]
    images, split = call.get("images") or TRAIN_IMAGES, call.get("validation_split") or 0.0
    return math.floor(images * (1 - split))


@pytest.mark.points(2)
def test_all_images(run):
    """fit trains on all 60,000 images it is given, each counted alike"""
    calls = history(run).get("calls") or []
    if not calls:  # model.fit was called some other way; the steps an epoch tell how many images it trained on.
        return
    call = calls[0]
    if call["images"] not in (None, TRAIN_IMAGES):
        fail(_("all {count} images", count=f"{TRAIN_IMAGES:,}"), f"{call['images']:,}",
             _("pass model.fit the images and labels you are given, all of them."))
    if call["validation_split"]:
        fail(_("all {count} images", count=f"{TRAIN_IMAGES:,}"),
             _("{count} (validation_split={split} holds out the rest)", count=f"{trained_on(history(run)):,}",
               split=f"{call['validation_split']:g}"),
             _("the seed trains on all 60,000 images and tests on 10,000 it never saw: remove validation_split."))
    for weights in ("class_weight", "sample_weight"):
        if call[weights]:
            fail(_("every image counted alike"), f"{weights}=…",
                 _("the seed weights every image alike: remove {weights}.", weights=weights))
