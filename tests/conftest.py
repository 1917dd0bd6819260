"""Shared helpers for testing the course: run the grader the way students and instructors do."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
SHARED_DATA = ROOT.parent / "shared" / "data" / "mnist"
pytest_plugins = ["capabilities"]  # @pytest.mark.needs("sandbox"), and MNIST_REQUIRE (tests/capabilities.py).

# Tests read the data set from MNIST_DATA (by default ../shared/data/mnist), as an absolute path
# because some tests run the grader from other folders.
os.environ["MNIST_DATA"] = str(Path(os.environ.get("MNIST_DATA", SHARED_DATA)).resolve())
os.environ["MNIST_LANG"] = "en"  # Tests compare English text, whatever the machine's locale.

# The whole session runs as on a new machine: a home and caches of its own, empty, set before any test module is
# read, so that a cache an earlier run left (Keras's, matplotlib's, JAX's, the grader's) can neither help nor hurt.
# pytest-xdist's workers inherit the session's (MNIST_TESTS_HOME) and share it, as one machine's gradings share their
# caches; the process that made it removes it.
MADE_HOME = not os.environ.get("MNIST_TESTS_HOME")
FRESH_HOME = Path(os.environ.get("MNIST_TESTS_HOME") or tempfile.mkdtemp(prefix="mnist-tests-home-"))
os.environ["MNIST_TESTS_HOME"] = str(FRESH_HOME)
os.environ.update(HOME=str(FRESH_HOME), XDG_CACHE_HOME=str(FRESH_HOME / ".cache"),
                  XDG_CONFIG_HOME=str(FRESH_HOME / ".config"), XDG_DATA_HOME=str(FRESH_HOME / ".local" / "share"),
                  XDG_STATE_HOME=str(FRESH_HOME / ".local" / "state"), KERAS_HOME=str(FRESH_HOME / ".keras"))
for variable in ("MPLCONFIGDIR", "MNIST_CACHE", "MNIST_JAX_CACHE", "JAX_COMPILATION_CACHE_DIR"):
    os.environ.pop(variable, None)


def pytest_unconfigure(config):
    if MADE_HOME:
        shutil.rmtree(FRESH_HOME, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def private_caches():
    """Tests never touch the user's caches or the internet: cache folders of the session's own, empty at its start and
    shared by its test workers, and a mirror that is down."""
    from mirror import closed_port

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_CACHE", str(FRESH_HOME / "mnist-cache"))
        patch.setenv("KERAS_HOME", str(FRESH_HOME / "keras-home"))
        patch.setenv("MNIST_MIRROR", closed_port())
        yield


def accuracy_in(text, pattern=r"test accuracy (\d\.\d{4})"):
    """The accuracy `text` reports (as the string shown), once it is asserted to lie in the reference band.

    Float results differ across CPUs, backends and GPUs, so tests never pin the reference's accuracy:
    they check the band that bench/accuracy.py's measurements justify (grader/course/steps.toml).
    """
    __tracebackhide__ = True
    from grader.course.steps import REFERENCE_BAND

    found = re.search(pattern, text, re.MULTILINE)
    assert found, text
    low, high = REFERENCE_BAND
    assert low <= float(found.group(1)) <= high, f"{found.group(1)} is outside the reference band {low}–{high}"
    return found.group(1)


def mnist_grade(*args, cwd=ROOT):
    """Run `mnist-grade ARGS` as a user would; return the finished process (stdout, stderr, returncode)."""
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def grade_steps(folder, *steps, timeout=None, cwd=ROOT, env=None, **settings):
    """Grade only some steps of `folder` (and the steps they need) as mnist-grade does, with the GradingOptions
    `settings` besides: a quick check of one mistake. Returns the finished process: what the grading printed, on
    stdout, and its exit code.

    Where a batch forks its gradings (Linux, JAX), this one is forked too, from a server this test process starts
    once (warm_server()), which has imported pytest, the grader and Keras: the same grading and report, without
    seconds of start-up each. Elsewhere, `python -m grader.engine OPTIONS` in a new process."""
    from grader.engine.options import GradingOptions

    given = Path(tempfile.mkdtemp(prefix="mnist-options-")) / "options.json"
    given.write_text(GradingOptions(str(folder), steps=list(steps), step_timeout=timeout, **settings).to_json())
    environment = {**os.environ, **(env or {})}
    try:
        if cwd == ROOT and warm_server():
            return forked_grading(given, environment)
        return subprocess.run([sys.executable, "-m", "grader.engine", str(given)], cwd=cwd, capture_output=True,
                              text=True, timeout=900, env=environment)
    finally:
        shutil.rmtree(given.parent)


WARM = {}  # Whether this process's grading server is started: {"ready": bool}.


def warm_server():
    """Start, once per test process, the server gradings are forked from (grader/instructor/gradings.py), with the
    variables a batch gives it; whether there is one. This process's own variables stay as they were."""
    if "ready" not in WARM:
        from multiprocessing import forkserver

        from grader.backend import runtime
        from grader.backend.quiet import QUIET_ENV
        from grader.instructor import gradings

        saved = dict(os.environ)
        try:
            gradings.prepare({**QUIET_ENV, **runtime.environment("cpu")})
            WARM["ready"] = gradings.can_fork_gradings()
            if WARM["ready"]:
                forkserver.ensure_running()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return WARM["ready"]


def forked_grading(options, env):
    """A grading of the options file `options` with the variables `env`, forked from the warm server: the finished
    process as subprocess.run() returns it, with what it printed on stdout."""
    from grader.instructor import gradings

    with tempfile.NamedTemporaryFile() as printed:
        process = gradings.start(str(options), printed, env)
        code = process.wait()
        printed.seek(0)
        return subprocess.CompletedProcess(["forked", str(options)], code,
                                           printed.read().decode("utf-8", errors="replace"), "")


def arrays_done(folder):
    """A submission with the right reshape, normalize and one_hot, and build, compile and fit still stubs:
    30/100, without training."""
    from grader.course.steps import FILE_STEPS

    folder.mkdir(parents=True)
    for step in FILE_STEPS:
        source = SOLUTIONS if step.name in ("reshape", "normalize", "one_hot") else EXERCISES
        shutil.copyfile(source / step.file, folder / step.file)
    return folder


# A module of the student's own in their checkout (a grader/, a venv.py: the starter code is a copy of the course),
# made to give full marks: whatever imports it writes a result of 100 points and exits.
FULL_MARKS = (
    "import json, sys\n"
    "json.dump({'score': 100, 'max-score': 100, 'tests': []}, open('result.json', 'w'))\n"
    "sys.exit(0)\n"
)


def fake_grader(folder):
    """Put a grader/ package in `folder` that, imported, writes a result of full marks and exits."""
    for module in ("__init__.py", "cli.py", "engine/__init__.py", "engine/__main__.py"):
        (folder / "grader" / module).parent.mkdir(parents=True, exist_ok=True)
        (folder / "grader" / module).write_text(FULL_MARKS)


def copy(source, target, **files):
    """A copy of the submission `source` at `target`, with some files replaced: copy(..., normalize=CODE)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    for step, code in files.items():
        (target / f"{step}.py").write_text(code)
    return target


def grades(out):
    """The rows of a batch's grades.csv in `out`, its header first."""
    with open(out / "grades.csv", encoding="utf-8-sig") as file:  # With a BOM, for spreadsheets.
        return list(csv.reader(file))


@pytest.fixture
def submission(tmp_path):
    """Make a submission: the reference solutions with some files replaced: submission(normalize=CODE)."""

    def make(**files):
        folder = tmp_path / "submission"
        shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
        for step, code in files.items():
            (folder / f"{step}.py").write_text(code)
        return folder

    return make


class Graded:
    """One grading run's output, results.json and JUnit XML (junit: its path)."""

    def __init__(self, process, json_path, junit=None):
        self.process, self.stdout, self.returncode = process, process.stdout, process.returncode
        self.results = json.loads(Path(json_path).read_text(encoding="utf-8")) if Path(json_path).exists() else None
        self.junit = junit


def once(name, make):
    """The folder FRESH_HOME/once/NAME, filled by make(folder) once for the whole session: by the first test worker
    that asks, while the others wait for it (a lock), then kept for all."""
    import fcntl

    folder = FRESH_HOME / "once" / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder.parent / f"{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder.parent / f"{name}.done").touch()
    return folder


def graded_once(name, *args):
    """`mnist-grade ARGS --json FILE --junit FILE`, run once for the session (once()): a Graded."""

    def grade(folder):
        done = mnist_grade(*args, "--json", str(folder / "results.json"), "--junit", str(folder / "junit.xml"))
        (folder / "run.json").write_text(json.dumps([done.returncode, done.stdout, done.stderr]))

    folder = once(name, grade)
    code, stdout, stderr = json.loads((folder / "run.json").read_text())
    return Graded(subprocess.CompletedProcess(args, code, stdout, stderr), folder / "results.json",
                  folder / "junit.xml")


# The session's pip cache, in the home its test workers share, so that what one downloaded another need not; pip
# writes its cache entries whole.
PIP_CACHE = FRESH_HOME / "pip-cache"

# What a copy of the course leaves out: environments, caches and what builds make.
NOT_THE_COURSE = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache",
                                        ".ruff_cache", ".mypy_cache", ".gitlab-ci-local")


def copy_course(target):
    """A copy of this checkout's course (grader/, exercises/, solutions/, pyproject.toml…) at `target`, as a
    repository made from it holds."""
    return shutil.copytree(ROOT, target, ignore=NOT_THE_COURSE)


def python_without_the_grader(folder):
    """A Python as Colab's or a CI image's: with the grader's dependencies (Keras, JAX, ipykernel…) but not the grader.
    A virtual environment in `folder` that sees this environment's packages through a .pth file, which adds their
    folder but runs none of its .pth files, so not the grader installed here; its pip (this environment's) installs
    into it, and finds the dependencies there already: seconds, where unpacking Keras and JAX afresh takes a minute.
    Returns its folder of programs."""
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    programs = folder / ("Scripts" if os.name == "nt" else "bin")
    asked = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    found = subprocess.run([str(programs / "python"), "-c", asked], capture_output=True, text=True, check=True,
                           timeout=60).stdout.strip()
    Path(found, "this-test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return programs


@pytest.fixture(scope="session")
def junit_schema():
    """junit-10.xsd, the JUnit schema of Jenkins' xunit plugin that pytest's own tests hold its XML to, from the
    sources of the pytest installed here, as the package index pip uses publishes them (checked against the index's
    SHA-256; pip download would build their metadata first, seconds of work), once for the session: an
    xmlschema.XMLSchema."""
    import hashlib
    import tarfile
    import urllib.request
    from importlib.metadata import version

    from capabilities import need

    need("junit")
    import xmlschema
    from pip._internal.models.index import PyPI

    def fetch(folder):
        index = os.environ.get("PIP_INDEX_URL", PyPI.simple_url).rstrip("/")
        asked = urllib.request.Request(f"{index}/pytest/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(asked, timeout=120) as answer:
            files = json.load(answer)["files"]
        [sources] = [found for found in files if found["filename"] == f"pytest-{version('pytest')}.tar.gz"]
        with urllib.request.urlopen(sources["url"], timeout=300) as answer:
            data = answer.read()
        assert hashlib.sha256(data).hexdigest() == sources["hashes"]["sha256"]
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            member = next(name for name in archive.getnames() if name.endswith("/testing/example_scripts/junit-10.xsd"))
            (folder / "junit-10.xsd").write_bytes(archive.extractfile(member).read())

    return xmlschema.XMLSchema(str(once("junit-xsd", fetch) / "junit-10.xsd"))


@pytest.fixture(scope="session")
def graded_solutions():
    """The reference solutions graded once for the whole session, for the tests that read its report."""
    return graded_once("solutions", "solutions")


@pytest.fixture(scope="session")
def graded_exercises():
    """The untouched exercises, graded once for the session."""
    return graded_once("exercises", "exercises")


@pytest.fixture(scope="session")
def gbk_environment(tmp_path_factory):
    """The variables of a process whose locale is zh_CN.GBK, as on Chinese Windows, made with localedef: its
    preferred encoding (what open() and Path.write_text() use unless told otherwise) is GBK, not UTF-8."""
    from capabilities import need

    need("locales")
    folder = tmp_path_factory.mktemp("locales")
    # localedef exits 1 for mere warnings: the locale it wrote is what counts.
    subprocess.run(["localedef", "-f", "GBK", "-i", "zh_CN", str(folder / "zh_CN.GBK")], capture_output=True,
                   timeout=120)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("LC_") and name not in ("LANG", "LANGUAGE", "PYTHONIOENCODING", "PYTHONUTF8")}
    env.update(LOCPATH=str(folder), LC_ALL="zh_CN.GBK", LANG="zh_CN.GBK", PYTHONUTF8="0")
    found = subprocess.run([sys.executable, "-c", "import locale; print(locale.getpreferredencoding(False))"],
                           capture_output=True, text=True, env=env, timeout=60).stdout.strip()
    assert found == "GBK", f"the zh_CN.GBK locale made with localedef in {folder} gives {found!r}, not GBK"
    return env


@pytest.hookimpl(optionalhook=True)  # xdist's hook: pytest without xdist knows it not.
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: two test workers per core. Many tests spend much of their time waiting (a step's time limit, a
    cluster's jobs, an install), so that a worker per core leaves a core idle about half the time."""
    return 2 * len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2 * (os.cpu_count() or 1)


@pytest.hookimpl(optionalhook=True)  # xdist's hook: pytest without xdist knows it not.
def pytest_xdist_make_scheduler(config, log):
    """`-n`: xdist's work-stealing scheduler, unless --dist names another. Each worker gets a share of the tests,
    dealt by pytest_collection_modifyitems, and one that is done takes half of what another has yet to start: no
    worker runs a queue alone at the end."""
    if config.getoption("dist") == "load":  # What -n alone means.
        from xdist.scheduler import WorkStealingScheduling

        return WorkStealingScheduling(config, log)
    return None


def pytest_collection_modifyitems(config, items):
    """The tests dealt out like cards to each xdist worker's share (worksteal splits the list into one contiguous
    share per worker): the long ones (@pytest.mark.long) first, then the other slow ones, then the quick; so each
    share starts with its long tests, and what others take from its end is quick."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1)) if config is not None else 1
    items.sort(key=lambda item: (item.get_closest_marker("long") is None, item.get_closest_marker("slow") is None))
    shares = [items[index::workers] for index in range(workers)]
    items[:] = [item for share in shares for item in share]
