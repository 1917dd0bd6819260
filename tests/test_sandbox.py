"""--sandbox: student code under bubblewrap reaches no network, no file outside its submission and scratch
folder, no other process and no secret in the environment, while its correct steps keep their points."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import psutil
import pytest
from conftest import EXERCISES, ROOT, SOLUTIONS, grade_steps, mnist_grade

from grader.workers import bubblewrap

needs_bubblewrap = pytest.mark.needs("sandbox")

# Each step attacks, and fails saying what it gained when it gains anything; else it does its work.
ATTACKS = {
    "reshape": '''import gc
import os
import socket


def seen(token):
    """Whether `token` is anywhere this process can look: any process's variables and command line, and every
    list, tuple and dict of its Python memory."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for what in ("environ", "cmdline"):
            try:
                if token.encode() in open(f"/proc/{{pid}}/{{what}}", "rb").read():
                    return True
            except OSError:
                pass
    for item in gc.get_objects():
        values = [*item.keys(), *item.values()] if isinstance(item, dict) else item if isinstance(
            item, (list, tuple)) else ()
        if any(isinstance(value, str) and token in value or isinstance(value, bytes) and token.encode() in value
               for value in values):
            return True
    return False


def reshape_images(images):
    token = "".join(reversed("terces-phg"))  # Made here, so that the search cannot find its own text.
    gained = ["the token " + os.environ["GITHUB_TOKEN"]] if "GITHUB_TOKEN" in os.environ else []
    if seen(token):
        gained.append("the token in memory")
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"stolen")
        gained.append("a connection to 127.0.0.1")
    except OSError:
        pass
    if gained:
        raise RuntimeError("got " + " and ".join(gained))
    return images.reshape(len(images), 784)
''',
    "normalize": '''def normalize_images(images):
    gained = []
    for path in {secrets!r}:
        try:
            gained.append(open(path).read())
        except OSError:
            pass
    if gained:
        raise RuntimeError("read " + " and ".join(gained))
    return images.astype("float32") / 255
''',
    "one_hot": '''import os

from keras.utils import to_categorical


def one_hot_labels(labels):
    wrote = []
    cache = os.environ.get("JAX_COMPILATION_CACHE_DIR")  # What other gradings' training reads.
    for path in {targets!r} + ([os.path.join(cache, "poisoned")] if cache else []):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)  # JAX makes its cache folder when it first compiles.
            open(path, "w").write("escaped")
            wrote.append(os.path.basename(os.path.dirname(path)))
        except OSError:
            pass
    if wrote:
        raise RuntimeError("wrote into " + " and ".join(wrote))
    return to_categorical(labels, 10)
''',
    "build": '''import os
import signal

import keras
from keras import layers


def build_model():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            seen = open(f"/proc/{{pid}}/cmdline", "rb").read()
        except OSError:
            continue
        if {sentinel!r}.encode() in seen:
            os.kill(int(pid), signal.SIGKILL)
            raise RuntimeError("saw and killed another process")
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                             layers.Dense(10, activation="softmax")])
''',
}


def hanging_reshape(name):
    """A reshape that starts a process with `name` on its command line, then loops for ever (line 6)."""
    return ("import subprocess, sys\n\n\ndef reshape_images(images):\n"
            f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {name!r}])\n"
            "    while True: pass\n")


def named(name):
    """The processes with `name` on their command line."""
    return [process for process in psutil.process_iter(["cmdline"]) if name in (process.info["cmdline"] or [])]


@pytest.fixture
def server():
    """A server on 127.0.0.1 that keeps what each connection sent."""
    listening = socket.create_server(("127.0.0.1", 0))
    listening.settimeout(0.2)
    received, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _address = listening.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                received.append(connection.recv(100))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listening.getsockname()[1], received
    stop.set()
    thread.join()
    listening.close()


@pytest.fixture
def sentinel():
    """Another process on the machine, with a name of its own."""
    name = f"sentinel-{uuid.uuid4().hex}"
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", name])
    yield name, process
    process.kill()
    process.wait()


@pytest.mark.long
@pytest.mark.slow
@needs_bubblewrap
def test_student_code_in_the_sandbox_gains_nothing_and_keeps_its_points(tmp_path, server, sentinel):
    """A batch (the sandbox is its default): alice's code tries the network, a file outside her submission,
    bob's submission, the environment's secrets (its variables, any process's, her process's memory), writing
    outside her scratch folder and other processes. She gets 100/100 in the batch and graded alone, bob his own
    (the stubs': nothing of his trains), and none of it works; graded without the sandbox, each of them does."""
    port, received = server
    name, process = sentinel
    class_, outside = tmp_path / "class", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the instructor's key")
    (tmp_path / "tmp").mkdir()
    bob = shutil.copytree(EXERCISES, class_ / "bob", ignore=shutil.ignore_patterns("__pycache__"))
    alice = shutil.copytree(SOLUTIONS, class_ / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    (bob / "secret.txt").write_text("bob's work")
    targets = [str(outside / "written.txt"), str(tmp_path / "tmp" / "written.txt"), str(bob / "written.txt")]
    for step, code in ATTACKS.items():
        (alice / f"{step}.py").write_text(code.format(port=port, secrets=[str(outside / "secret.txt"),
                                                      str(bob / "secret.txt")], targets=targets, sentinel=name))
    env = {**os.environ, "GITHUB_TOKEN": "ghp-secret", "TMPDIR": str(tmp_path / "tmp")}
    out = tmp_path / "out"

    batch = subprocess.run([sys.executable, "-m", "grader.cli", "batch", str(class_), "--out", str(out)], cwd=ROOT,
                           capture_output=True, text=True, timeout=900, env=env)
    assert batch.returncode == 0, batch.stderr
    assert "without a sandbox" not in batch.stderr
    assert [line.split(",")[-3:] for line in (out / "grades.csv").read_text().splitlines()[1:]] == [
        ["100", "100", "graded"], ["0", "100", "graded"]]
    assert "Score: 100/100" in (out / "alice" / "feedback.txt").read_text()
    assert received == [] and process.poll() is None
    assert not any(os.path.exists(target) for target in targets)
    compiled = Path(os.environ["MNIST_CACHE"]) / "jax-sandbox"  # Made by the grader, read by the workers.
    assert [path.name for path in compiled.glob(".filled-*")] and not (compiled / "poisoned").exists()
    # Graded alone, the workers come from a new host rather than from a fork of the grading: the same.
    alone = subprocess.run([sys.executable, "-m", "grader.cli", str(alice), "--sandbox", "on"], cwd=ROOT,
                           capture_output=True, text=True, timeout=900, env=env)
    assert "Score: 100/100" in alone.stdout, alone.stdout
    assert received == [] and process.poll() is None and not any(os.path.exists(target) for target in targets)

    unguarded = subprocess.run([sys.executable, "-m", "grader.cli", str(alice), "--sandbox", "off"], cwd=ROOT,
                               capture_output=True, text=True, timeout=900, env=env)
    failed = re.findall(r"raised RuntimeError: (.*)", unguarded.stdout)
    assert failed == ["got the token ghp-secret and the token in memory and a connection to 127.0.0.1",
                      "read the instructor's key and bob's work", "wrote into outside and tmp and bob and jax",
                      "saw and killed another process"], unguarded.stdout
    assert received == [b"stolen"] and process.wait(timeout=10) == -signal.SIGKILL


@pytest.mark.long
@pytest.mark.slow
@needs_bubblewrap
def test_in_the_sandbox_a_hang_an_exit_and_a_kill_read_as_without_it(submission):
    """The same verdicts as without the sandbox: where a loop was, an exit code, a signal; and what the
    hanging step started is stopped with it."""
    name = f"sentinel-{uuid.uuid4().hex}"
    folder = submission(
        reshape=hanging_reshape(name),
        one_hot="import os\n\n\ndef one_hot_labels(labels):\n    os._exit(3)\n",
        build="import os\nimport signal\n\n\ndef build_model():\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    graded = grade_steps(folder, "reshape", "one_hot", "build", timeout=10, sandbox="on")
    lines = graded.stdout.splitlines()
    first = lines.index("✗ reshape    0/10")  # After what grading says first (the sandbox's programs compiled).
    assert lines[first:first + 3] == ["✗ reshape    0/10", "    reshape did not finish within 10 s and was stopped",
                                      f"      {folder / 'reshape.py'}, line 6, in reshape_images"], graded.stdout
    assert "    the process running one_hot ended before your code returned (exit code 3)" in lines
    assert "    the process running build ended before your code returned (killed by signal SIGKILL)" in lines
    assert named(name) == []


@pytest.mark.slow
@needs_bubblewrap
def test_a_sandbox_dies_with_the_grading_that_started_it(submission):
    """The grading process killed outright, with no chance to stop its workers: what student code started in
    the sandbox goes with it."""
    name = f"sentinel-{uuid.uuid4().hex}"
    folder = submission(reshape=hanging_reshape(name))
    grading = subprocess.Popen([sys.executable, "-m", "grader.cli", str(folder), "--step", "reshape",
                                "--sandbox", "on"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # Until the sandboxed code has started its process.
            if named(name) or grading.poll() is not None:
                break
            time.sleep(0.1)
        assert named(name), "the sandboxed code never started its process"
    finally:
        grading.kill()
        grading.wait()
    assert psutil.wait_procs(named(name), timeout=10)[1] == [], named(name)


def points(results):
    """Each check's points, from a results.json."""
    return [(test["name"], test["score"]) for test in results["tests"]]


def graded_json(folder, *options, env=None, cwd=ROOT, command=()):
    """mnist-grade FOLDER OPTIONS --json, with `env`, run through `command` (a prefix); the results.json."""
    out = Path(folder).parent / f"results-{uuid.uuid4().hex}.json"
    graded = subprocess.run([*command, sys.executable, "-m", "grader.cli", str(folder), "--json", str(out), *options],
                            cwd=cwd, capture_output=True, text=True, timeout=900, env=env)
    assert graded.returncode in (0, 1) and out.exists(), graded.stdout + graded.stderr
    return json.loads(out.read_text())


def fresh_home(folder):
    """Variables of a new machine's user: HOME, XDG_CACHE_HOME and KERAS_HOME empty, no cache of the grader's."""
    home = Path(folder) / "home"
    home.mkdir(parents=True)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("MNIST_CACHE", "MNIST_SANDBOX", "XDG_", "MPLCONFIGDIR"))}
    return {**env, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "KERAS_HOME": str(home / ".keras")}


def test_no_path_of_one_machine_is_in_the_grader(tmp_path):
    """No home folder of any machine in the grader's code, and a sandbox binds only what the grader names: the
    system, Python, the grader's package, the submission, the inputs, the compiled programs and the scratch folders."""
    # A string that starts with a home folder, of Linux, macOS or Windows.
    homes = re.compile(r"""["'](/root|/home/[^/"']+|/Users/[^/"']+|[A-Za-z]:\\+Users\\+[^\\"']+)[/\\"']""")
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}" for path in sorted((ROOT / "grader").rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1) if homes.search(line)]
    assert found == []
    made = {name: tmp_path / name for name in ("submission", "inputs", "scratch", "compiled")}
    sandbox = bubblewrap.Sandbox(made["submission"], [made["inputs"]], [made["scratch"]], 64, made["compiled"])
    command = sandbox.command(9)
    bound = {command[i + 1] for i, option in enumerate(command) if option in ("--ro-bind", "--bind", "--dev-bind")}
    named = {*bubblewrap.SYSTEM, *bubblewrap.python_folders(bubblewrap.SYSTEM), str(bubblewrap.GRADER),
             *(str(path) for name, path in made.items() if name != "scratch")}
    assert bound and bound <= named, bound - named
    assert "--bind" not in command and "--dev-bind" not in command  # Nothing of the machine is writable.
    assert command[command.index("--tmpfs") - 2:command.index("--tmpfs") + 2] == [
        "--size", str(64 << 20), "--tmpfs", str(made["scratch"])]


def traversable_by_others(path):
    return bool(os.stat(path).st_mode & 0o001)


def seen_by_others(paths):
    """bubblewrap options that let any user reach `paths` read-only, where a folder above one lets only its owner in:
    that folder becomes an empty tmpfs, once, and each folder below it on the way to a path is bound back, once (a
    second tmpfs would hide the binds made in the first); deeper such folders get the same, inside."""
    options, emptied, bound = [], set(), set()
    for path in sorted(set(map(os.path.realpath, paths))):
        parts = Path(path).parts
        for depth in range(1, len(parts)):
            above, below = Path(*parts[:depth]), Path(*parts[:depth + 1])
            if traversable_by_others(above):
                continue
            if above not in emptied:
                options += ["--tmpfs", str(above)]
                emptied.add(above)
            if below not in bound:
                options += ["--ro-bind", str(below), str(below)]
                bound.add(below)
    return options


def test_folders_only_root_enters_are_emptied_once_and_each_path_bound_back():
    """The clone in a folder only root can enter, as `mktemp -d` makes it: one tmpfs over it, every path in it bound
    back, and a private folder deeper in one of them emptied and bound the same way."""
    base = Path(tempfile.mkdtemp())  # In /tmp: pytest's own folder is one only root enters.
    try:
        os.chmod(base, 0o755)
        private = base / "private"
        secret = private / "data" / "secret"
        for folder in (private / "clone" / ".venv", secret / "mnist"):
            folder.mkdir(parents=True)
        for folder in (private, secret):
            os.chmod(folder, 0o700)
        found = seen_by_others([private / "clone" / ".venv", private / "clone", secret / "mnist"])
        assert found == ["--tmpfs", str(private), "--ro-bind", str(private / "clone"), str(private / "clone"),
                         "--ro-bind", str(private / "data"), str(private / "data"),
                         "--tmpfs", str(secret), "--ro-bind", str(secret / "mnist"), str(secret / "mnist")]
    finally:
        shutil.rmtree(base)


@pytest.mark.long
@pytest.mark.slow
@needs_bubblewrap
def test_on_a_new_machine_as_an_unprivileged_user_the_sandbox_grades_as_without_it(graded_solutions):
    """The grading runs as a user with no rights (nobody, where the test runs as root), on a new machine: HOME,
    XDG_CACHE_HOME and KERAS_HOME point at empty folders, no cache of any kind, the sandbox's compiled programs not
    made yet. bubblewrap makes the sandbox with a user namespace of that user's; --sandbox on makes the programs,
    then gives every check of the solutions the points it gets without the sandbox (conftest's graded_solutions)."""
    folder, without = SOLUTIONS, graded_solutions.results
    work = Path(tempfile.mkdtemp(prefix="mnist-unprivileged-"))  # In /tmp, not in pytest's folder, which only root
    try:  # can enter.
        os.chmod(work, 0o755)
        shutil.copytree(folder, work / "work", ignore=shutil.ignore_patterns("__pycache__"))
        env = {**fresh_home(work), "PATH": os.environ["PATH"]}
        command = []
        if os.geteuid() == 0:
            import pwd

            nobody = pwd.getpwnam("nobody")
            for path in [work, *work.rglob("*")]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            needed = [*bubblewrap.python_folders(), str(ROOT), os.environ["MNIST_DATA"]]
            command = ["bwrap", "--dev-bind", "/", "/", "--die-with-parent", *seen_by_others(needed), "--",
                       "setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        results = graded_json(work / "work", "--sandbox", "on", env=env, command=command)
        assert points(results) == points(without) and results["score"] == without["score"] == 100
        assert list((Path(env["XDG_CACHE_HOME"]) / "mnist-grade" / "jax-sandbox").glob(".filled-*"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


FILLS_SCRATCH = '''import os
import tempfile

import numpy as np


def {function}(values):
    with open(os.path.join(tempfile.gettempdir(), "filler"), "wb") as file:
        block = bytes(64 << 20)
        for _ in range(32):  # 2 GiB
            file.write(block)
    return {answer}
'''


@pytest.mark.slow
@needs_bubblewrap
def test_a_step_that_fills_its_scratch_folder_fails_alone_and_leaves_nothing(submission, tmp_path):
    """reshape writes 2 GiB into its scratch folder and one_hot 100 MB of it, under the limit: reshape fails, saying
    which limit it passed and its option, and the other steps keep their points (fit is a stub: nothing need train
    to show it). Nothing reached the disk: its free
    space never dropped by a gigabyte, and the grading's temporary folder is empty after."""
    folder = submission(
        reshape=FILLS_SCRATCH.format(function="reshape_images", answer="values.reshape(len(values), 784)"),
        one_hot=FILLS_SCRATCH.replace("range(32)", "range(2)").format(
            function="one_hot_labels", answer="np.eye(10, dtype='float32')[values]"),
        fit="def fit_model(model, images, labels):\n    raise NotImplementedError\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    free, lowest, done = shutil.disk_usage(temporary).free, [shutil.disk_usage(temporary).free], threading.Event()

    def watch():
        while not done.wait(0.05):
            lowest.append(shutil.disk_usage(temporary).free)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        graded = subprocess.run([sys.executable, "-m", "grader.cli", str(folder), "--sandbox", "on"], cwd=ROOT,
                                capture_output=True, text=True, timeout=900, env={**os.environ,
                                                                                 "TMPDIR": str(temporary)})
    finally:
        done.set()
        watcher.join()
    lines = graded.stdout.splitlines()
    assert lines[2:5] == [
        "✗ reshape    0/10",
        "    reshape_images() wrote more than 256 MB to its scratch folder, the limit (--max-scratch)",
        "    Help: this step needs no files: remove the code that writes them, or write less."], (
        graded.stdout + graded.stderr)
    assert "✓ one_hot    10/10" in lines and "Score: 55/100 (4 of 7 steps done)" in lines, graded.stdout
    assert free - min(lowest) < 1 << 30, f"the disk lost {(free - min(lowest)) >> 20} MB meanwhile"
    assert list(temporary.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="elsewhere the reason is the platform, not bwrap "
                    "(test_where_there_is_no_sandbox_on_says_why_and_auto_says_so_once)")
def test_sandbox_on_where_bubblewrap_is_missing_stops_with_what_to_do(tmp_path):
    """No bwrap on PATH: --sandbox on exits 2 saying why; a batch (auto) says once that it grades without one."""
    env = {**os.environ, "PATH": os.path.dirname(sys.executable)}
    on = subprocess.run([sys.executable, "-m", "grader.cli", "solutions", "--sandbox", "on"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)
    assert (on.returncode, on.stdout, on.stderr) == (2, "", (
        "mnist-grade: --sandbox on: bubblewrap is not installed (Debian, Ubuntu: apt install bubblewrap; Fedora: "
        "dnf install bubblewrap). Fix that, or grade with --sandbox off.\n"))
    class_ = tmp_path / "class"
    class_.mkdir()
    (class_ / "empty").mkdir()
    batch = subprocess.run([sys.executable, "-m", "grader.cli", "batch", str(class_), "--out", str(tmp_path / "out")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert batch.returncode == 0
    note = ("mnist-grade batch: Note: student code runs without a sandbox here: bubblewrap is not installed (Debian, "
            "Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap) (--sandbox auto; INSTRUCTORS.md says "
            "what a submission can do then).\n")
    assert batch.stderr.startswith(note) and batch.stderr.count(note) == 1


@pytest.mark.parametrize("platform, device, reason", [
    ("darwin", "cpu", "the sandbox works on Linux only"),
    ("linux", "gpu", "the sandbox trains on the CPU only (--device cpu)"),
])
def test_where_there_is_no_sandbox_on_says_why_and_auto_says_so_once(platform, device, reason, monkeypatch):
    monkeypatch.setattr(sys, "platform", platform)
    bubblewrap.why_unavailable.cache_clear()
    try:
        with pytest.raises(bubblewrap.SandboxError) as refused:
            bubblewrap.resolve("on", device)
        assert str(refused.value) == f"--sandbox on: {reason}. Fix that, or grade with --sandbox off."
        said = []
        assert bubblewrap.resolve("auto", device, say=said.append) is False
        assert said == [f"student code runs without a sandbox here: {reason} (--sandbox auto; INSTRUCTORS.md says "
                        "what a submission can do then)."]
        assert bubblewrap.resolve("off", device, say=said.append) is False and len(said) == 1
    finally:
        bubblewrap.why_unavailable.cache_clear()


@pytest.mark.slow
def test_the_sandbox_is_an_option_of_grading_batch_and_the_gradescope_bundle(tmp_path):
    """Off by default for one's own work, auto for a class; the bundle's run_autograder passes it and the limits,
    the scratch folder's among them."""
    assert "--sandbox {auto,on,off}" in mnist_grade("--help").stdout
    assert "(default: off)" in " ".join(mnist_grade("--help").stdout.split())
    assert "(default: auto)" in " ".join(mnist_grade("batch", "--help").stdout.split())
    assert "(default: auto)" in " ".join(mnist_grade("gradescope", "--help").stdout.split())
    for command in ([], ["batch"], ["gradescope"]):
        assert ("--max-scratch MB in the sandbox, fail a step that writes more than MB megabytes to its scratch folder "
                "(default: 256)") in " ".join(mnist_grade(*command, "--help").stdout.split())
    refused = mnist_grade("solutions", "--sandbox", "on", "--max-scratch", "8")
    assert refused.returncode == 2 and refused.stderr.endswith(
        "mnist-grade: error: argument --max-scratch: give at least 16 MB: room for what the grader saves of a step "
        "there\n"), refused.stderr
    bundle = tmp_path / "autograder.zip"
    made = mnist_grade("gradescope", "--out", str(bundle), "--sandbox", "on", "--max-size", "20", "--max-scratch", "64")
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(bundle) as archive:
        script = archive.read("run_autograder").decode()
        setup = archive.read("setup.sh").decode()
    assert script.endswith("--sandbox on --max-size 20 --max-files 1000 --max-ratio 100 --max-scratch 64\n")
    assert "apt-get install -y bubblewrap" in setup and 'run_autograder" fill' in setup
