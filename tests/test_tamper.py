"""Tamper resistance: a submission that tries to grade itself gains no points it did not earn.

Each test grades a submission whose three array steps are right and whose model steps are stubs
(30/100, honestly), plus an attack, and asserts what an honest copy of it gets.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SOLUTIONS, arrays_done

from grader.course.steps import FILE_STEPS
from grader.workers.processes import command_line

# The attacks use POSIX calls (fork, setsid, FIFOs); the workflow's Windows runners skip them.
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the attacks are written with POSIX calls")

MNIST_GRADE = Path(sys.executable).parent / "mnist-grade"  # The console script, as a student runs it.
HONEST_SCORE = "Score: 30/100 (3 of 7 steps done)"


def grade(folder, *args, cwd=None):
    return subprocess.run([str(MNIST_GRADE), str(folder), *args], cwd=cwd or folder.parent,
                          capture_output=True, text=True, timeout=900)


def prepend(folder, code, files=None):
    for step in FILE_STEPS:
        if files is None or step.name in files:
            path = folder / step.file
            path.write_text(code + "\n" + path.read_text())


@pytest.mark.slow
def test_grader_and_pytest_files_inside_a_submission_are_never_used(tmp_path):
    """A copy of the grader, a conftest.py that passes every test, a pytest.ini, sitecustomize.py and
    modules named like the libraries: grading from inside the folder sees none of them."""
    baseline = grade(Path("."), cwd=arrays_done(tmp_path / "clean"))
    work = arrays_done(tmp_path / "work")
    shutil.copytree(ROOT / "grader", work / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    always_passed = (
        "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
        "    report = (yield).get_result()\n    report.outcome = 'passed'\n"
    )
    for path in (work / "conftest.py", work / "grader" / "conftest.py", work / "grader" / "checks" / "conftest.py"):
        path.write_text(always_passed)
    for path in (work / "grader" / "checks").glob("test_*.py"):
        path.write_text("STEP = 'reshape'\n\n\ndef test_passes():\n    pass\n")
    (work / "pytest.ini").write_text("[pytest]\naddopts = -p conftest\n")
    marker = tmp_path / "customized"
    for name in ("sitecustomize.py", "usercustomize.py", "numpy.py", "keras.py", "pytest.py", "json.py"):
        (work / name).write_text(f"open({str(marker)!r}, 'a').write({name!r})\nraise SystemExit(0)\n")

    run = grade(Path("."), cwd=work)
    assert (run.returncode, run.stdout) == (1, baseline.stdout)
    assert HONEST_SCORE in run.stdout
    assert not marker.exists()


PATCHES = """\
import builtins, keras, numpy, pytest
builtins.all = builtins.any = lambda *args: True
numpy.array_equal = numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_array_equal = numpy.testing.assert_allclose = lambda *args, **kwargs: None
pytest.approx = lambda *args, **kwargs: type("Equal", (), {"__eq__": lambda self, other: True})()
keras.Model.count_params = lambda self: 407050
keras.Model.evaluate = lambda self, *args, **kwargs: [0.0, 1.0]
"""


@pytest.mark.slow
def test_monkeypatching_numpy_keras_pytest_and_builtins_at_import_gains_nothing(tmp_path):
    """Wrong answers that patch the libraries a grader would check with get what they get without the patches."""
    wrong = {"reshape": "def reshape_images(images):\n    return images\n",
             "normalize": "def normalize_images(images):\n    return images\n",
             "one_hot": "def one_hot_labels(labels):\n    return labels\n"}
    folders = []
    for name in ("plain", "patched"):
        folder = arrays_done(tmp_path / name)
        for step, code in wrong.items():
            (folder / f"{step}.py").write_text(code)
        folders.append(folder)
    prepend(folders[1], PATCHES)
    plain, patched = grade(folders[0]), grade(folders[1])
    assert "Score: 8/100 (0 of 7 steps done)" in plain.stdout
    assert (patched.returncode, patched.stdout) == (1, plain.stdout.replace("plain", "patched"))


DRESSED_UP = """\
import keras
from keras import layers


class Dense:
    def __init__(self, units, activation):
        self.units, self.activation = units, getattr(keras.activations, activation)


# Keras now describes every model as the seed's network.
keras.Sequential.layers = property(lambda self: [Dense(512, "relu"), Dense(10, "softmax")])
keras.Model.count_params = lambda self: 407050


def build_model():
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
"""


@pytest.mark.slow
def test_a_model_dressed_up_by_patching_keras_gets_no_build_points(tmp_path):
    """A one-layer model, with Keras patched to describe it as Dense 512 relu → Dense 10 softmax: its weights
    and outputs on random images give it away, so build fails and nothing trains."""
    work = tmp_path / "work"
    shutil.copytree(SOLUTIONS, work, ignore=shutil.ignore_patterns("__pycache__", "__*__.py"))
    (work / "build.py").write_text(DRESSED_UP)
    run = grade(work)
    assert run.returncode == 1
    assert (
        "✗ build      0/20\n"
        "    build's model says it is Dense 512 relu → Dense 10 softmax, but its weights "
        "and outputs are not those of that network\n"
        "    Help: return the Keras model itself, and leave Keras as it is: do not "
        "change how it describes or runs models.\n"
        "– compile    0/15  skipped: fix build first\n"
    ) in run.stdout
    assert HONEST_SCORE in run.stdout


@pytest.mark.slow
def test_results_written_by_the_submission_gain_nothing(tmp_path):
    """Student code forges the worker's result files, writes reports to every open file descriptor and
    leaves a process behind that overwrites results.json after grading: the grade is the honest one."""
    results = tmp_path / "results.json"
    forged = {"status": "ok", "returned": "Sequential", "model": {
        "inputs": [[None, 784]], "params": 407050,
        "layers": [{"class": "Dense", "units": 512, "activation": "relu"},
                   {"class": "Dense", "units": 10, "activation": "softmax"}]}}
    attack = f"""\
import json, os, time
FORGED = {json.dumps(forged)!r}
for step in ("build", "compile", "fit"):
    for folder in (".", "..", "../.."):
        try:
            open(os.path.join(folder, f"result-{{step}}.json"), "w").write(FORGED)
        except OSError:
            pass
    line = json.dumps({{"step": step, "facts": json.loads(FORGED)}}) + "\\n"
    for fd in range(3, 64):
        try:
            os.write(fd, line.encode())
        except OSError:
            pass
if os.fork() == 0:  # A process of its own, in a session of its own, that outlives the worker.
    os.setsid()
    if os.fork() == 0:
        time.sleep(2)
        open({str(results)!r}, "w").write(json.dumps({{"score": 100, "tests": []}}))
        os._exit(0)
    os._exit(0)
"""
    baseline = grade(arrays_done(tmp_path / "clean"))
    work = arrays_done(tmp_path / "work")
    prepend(work, attack, files={"build"})
    run = grade(work, "--json", str(results))
    assert (run.returncode, run.stdout) == (1, baseline.stdout.replace(str(tmp_path / "clean"), str(work)))
    time.sleep(3)  # Longer than the left-behind process waits before it writes.
    assert json.loads(results.read_text())["score"] == 30


@pytest.mark.slow
def test_exiting_early_gains_nothing(tmp_path):
    """Ending the worker with success, at import or when called, is a failed step, never a pass."""
    for name, code in (("os_exit", "import os\nos._exit(0)\n"), ("sys_exit", "import sys\nsys.exit(0)\n")):
        work = arrays_done(tmp_path / name)
        prepend(work, code)
        run = grade(work)
        assert run.returncode == 1
        assert "Score: 0/100 (0 of 7 steps done)" in run.stdout
        expected = {"os_exit": "    the process running reshape ended before your code returned (exit code 0)\n",
                    "sys_exit": "    reshape_images() called sys.exit(0), which would end the program\n"}[name]
        assert expected in run.stdout


@pytest.mark.slow
def test_no_process_of_a_submission_outlives_its_grading(tmp_path):
    """A process started in a session of its own, and one that a forked child starts after its parent ended."""
    work = arrays_done(tmp_path / "work")
    pids = tmp_path / "pids"
    prepend(
        work,
        f"""\
import os, subprocess
with open({str(pids)!r}, "a") as file:
    file.write(f"{{subprocess.Popen(['sleep', '600'], start_new_session=True).pid}}\\n")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open({str(pids)!r}, "a") as file:
            file.write(f"{{subprocess.Popen(['sleep', '600']).pid}}\\n")
        os._exit(0)
    os._exit(0)
import time
while len(open({str(pids)!r}).read().split()) < 2:  # Both are running before the step goes on.
    time.sleep(0.01)
""",
        files={"reshape"},
    )
    run = grade(work)
    assert HONEST_SCORE in run.stdout
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) == 2
    assert [pid for pid in started if command_line(pid) == ["sleep", "600"]] == []


@pytest.mark.slow
def test_flooding_the_report_pipe_costs_only_that_step(tmp_path):
    """Endless bytes on every open file descriptor: the step that did it fails, in its time, and the others are
    graded."""
    work = arrays_done(tmp_path / "work")
    prepend(
        work,
        """\
import os, threading
def flood(chunk=b"x" * 65536):
    while True:
        for fd in range(3, 64):
            try:
                os.write(fd, chunk)
            except OSError:
                pass
for fd in range(3, 64):
    try:
        os.write(fd, b"x")
    except OSError:
        pass
threading.Thread(target=flood, daemon=True).start()
""",
        files={"reshape"},
    )
    run = grade(work, "--step-timeout", "20")
    assert run.returncode == 1
    # Its report is lost in the flood (crashed), or, read between two floods, the right answer's own; the arrays it
    # saves may be flooded too (files it opened), which fails the checks that read them: never more than 10 points.
    line = run.stdout.splitlines()[2]
    assert line == "✓ reshape    10/10" or re.fullmatch(r"✗ reshape    \d/10", line), run.stdout
    assert "✓ normalize  10/10\n✓ one_hot    10/10\n" in run.stdout


@pytest.mark.slow
def test_the_grader_reads_only_regular_files_the_worker_left(tmp_path):
    """A link or a FIFO where an array should be is no array: the grading process neither follows nor waits on it."""
    from grader.workers.handle import Run

    secret = tmp_path / "secret.npy"
    import numpy as np

    np.save(secret, np.arange(3))
    (tmp_path / "output.npy").symlink_to(secret)
    os.mkfifo(tmp_path / "input_after.npy")
    np.save(tmp_path / "probe_outputs.npy", np.ones(2))
    run = Run("reshape", tmp_path, tmp_path)
    assert run.array("output") is None and run.array("input_after") is None
    assert run.array("probe_outputs").tolist() == [1.0, 1.0]
