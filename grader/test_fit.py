"""Step 6, fit: train for 5 epochs, 128 images at a time."""

import pytest

from grader.expect import facts, fail
from grader.i18n import _

STEP = "fit"
EPOCHS, BATCH_SIZE, TRAIN_IMAGES = 5, 128, 60_000
STEPS_PER_EPOCH = -(-TRAIN_IMAGES // BATCH_SIZE)  # 469: the last batch is smaller.


def history(run):
    """The facts about the History fit_model() returned; fails the check when it returned something else."""
    __tracebackhide__ = True
    found = facts(run)
    if found["history"] is None:
        fail(_("the History that model.fit returns"), found["returned"], _("end fit_model with `return model.fit(...)`."))
    return found["history"]


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
        fail(_("{steps} steps an epoch (batches of {size})", steps=STEPS_PER_EPOCH, size=BATCH_SIZE),
             _("{steps} ({size} a batch)", steps=steps, size=size),
             _("pass batch_size=128 to model.fit, and train on all the images you are given."))
    if found["iterations"] != steps * len(found["epoch"]):
        fail(_("{count} training steps", count=steps * len(found["epoch"])), found["iterations"],
             _("call model.fit once, on the model you are given."))
