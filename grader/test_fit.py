"""Step 6, fit: train for 5 epochs, 128 images at a time."""

import pytest

from grader.expect import facts, fail

STEP = "fit"
EPOCHS, BATCH_SIZE, TRAIN_IMAGES = 5, 128, 60_000
STEPS_PER_EPOCH = -(-TRAIN_IMAGES // BATCH_SIZE)  # 469: the last batch is smaller.


def history(run):
    """The facts about the History fit_model() returned; fails the check when it returned something else."""
    __tracebackhide__ = True
    found = facts(run)
    if found["history"] is None:
        fail("the History that model.fit returns", found["returned"], "end fit_model with `return model.fit(...)`.")
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
        fail(f"{EPOCHS} epochs", epochs, "pass epochs=5 to model.fit.")


@pytest.mark.points(6)
def test_batch_size(run):
    """fit uses batches of 128 images (469 steps an epoch)"""
    found = history(run)
    steps = found["steps"]
    if steps != STEPS_PER_EPOCH:
        size = f"about {TRAIN_IMAGES // steps} images" if steps else "an unknown size"
        fail(f"{STEPS_PER_EPOCH} steps an epoch (batches of {BATCH_SIZE})", f"{steps} ({size} a batch)",
             "pass batch_size=128 to model.fit, and train on all the images you are given.")
    if found["iterations"] != steps * len(found["epoch"]):
        fail(f"{steps * len(found['epoch'])} training steps", found["iterations"],
             "call model.fit once, on the model you are given.")
