"""The student's loop: one step at a time, watch mode, hints, colours and the training progress bar."""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, SOLUTIONS, mnist_grade

from grader.course.steps import STEPS
from grader.results.terminal import epochs
from grader.student.watch import RULE

NORMALIZE_ONLY = """\
✓ normalize  10/10

Score: 10/10 (1 of 1 step done)
All checks passed. Well done!
"""


@pytest.mark.slow
def test_one_step_grades_only_it():
    """Nothing about training is said when nothing trains, and one step is one step."""
    run = mnist_grade(str(SOLUTIONS), "--step", "normalize")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith(f"Grading {SOLUTIONS}/\n")
    assert run.stdout.endswith(NORMALIZE_ONLY)


@pytest.mark.slow
def test_a_step_brings_the_steps_it_needs_and_trains_nothing(submission, tmp_path):
    marker = tmp_path / "trained"
    fit = (f"def fit_model(model, images, labels):\n"
        f"    open({str(marker)!r}, 'w').write('x')\n"
        f"    raise NotImplementedError\n")
    run = mnist_grade(str(submission(fit=fit)), "--step", "compile")
    assert run.returncode == 0
    assert "✓ build      20/20\n✓ compile    15/15\n\nScore: 35/35 (2 of 2 steps done)\n" in run.stdout
    assert not marker.exists()


def test_an_unknown_step_is_bad_usage():
    run = mnist_grade("--step", "train")
    assert run.returncode == 2
    assert (
        "argument --step: invalid choice: 'train' (choose from reshape, normalize, one_hot, "
        "build, compile, fit, accuracy)"
    ) in run.stderr.replace(
        "'reshape', 'normalize', 'one_hot', 'build', 'compile', 'fit', 'accuracy'",
        "reshape, normalize, one_hot, build, compile, fit, accuracy",
    )


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_STATE", str(tmp_path / "state"))
    return tmp_path / "state" / "hints.json"


def test_hints_come_one_level_at_a_time_and_stay_at_the_last(state):
    """The first hint comes after the step's explanation; each later one shows only what is new."""
    step = STEPS["normalize"]
    shown = [mnist_grade("hint", "normalize").stdout for _ in range(4)]
    assert shown[0] == (
        f"normalize: {step.title['en']}\n{step.explain['en']}\n\nHint 1 of 3: {step.hints[0]['en']}\n\n"
        "Ask again for the next hint: mnist-grade hint normalize\n")
    assert shown[1] == (f"Hint 2 of 3: {step.hints[1]['en']}\n\n"
                        "Ask again for the next hint: mnist-grade hint normalize\n")
    assert shown[2] == (f"Hint 3 of 3: {step.hints[2]['en']}\n\n"
                        "That was the last hint. `mnist-grade --step normalize` shows what is still wrong.\n")
    assert shown[3] == shown[2]
    assert mnist_grade("hint", "reshape").stdout.count("Hint 1 of 3") == 1  # Each step keeps its own level.
    assert mnist_grade("hint", "normalize", "--reset").stdout == "Hints for normalize start again from the first.\n"
    assert "Hint 1 of 3" in mnist_grade("hint", "normalize").stdout


def test_lang_works_anywhere_and_is_kept_in_what_to_run_next(state):
    step = STEPS["fit"]
    before, after = mnist_grade("--lang", "zh", "hint", "fit"), mnist_grade("hint", "fit", "--lang=zh")
    assert (before.returncode, before.stderr) == (0, "")
    assert before.stdout.startswith(f"fit: {step.title['zh']}\n{step.explain['zh']}\n\n")
    assert before.stdout.endswith("再次运行可以看到下一条提示：mnist-grade hint fit --lang zh\n")
    assert after.stdout == (f"第 2 条提示（共 3 条）：{step.hints[1]['zh']}\n\n"
                            "再次运行可以看到下一条提示：mnist-grade hint fit --lang zh\n")


def test_hints_survive_a_damaged_state_file(state):
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    run = mnist_grade("hint", "fit")
    assert run.returncode == 0 and "Hint 1 of 3" in run.stdout


def test_no_hint_gives_the_solution():
    solution_lines = {
        line.strip().removeprefix("return ").rstrip(",")
        for path in SOLUTIONS.glob("*.py")
        for line in path.read_text().splitlines()
        if line.strip()
        and not line.strip().startswith("#")
        and any(c.isalnum() for c in line)
        and line.strip() not in ("return model",)
    }
    for step in STEPS.values():
        for hint in step.hints:
            for text in hint.values():
                leaked = [line for line in solution_lines if len(line) > 12 and line in text]
                assert leaked == [], (step.name, leaked)


def test_hint_for_an_unknown_step_is_bad_usage():
    run = mnist_grade("hint", "train")
    assert run.returncode == 2 and "invalid choice: 'train'" in run.stderr


def test_the_training_progress_bar_counts_epochs():
    assert epochs("") == (0, None)
    assert epochs("Epoch 1/5\n469/469 ━━ 1s\nEpoch 2/5\n") == (1, 5)


@pytest.mark.slow
def test_colours_on_a_terminal_plain_text_otherwise(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")  # As a terminal sets it: under TERM=dumb, rich writes plain text.
    coloured = mnist_grade(str(SOLUTIONS), "--step", "reshape")
    assert "\x1b[32m✓\x1b[0m" in coloured.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR")
    assert "\x1b[" not in mnist_grade(str(SOLUTIONS), "--step", "reshape").stdout


class Watcher:
    """`mnist-grade --watch FOLDER` in the background, its output read line by line."""

    def __init__(self, folder):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", str(folder), "--watch"],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.lines = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()

    def until(self, text, timeout=120):
        """Everything printed up to and including the line that contains `text`."""
        seen, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            if text in line:
                return "".join(seen)
        raise AssertionError(f"no {text!r} within {timeout} s; printed:\n{''.join(seen)}")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(30)


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="Ctrl-C is sent as SIGINT to the process group")
def test_watch_grades_again_on_every_save(submission):
    folder = submission(
        normalize="def normalize_images(images):\n    raise NotImplementedError\n",
        fit="def fit_model(model, images, labels):\n    raise NotImplementedError\n",
    )
    watcher = Watcher(folder)
    try:
        first = watcher.until("Next: fix")
        assert first.startswith(f"Watching {folder}/: save a file to grade again; Ctrl-C stops.\n")
        assert "4/7 steps done  ✓ reshape ✓ one_hot ✓ build ✓ compile" in first
        assert "✗ normalize  0/10\n    not attempted yet: normalize_images()" in first
        assert f"Next: fix normalize in {folder / 'normalize.py'}, then save again." in first
        assert first.count(RULE) == 1  # Each grading starts under a rule of its own.

        (folder / "normalize.py").write_text("def normalize_images(images):\n    return images.astype(")  # Half saved.
        broken = watcher.until("Next: fix")
        assert f"{RULE}\n[" in broken and "] normalize.py saved: grading normalize again\n" in broken
        assert "importing " in broken and "raised SyntaxError" in broken
        assert "4/7 steps done  ✓ reshape ✓ one_hot ✓ build ✓ compile" in broken  # The others' last results.

        (folder / "normalize.py").write_text(
            ('def normalize_images(images):\n    return images.astype("float32") / 255\n')
        )
        fixed = watcher.until("Next: fix")
        assert "5/7 steps done  ✓ reshape ✓ normalize ✓ one_hot ✓ build ✓ compile" in fixed
        assert f"Next: fix fit in {folder / 'fit.py'}, then save again." in fixed

        (folder / "build.py").write_text((folder / "build.py").read_text() + "\n")  # What depends on it, again.
        rebuilt = watcher.until("Next: fix")
        assert "] build.py saved: grading build, compile, fit, accuracy again\n" in rebuilt
        # build's verdict first, before fit trains (here fit is a stub: it trains nothing).
        assert "again\n✓ build      20/20\n✓ compile    15/15\nfit, accuracy: training again…\n" in rebuilt
        assert "5/7 steps done  ✓ reshape ✓ normalize ✓ one_hot ✓ build ✓ compile" in rebuilt
    finally:
        code = watcher.stop()
    assert code == 0
    assert "Stopped watching." in watcher.until("Stopped watching.", timeout=10)


@pytest.mark.slow
def test_a_terminal_sees_training_progress(monkeypatch):
    """On a terminal (FORCE_COLOR makes rich treat the pipe as one) the epochs count up while fit trains."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    run = mnist_grade(str(SOLUTIONS), "--step", "fit")
    assert run.returncode == 0
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", run.stdout)
    assert re.search(r"^training .* [1-4]/5 epochs", plain.replace("\r", "\n"), re.MULTILINE), plain[-2000:]


def test_a_save_grades_again_its_step_and_the_steps_that_depend_on_it():
    from grader.student.watch import regraded

    assert regraded(["normalize.py"]) == ["normalize"]  # fit is given the grader's own data: no training.
    assert regraded(["one_hot.py", "reshape.py"]) == ["reshape", "one_hot"]
    assert regraded(["build.py"]) == ["build", "compile", "fit", "accuracy"]
    assert regraded(["fit.py"]) == ["fit", "accuracy"]
    assert regraded(["helpers.py"]) is None  # A module of the student's own: every step.


def test_a_grade_after_a_save_keeps_the_last_results_of_the_other_steps():
    from grader.results.grade import CheckResult, Grade

    last = Grade("work", checks=[CheckResult("reshape", "shape", 10, "passed"),
                                 CheckResult("normalize", "values", 10, "failed"),
                                 CheckResult("build", "layers", 20, "passed")])
    newer = Grade("work", checks=[CheckResult("normalize", "values", 10, "passed")], seconds=0.3)
    merged = last.merged(newer)
    assert [(check.step, check.outcome) for check in merged.checks] == [
        ("reshape", "passed"), ("normalize", "passed"), ("build", "passed")]
    assert (merged.score, merged.seconds) == (40, 0.3)


@pytest.mark.parametrize("events_from", ["the OS", "polling"])
def test_a_save_is_heard(tmp_path, monkeypatch, events_from):
    """From the OS's file events (watchfiles), or by polling where it is not installed; a save made before the
    watching started is heard too, against the snapshot taken before."""
    from grader.student.watch import saves, snapshot

    if events_from == "polling":
        monkeypatch.setitem(sys.modules, "watchfiles", None)  # import watchfiles: ImportError.
    (tmp_path / "normalize.py").write_text("x = 1\n")
    seen = snapshot(tmp_path)
    (tmp_path / "reshape.py").write_text("y = 2\n")  # Before the watching starts.
    heard = saves(tmp_path, seen)
    try:
        assert next(heard) == ["reshape.py"]
        (tmp_path / "normalize.py").write_text("x = 10\n")
        assert next(heard) == ["normalize.py"]
    finally:
        heard.close()  # The OS's events stop with it.


def test_watch_follows_a_notebook_file_itself(tmp_path):
    from grader.student.watch import snapshot

    notebook = tmp_path / "work.ipynb"
    notebook.write_text("{}")
    (tmp_path / "other.py").write_text("")
    assert list(snapshot(notebook)) == ["work.ipynb"]
