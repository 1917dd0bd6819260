"""Workers, and a batch's gradings, forked from processes that imported Keras once (grader/workers/host.py,
grader/instructor/gradings.py): they grade as new processes do, see only their own files, and survive a killed server.
Workers are forked without the sandbox (--sandbox off); under it, each is a new process (tests/test_sandbox.py)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import EXERCISES, SOLUTIONS, copy, grades, mnist_grade

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")

OPEN_FILES = """import json, os


def reshape_images(images):
    opened = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            opened.append(os.readlink(f"/proc/self/fd/{{fd}}"))
        except OSError:
            pass  # The folder listing's own, closed since.
    json.dump({{"files": sorted(opened), "own_session": os.getsid(0) == os.getpid()}}, open({seen!r}, "w"))
    return images.reshape(len(images), 784)
"""


@pytest.mark.slow
def test_a_forked_worker_has_only_its_own_pipes_open(tmp_path):
    """Forked alone (from a host) or in a batch (from the grading itself): no file of the grader's, no other
    worker's pipe; only its stdin, stdout, stderr and report, in a session of its own."""
    for command in ("grade", "batch"):
        seen = tmp_path / f"{command}.json"
        submission = copy(EXERCISES, tmp_path / command / "ann", reshape=OPEN_FILES.format(seen=str(seen)))
        if command == "grade":
            run = mnist_grade(str(submission))
        else:
            run = mnist_grade("batch", str(submission.parent), "--out", str(tmp_path / "out"), "--sandbox", "off")
        assert run.returncode in (0, 1), run.stderr
        found = json.loads(seen.read_text())
        assert found["own_session"]
        # stdin, stdout and stderr (both the pipe of what it prints) and the reports' pipe; nothing else.
        assert [name.startswith("pipe:") for name in found["files"]] == [True] * 4, found["files"]
        assert len(set(found["files"])) == 3


@pytest.mark.long
@pytest.mark.slow
def test_a_batch_grades_the_same_forked_or_in_new_processes(tmp_path, monkeypatch):
    """ann's model steps run in workers that use Keras, ben's data steps in workers that do not; nothing trains (a
    training forked is every other grading's here, and one in new processes is TensorFlow's, tests/test_runtime.py)."""
    class_ = tmp_path / "class"
    copy(SOLUTIONS, class_ / "ann", fit="def fit_model(model, images, labels):\n    raise NotImplementedError\n")
    copy(EXERCISES, class_ / "ben", reshape=(SOLUTIONS / "reshape.py").read_text())
    forked = mnist_grade("batch", str(class_), "--out", str(tmp_path / "forked"), "--sandbox", "off")
    monkeypatch.setenv("MNIST_PORTABLE", "1")  # New processes, as on macOS and Windows.
    new = mnist_grade("batch", str(class_), "--out", str(tmp_path / "new"), "--sandbox", "off")
    assert (forked.returncode, new.returncode) == (0, 0), forked.stderr + new.stderr
    assert grades(tmp_path / "forked") == grades(tmp_path / "new")
    assert [row[-3] for row in grades(tmp_path / "forked")[1:]] == ["65", "10"]


KILL_SERVER = """import psutil


def reshape_images(images):
    worker = psutil.Process()
    server = worker.parent().parent()  # The worker's parent is the grading, whose parent is the server.
    if "forkserver" in " ".join(server.cmdline()):
        server.kill()
        open({killed!r}, "w").write(str(server.pid))
    return images.reshape(len(images), 784)
"""


@pytest.mark.long
@pytest.mark.slow
def test_student_code_that_kills_the_batch_server_costs_nobody_a_point(tmp_path):
    """The grading of the student who did it goes on and keeps its points; the next one gets a new server, whose
    gradings import Keras (ben's model steps; nothing of his trains)."""
    class_ = tmp_path / "class"
    killed = tmp_path / "killed"
    copy(EXERCISES, class_ / "ann", reshape=KILL_SERVER.format(killed=str(killed)))
    copy(SOLUTIONS, class_ / "ben", fit="def fit_model(model, images, labels):\n    raise NotImplementedError\n")
    out = tmp_path / "out"
    run = mnist_grade("batch", str(class_), "--out", str(out), "--jobs", "1", "--sandbox", "off")
    assert run.returncode == 0, run.stderr
    assert killed.exists()  # ann's code did kill the server.
    rows = [(row[0], row[-3], row[-1]) for row in grades(out)[1:]]
    assert rows == [("ann", "10", "graded"), ("ben", "65", "graded")], (out / "ann" / "feedback.txt").read_text()


def test_a_prestarted_host_that_died_forks_nothing_and_leaves_no_pipe_open(tmp_path):
    """The host that imports Keras while a grading starts (host.Prestarted) was killed: its workers start otherwise
    (fork() says None), and closing it leaves none of their pipes open here."""
    from grader.workers import host, processes

    before = len(os.listdir("/proc/self/fd"))
    prestarted = host.Prestarted(2, dict(os.environ), str(tmp_path))
    assert len(os.listdir("/proc/self/fd")) == before + 2 * 3 + 2  # Two workers' pipes, the host's stdin, stdout.
    processes.kill_tree(prestarted.process)
    assert prestarted.fork([{}, {}]) is None
    prestarted.close()
    assert len(os.listdir("/proc/self/fd")) == before


def test_how_workers_start_is_settled_once_with_the_options(monkeypatch):
    """Launch is chosen when the options settle, and start() has a way for each: forked here (Linux, JAX), a new
    process each with MNIST_PORTABLE=1 (as on other OSes), and forked in a sandbox with --sandbox on."""
    from grader.engine.options import GradingOptions, settle
    from grader.workers.handle import STARTS, Launch, launch

    assert set(STARTS) == set(Launch)
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert settle(GradingOptions(str(SOLUTIONS))).launch == Launch.FORK
    assert json.loads(settle(GradingOptions(str(SOLUTIONS))).to_json())["launch"] == "fork"  # As it travels.
    monkeypatch.setenv("MNIST_PORTABLE", "1")
    assert settle(GradingOptions(str(SOLUTIONS))).launch == Launch.PROCESS
    assert launch(sandboxed=True) == Launch.SANDBOX


def test_where_the_server_s_socket_would_not_fit_gradings_start_as_new_processes(tmp_path):
    """TMPDIR deep enough (a test's, a cluster job's) that the server's Unix socket would pass 107 bytes: no server,
    each grading a new process, instead of a batch that fails."""
    check = ("from grader.instructor import gradings; gradings.prepare({}); "
             "print(gradings.can_fork_gradings())")
    found = {}
    for name, folder in (("short", tmp_path / "t"), ("deep", tmp_path / ("d" * 100))):
        folder.mkdir()
        found[name] = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120,
                                     env={**os.environ, "TMPDIR": str(folder)}).stdout.strip()
    assert found == {"short": "True", "deep": "False"}
