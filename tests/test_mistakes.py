"""Realistic wrong submissions fail at exactly the right step with the intended message; variants pass."""

import json
import os
import re
import shutil
import signal
import subprocess

import pytest
from conftest import SOLUTIONS, grade_steps, once
from variants import CORRECT, WRONG

from grader.course.steps import STEPS
from grader.workers.processes import running

# The steps to grade for a mistake in each step: compile is graded after the build it needs. A mistake that would
# show in a later step is graded with it, by its variant's name: that step is skipped, not failed.
GRADED_WITH = {"compile": ("build", "compile"), "build_mixed_precision": ("build", "compile", "fit", "accuracy"),
               "compile_caps_epochs": ("build", "compile", "fit")}


def snapshot(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


DATA_STEPS = ("reshape", "normalize", "one_hot")  # Each runs in a worker of its own (steps.worker_groups()).


def dealt(variants):
    """The variants {name: (step, files, …)} dealt into gradings of several each: one variant at most of each data
    step, and one of the model steps (which share a worker, so that a wrong build would skip a compile). Each
    variant's mistake stays in its own worker and file, so that each grading shows each of its variants' verdicts as
    a grading of that variant alone would: [[name, …], …], in the same order on every test worker."""
    queues = {kind: [name for name, (step, *_) in variants.items() if (step if step in DATA_STEPS else "model") == kind]
              for kind in (*DATA_STEPS, "model")}
    return [[queue[index] for queue in queues.values() if index < len(queue)]
            for index in range(max(len(queue) for queue in queues.values()))]


def graded_together(kind, variants, name):
    """The grading of the group of `variants` (dealt()) that holds `name`, made once for the session's test workers
    (conftest.once()): (its submission folder, the finished grading, whether the student's files are unchanged)."""
    index, group = next((index, group) for index, group in enumerate(dealt(variants)) if name in group)
    steps = [step for member in group for step in GRADED_WITH.get(member, GRADED_WITH.get(variants[member][0],
                                                                                              (variants[member][0],)))]

    def grade(folder):
        submission = folder / "submission"
        shutil.copytree(SOLUTIONS, submission, ignore=shutil.ignore_patterns("__pycache__", "__*__.py"))
        for member in group:
            for step, code in variants[member][1].items():
                (submission / f"{step}.py").write_text(code)
        before = snapshot(submission)
        done = grade_steps(submission, *dict.fromkeys(steps))
        (folder / "graded.json").write_text(json.dumps([done.returncode, done.stdout, done.stderr,
                                                         snapshot(submission) == before]))

    folder = once(f"mistakes-{kind}-{index}", grade)
    code, stdout, stderr, unchanged = json.loads((folder / "graded.json").read_text())
    return folder / "submission", subprocess.CompletedProcess(steps, code, stdout, stderr), unchanged, group


@pytest.mark.slow
@pytest.mark.parametrize("name", WRONG)
def test_wrong_submission_fails_its_step(name):
    """Graded with other variants of other steps (dealt()): its step fails with the intended message, and what to
    fix next is its step when it is the first of the grading's failing steps."""
    if "SIGKILL" in str(WRONG[name][1]) and os.name != "posix":
        pytest.skip("the submission kills itself with SIGKILL, which only POSIX has")
    step, files, expected = WRONG[name]
    folder, graded, unchanged, group = graded_together("wrong", WRONG, name)
    assert graded.returncode == 1, graded.stdout + graded.stderr
    assert expected.format(folder=folder) in graded.stdout
    assert re.search(rf"^✗ {step} ", graded.stdout, re.MULTILINE), graded.stdout
    first = min((WRONG[member][0] for member in group), key=list(STEPS).index)
    if step == first:
        assert f"Next: fix {step} in {folder}/{step}.py, then grade again." in graded.stdout
    assert unchanged, "grading changed the student's files"


@pytest.mark.slow
@pytest.mark.parametrize("name", CORRECT)
def test_correct_variant_passes(name):
    step, files = CORRECT[name]
    _folder, graded, _unchanged, _group = graded_together("correct", CORRECT, name)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert re.search(rf"^✓ {step} +(\d+)/\1(  note: .*)?$", graded.stdout, re.MULTILINE), graded.stdout
    assert "shape before" not in graded.stdout  # What student code prints stays out of the grade.


def test_variants_are_dealt_one_per_worker_into_each_grading():
    """No grading holds two variants of one data step, or two of the model steps; every variant is in one."""
    for variants in (WRONG, CORRECT):
        groups = dealt(variants)
        assert sorted(name for group in groups for name in group) == sorted(variants)
        for group in groups:
            kinds = [variants[name][0] if variants[name][0] in DATA_STEPS else "model" for name in group]
            assert len(kinds) == len(set(kinds)), group
    assert len(dealt(WRONG)) < len(WRONG) * 0.7


@pytest.mark.slow
@pytest.mark.parametrize("hardening", ["posix", "portable"])
def test_hang_costs_only_its_limit_and_its_processes_are_stopped(hardening, submission, tmp_path):
    """Also with only what every OS has (MNIST_PORTABLE=1: no sessions, process groups or subreaper, as on
    Windows): the same verdicts, and the process the hanging step started is stopped."""
    pid_file = tmp_path / "child.pid"
    folder = submission(
        reshape=(
            "import subprocess, sys\n\n\ndef reshape_images(images):\n"
            "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
            f"    open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            "    while True: pass  # One line: the stack shows it wherever the loop is.\n"
        ),
        normalize="import sys\n\n\ndef normalize_images(images):\n    sys.exit(0)\n",
        one_hot="import os\n\n\ndef one_hot_labels(labels):\n    os._exit(3)\n",
    )
    env = {"MNIST_PORTABLE": "1"} if hardening == "portable" else {}
    graded = grade_steps(folder, "reshape", "normalize", "one_hot", "build", timeout=10, env=env)
    assert graded.returncode == 1
    where = [f"      {folder / 'reshape.py'}, line 7, in reshape_images",
             "        while True: pass  # One line: the stack shows it wherever the loop is."]
    assert graded.stdout.splitlines()[2:] == [
        "✗ reshape    0/10",
        "    reshape did not finish within 10 s and was stopped",
        *(where if hasattr(signal, "SIGUSR1") else []),  # Where the loop was, on POSIX.
        "    Help: look for a loop that never ends, or a call that waits for input.",
        "✗ normalize  0/10",
        "    normalize_images() called sys.exit(0), which would end the program",
        "    Help: return the result instead of exiting.",
        "✗ one_hot    0/10",
        "    the process running one_hot ended before your code returned (exit code 3)",
        "    Help: something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.",
        "✓ build      20/20",  # One broken step hides no other.
        "",
        "Score: 20/50 (1 of 4 steps done)",
        f"Next: fix reshape in {folder / 'reshape.py'}, then grade again.",
    ], graded.stdout
    assert not running(int(pid_file.read_text()))


@pytest.mark.slow
def test_a_worker_slow_to_start_costs_its_step_no_time(submission, tmp_path):
    """A worker that takes 3 s to start (a busy machine; here a sitecustomize that sleeps, in new processes only)
    still gives its step the whole 2 s: a step's time counts from when its worker said it was ready."""
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text("import time\n\ntime.sleep(3)\n")
    graded = grade_steps(submission(), "reshape", timeout=2, env={"MNIST_PORTABLE": "1", "PYTHONPATH": str(slow)})
    assert graded.returncode == 0, graded.stdout
    assert "✓ reshape    10/10" in graded.stdout


@pytest.mark.slow
def test_low_accuracy_fails_with_the_reference_quoted(submission):
    """The seed's network, compiled and fitted as the seed does, but with weights that start at zero: they never
    learn (every hidden unit stays 0), and only the accuracy check fails."""
    folder = submission(build=(
        "import keras\nfrom keras import layers\n\n\ndef build_model():\n"
        "    return keras.Sequential([keras.Input(shape=(784,)),\n"
        "                             layers.Dense(512, activation='relu', kernel_initializer='zeros'),\n"
        "                             layers.Dense(10, activation='softmax', kernel_initializer='zeros')])\n"
    ))
    graded = grade_steps(folder, "fit", "accuracy")
    assert graded.returncode == 1
    assert "✓ fit        15/15\n" in graded.stdout
    found = re.search(
        r"^✗ accuracy   0/20\n"
        r"    expected at least 0\.97, got (0\.\d{4}) \(the reference solution reaches about 0\.978\)\n"
        r"    Help: train as the seed does: rmsprop, 5 epochs, batches of 128, on images scaled to \[0, 1\]\.\n",
        graded.stdout, re.MULTILINE,
    )
    assert found and float(found.group(1)) < 0.97, graded.stdout


def test_tensorflow_missing_says_the_course_needs_only_keras(tmp_path):
    """Where TensorFlow is not installed (the default), `from tensorflow.keras…` gets a line that says what to write."""
    from grader.engine.problems import failure_of
    from grader.workers.handle import Run

    run = Run("one_hot", tmp_path, tmp_path, facts={
        "status": "error", "step": "one_hot", "when": "import", "frames": [],
        "exception": "ModuleNotFoundError: No module named 'tensorflow'"})
    assert failure_of(run).help == ("TensorFlow is not installed, and this course does not need it: `import keras` and "
                                  "write keras.… instead of tensorflow.keras.….")


# The facts a worker or the grading process gives with each status (grader/workers/protocol.py).
FACTS = {"not_attempted": {}, "missing": {}, "exit": {"code": "0"}, "changed": {"setting": "floatx", "value": "float16",
         "was": "float32"}, "error": {"exception": "ValueError: no"}, "stopped": {}, "grader_error": {"exception": "E"},
         "timeout": {"limit": 10.0}, "crashed": {"ended": "exit code 3"}, "scratch_full": {"limit": 100.0}}


def test_every_status_of_a_step_has_its_one_message(tmp_path):
    """Each StepStatus but OK reads as a problem of its own; GRADER_ERROR and STOPPED as the grader's."""
    from grader.engine.problems import failure_of
    from grader.workers.handle import Run
    from grader.workers.protocol import StepStatus

    assert set(FACTS) == set(StepStatus) - {StepStatus.OK}
    assert failure_of(Run("build", tmp_path, tmp_path, facts={"status": "ok"})) is None
    assert Run("build", tmp_path, tmp_path, facts={"status": "forged"}).status == StepStatus.CRASHED
    texts = {status: failure_of(Run("build", tmp_path, tmp_path, facts={"status": status, "step": "build", **facts}))
             .text() for status, facts in FACTS.items()}
    assert texts["stopped"] == texts["grader_error"].replace("E", "None") != texts["crashed"]
    assert len(set(texts.values()) - {texts["stopped"]}) == len(FACTS) - 1
    assert texts["changed"] == (
        'build_model() changed a global setting of Keras: keras.config.floatx() is now "float16", not "float32"\n'
        "Help: a step may change only what it returns: every later step would run with this setting. Remove the "
        "call that sets it (keras.config.set_floatx, keras.backend.set_floatx)."), texts["changed"]


def test_a_worker_s_start_up_allowance_ends_at_the_grading_s_deadline(tmp_path):
    """Before a worker says it is ready, its first step has START_LIMIT more than its own limit, but never past the
    grading's deadline (its time budget: it must end with a grade); once ready, its own limit alone."""
    import time

    from grader.workers.handle import START_LIMIT, Place, Shared, Worker

    def worker(**settings):  # Not started: _overdue() reads only its clock and what it heard.
        found = Worker(Place(("reshape",), tmp_path, tmp_path, {}, {}, None, None, False), Shared(tmp_path, tmp_path,
                                                                                                 **settings))
        found.clock = time.monotonic() - 30
        return found

    assert START_LIMIT > 10 and not worker()._overdue(20)  # 30 s of start-up: within 20 + START_LIMIT.
    assert not worker(deadline=time.monotonic() + 5)._overdue(20)  # 5 s left before the deadline.
    assert worker(deadline=time.monotonic() - 1)._overdue(20)  # The deadline has passed: stopped, whatever allowed.
    ready = worker()
    ready.heard.ready_at = ready.clock
    assert ready._overdue(20)


@pytest.mark.slow
@pytest.mark.parametrize("lang, line", [
    ("en", "✓ build      20/20  note: Keras 3 starts a model with keras.Input(shape=(784,)); input_shape= on a layer "
           "still works, with a warning"),
    ("zh", "✓ build      20/20  注：Keras 3 用 keras.Input(shape=(784,)) 作为模型的开头；"
           "在层上写 input_shape= 仍然可以用，但会有警告"),
])
def test_the_seed_s_input_shape_keeps_its_points_with_a_note(lang, line, submission):
    """The seed's own Dense(512, input_shape=(784,)): Keras 3 warns, so the student learns keras.Input."""
    graded = grade_steps(submission(**CORRECT["build_seed_style"][1]), "build", env={"MNIST_LANG": lang})
    assert graded.returncode == 0, graded.stdout
    assert line in graded.stdout.splitlines()



@pytest.mark.slow
def test_chinese_reads_as_chinese(submission):
    """Expected and got in a native sentence, with a space before a Latin value only; 独热编码 and 修正."""
    one_hot = "def one_hot_labels(labels):\n    return labels.astype('float32')\n"
    graded = grade_steps(submission(one_hot=one_hot), "one_hot", env={"MNIST_LANG": "zh"})
    lines = graded.stdout.splitlines()
    assert "      应该得到 (1000, 10)，实际得到 (1000,)" in lines
    assert "      应该得到形状为 (1000, 10) 的值，实际得到形状为 (1000,) 的值" in lines
    assert "      提示：每个标签需要一行 10 个值：to_categorical(labels, 10) 可以生成它们。" in lines


@pytest.mark.slow
@pytest.mark.parametrize("name, line", [
    ("one_hot_without_num_classes", "      应该得到 (1, 10)，实际得到 (1, 6)（输入：单独一个标签）"),
    ("reshape_fixed_1000", "    reshape_images()（输入：60,000 张训练图像） 抛出了 ValueError: cannot reshape "
                           "array of size 47040000 into shape (1000,784)"),
])
def test_chinese_names_the_program_s_input_a_step_failed_on(name, line, submission):
    """A failure on one of the program's inputs, not the sample, says which, in Chinese too."""
    step, files, _ = WRONG[name]
    graded = grade_steps(submission(**files), step, env={"MNIST_LANG": "zh"})
    assert line in graded.stdout.splitlines(), graded.stdout


@pytest.mark.slow
@pytest.mark.parametrize("lang, notice, stopped, where", [
    ("en", "  reshape is still running after 5 s (it is stopped at 7 s)…",
     "    reshape did not finish within 7 s and was stopped", "      {path}, line 2, in reshape_images"),
    ("zh", "  reshape 已经运行了 5 秒，还没有结束（到 7 秒时会被停止）…", "    reshape 没有在 7 秒内完成，已被停止",
     "      {path}，第 2 行，在 reshape_images 中"),
])
def test_a_stopped_step_says_it_is_running_and_where_it_was(lang, notice, stopped, where, submission):
    """A loop that never ends: on a terminal (FORCE_COLOR makes rich treat the pipe as one) said to be still
    running after 5 s, then stopped at its limit with its line (POSIX)."""
    folder = submission(reshape="def reshape_images(images):\n    while True: pass\n")
    terminal = {"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    graded = grade_steps(folder, "reshape", timeout=7, env={"MNIST_LANG": lang, **terminal})
    lines = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", graded.stdout).splitlines()
    assert lines[2:5] == [notice, "✗ reshape    0/10", stopped]
    if hasattr(signal, "SIGUSR1"):
        assert lines[5:7] == [where.format(path=folder / "reshape.py"), "        while True: pass"]
