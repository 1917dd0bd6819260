"""Realistic wrong submissions fail at exactly the right step with the intended message; variants pass."""

import re
from pathlib import Path

import pytest
from conftest import grade_steps
from variants import CORRECT, WRONG

from grader.steps import reference_accuracy

# The steps to grade for a mistake in each step: compile is graded after the build it needs.
GRADED_WITH = {"compile": ("build", "compile")}


def snapshot(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("name", WRONG)
def test_wrong_submission_fails_its_step(name, submission):
    step, files, expected = WRONG[name]
    folder = submission(**files)
    before = snapshot(folder)
    graded = grade_steps(folder, *GRADED_WITH.get(step, (step,)))
    assert graded.returncode == 1, graded.stdout + graded.stderr
    assert expected.format(folder=folder) in graded.stdout
    assert f"Next: fix {step} in {folder}/{step}.py, then grade again." in graded.stdout
    assert snapshot(folder) == before, "grading changed the student's files"


@pytest.mark.parametrize("name", CORRECT)
def test_correct_variant_passes(name, submission):
    step, files = CORRECT[name]
    graded = grade_steps(submission(**files), *GRADED_WITH.get(step, (step,)))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert re.search(rf"^✓ {step} +(\d+)/\1$", graded.stdout, re.MULTILINE), graded.stdout
    assert "shape before" not in graded.stdout  # What student code prints stays out of the grade.


def test_hang_costs_only_its_limit_and_its_processes_are_stopped(submission, tmp_path):
    pid_file = tmp_path / "child.pid"
    folder = submission(
        reshape=(
            "import subprocess\n\n\ndef reshape_images(images):\n"
            "    child = subprocess.Popen(['sleep', '600'])\n"
            f"    open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            "    while True:\n        pass\n"
        ),
        normalize="import sys\n\n\ndef normalize_images(images):\n    sys.exit(0)\n",
    )
    graded = grade_steps(folder, "reshape", "normalize", "one_hot", timeout=3)
    assert graded.returncode == 1
    assert (
        "✗ reshape    0/10\n"
        "    reshape did not finish within 3 s and was stopped\n"
        "    Help: look for a loop that never ends, or a call that waits for input.\n"
    ) in graded.stdout
    assert "✗ normalize  0/10\n    normalize_images() called sys.exit(0), which would end the program\n" in graded.stdout
    assert "✓ one_hot    10/10\n" in graded.stdout  # One broken step hides no other.
    assert "Score: 10/30 (1 of 3 steps done)\n" in graded.stdout
    assert not running(int(pid_file.read_text()))


def running(pid):
    """Whether a process is alive: not gone, and not a zombie that has ended and awaits its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_low_accuracy_fails_with_the_reference_quoted(submission):
    """Right epochs and batches, but a learning rate too small to learn: only the accuracy check fails."""
    folder = submission(compile=(
        "import keras\n\n\ndef compile_model(model):\n"
        "    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-6),\n"
        "                  loss='categorical_crossentropy', metrics=['accuracy'])\n"
        "    return model\n"
    ))
    graded = grade_steps(folder, "fit", "accuracy")
    assert graded.returncode == 1
    assert "✓ fit        15/15\n" in graded.stdout
    found = re.search(
        r"^✗ accuracy   0/20\n"
        r"    expected at least 0\.97, got (0\.\d{4}) \(the reference solution reaches " + re.escape(str(reference_accuracy())) + r"\)\n"
        r"    Help: train as the seed does: rmsprop, 5 epochs, batches of 128, on images scaled to \[0, 1\]\.\n",
        graded.stdout, re.MULTILINE,
    )
    assert found and float(found.group(1)) < 0.97, graded.stdout
