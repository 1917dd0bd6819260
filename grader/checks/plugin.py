"""The grader as a pytest plugin: options, the session's data, the steps' runs, order, dependencies, and the Grade.

`pytest grader/checks --submission PATH` and `mnist-grade PATH` both run the checks in grader/checks/test_*.py
through this file (grader/checks/conftest.py imports it). Each check's result is recorded into the Grade
(grader/results/grade.py) in config.stash; grader/results/render.py shows it.
"""

import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from grader.backend import runtime
from grader.checks import expect
from grader.course.i18n import _
from grader.course.steps import SEED, STEPS, prerequisites
from grader.data import SPLITS, DataError, load_split
from grader.engine import limits
from grader.engine.submission import SubmissionError, check_folder
from grader.results import render, terminal
from grader.results.grade import CheckResult, Failure, Grade
from grader.workers import bubblewrap, protocol
from grader.workers.handle import (
    Worker,
    WorkerUserError,
    check_worker_user,
    shared_input,
    start,
    stop_escaped,
    worker_user,
)
from grader.workers.processes import become_subreaper

ORDER = list(STEPS)
# What the plugin shares with its hooks and fixtures, and with mnist-grade (grader/cli.py).
GRADE = pytest.StashKey[Grade]()  # The checks' results, recorded as they are graded.
FOLDER = pytest.StashKey[Path]()  # The submission.
SHOWN_FOLDER = pytest.StashKey[Path]()  # The submission as messages name it.
DEVICE = pytest.StashKey[str]()  # "cpu" or "gpu": what the workers train on.
SANDBOXED = pytest.StashKey[bool]()  # Whether workers run under bubblewrap (grader/workers/bubblewrap.py).
BASE = pytest.StashKey[Path]()  # The grading's folder: the submission's Python files, and one folder per worker.
PRELOADED = pytest.StashKey[dict]()  # MNIST as mnist-grade loaded and checked it, when it did.
CHECK = pytest.StashKey[CheckResult]()  # An item's own result.
STARTED = pytest.StashKey[float]()  # When grading started (time.monotonic()).
SAMPLE_SIZE = 1000  # Not 60,000, so a hard-coded count shows.
PROBE_SIZE = 32
# The steps each worker process runs: the model's steps build on each other, in one process.
WORKER_STEPS = [("build", "compile", "fit"), ("reshape",), ("normalize",), ("one_hot",)]


def pytest_addoption(parser):
    group = parser.getgroup("mnist-grade", "grading a submission of the MNIST course")
    group.addoption("--submission", default="exercises", metavar="PATH",
                    help="the folder to grade (default: exercises)")
    group.addoption("--json", dest="grade_json", metavar="FILE",
                    help="also write the grade as Gradescope results.json to FILE")
    group.addoption("--grade", dest="grade_file", metavar="FILE",
                    help="also write the Grade itself as JSON to FILE (what batch and Gradescope read)")
    group.addoption("--time-budget", type=float, metavar="SECONDS",
                    help="end every step in time for the whole grading to end within SECONDS, with a grade")
    group.addoption("--step-timeout", type=float, metavar="SECONDS",
                    help="a time limit for every step, instead of each step's own")
    group.addoption("--live", action="store_true",
                    help="print each step's result as soon as it is graded (what mnist-grade shows)")
    group.addoption("--step", dest="only_step", metavar="NAME",
                    help="grade only this step and the steps it needs")
    group.addoption("--shown-folder", metavar="PATH",
                    help="the folder messages name instead of --submission (its path as the student knows it)")
    group.addoption("--shown-as", metavar="PATH",
                    help="the path messages name instead of the step files (a notebook the submission was read from)")
    group.addoption("--compact", action="store_true",
                    help="at the end, show only progress, the first failing step and what to do next")
    group.addoption("--device", choices=runtime.DEVICES,
                    help="train on the CPU (the default) or a GPU (default: MNIST_DEVICE, else cpu)")
    group.addoption("--sandbox", choices=bubblewrap.MODES, default="off",
                    help="run student code under bubblewrap: on, off (the default), or where it works (auto)")
    group.addoption("--max-size", type=float, default=limits.Limits.size_mb, metavar="MB",
                    help="refuse a submission whose Python files hold more than MB megabytes")
    group.addoption("--max-files", type=int, default=limits.Limits.files, metavar="N",
                    help="refuse a submission with more than N Python files")
    group.addoption("--max-scratch", type=limits.scratch_size, default=limits.Limits.scratch_mb, metavar="MB",
                    help="in the sandbox, fail a step that writes more than MB megabytes to its scratch folder")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): what a check is worth")
    try:
        folder = check_folder(config.getoption("submission"), config.getoption("shown_folder"))
    except SubmissionError as error:
        raise pytest.UsageError(str(error)) from None
    only = config.getoption("only_step")
    if only and only not in STEPS:
        raise pytest.UsageError(_("There is no step {step}. The steps: {steps}.", step=only, steps=", ".join(STEPS)))
    try:
        check_worker_user()
        config.stash[DEVICE] = runtime.device(config.getoption("device"))
        runtime.check_device(config.stash[DEVICE])
        config.stash[SANDBOXED] = bubblewrap.use(config.getoption("sandbox"), config.stash[DEVICE], worker_user(),
                                                 say=lambda text: terminal.write(config, _("Note: {note}", note=text)))
    except (WorkerUserError, runtime.DeviceError, bubblewrap.SandboxError) as error:
        raise pytest.UsageError(str(error)) from None
    # The grading's folder: workers' folders have names no other worker can list (it is not readable).
    config.stash[BASE] = base = Path(tempfile.mkdtemp(prefix="mnist-grading-"))
    base.chmod(0o711)
    try:  # What every worker imports: the submission's Python files, copied once.
        limits.copy_modules(folder, base / "submission",
                            limits.Limits(config.getoption("max_size"), config.getoption("max_files")))
    except limits.TooLarge as error:
        shutil.rmtree(base, ignore_errors=True)
        raise pytest.UsageError(str(error)) from None
    become_subreaper()  # Processes student code leaves behind come back to this one, to be stopped.
    config.stash[FOLDER] = folder
    shown = config.getoption("shown_folder")
    config.stash[SHOWN_FOLDER] = Path(shown) if shown else folder
    config.stash[GRADE] = Grade(str(shown or config.getoption("submission")), config.getoption("shown_as"))


def pytest_unconfigure(config):
    base = config.stash.get(BASE, None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Grade in course order (only --step and what it needs, when given); each check gets a time limit backstop."""
    only = config.getoption("only_step")
    if only:
        wanted = {only, *prerequisites(only)}
        config.hook.pytest_deselected(items=[item for item in items if step_of(item) not in wanted])
        items[:] = [item for item in items if step_of(item) in wanted]
    items.sort(key=lambda item: ORDER.index(step_of(item)))
    limit = config.getoption("step_timeout")
    for item in items:
        step = STEPS[step_of(item)]
        item.add_marker(pytest.mark.timeout((limit or step.timeout) + 60))


def step_of(item):
    return item.module.STEP


def pytest_collection_finish(session):
    """Each check to grade becomes a pending CheckResult of the Grade: its step, label and points."""
    grade = session.config.stash[GRADE]
    for item in session.items:
        marker = item.get_closest_marker("points")
        label = (item.function.__doc__ or item.name).strip().splitlines()[0]
        item.stash[CHECK] = CheckResult(step_of(item), label, marker.args[0] if marker else 1)
        grade.checks.append(item.stash[CHECK])
    _save(session.config)
    announce(session)


def _save(config):
    """Write the Grade so far to --grade FILE, whole or not at all: a grading stopped from outside keeps what
    it had graded."""
    path = config.getoption("grade_file")
    if path:
        scratch = Path(f"{path}.tmp")
        scratch.write_text(config.stash[GRADE].to_json() + "\n")
        scratch.replace(path)


def pytest_runtest_setup(item):
    """Skip a check whose prerequisite step failed, naming the step to fix first."""
    blocker = item.config.stash[GRADE].blocker(step_of(item))
    if blocker:
        item.stash[CHECK].blocked_by = blocker
        pytest.skip(_("fix {step} first", step=blocker))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Record how each check ended; show each step as soon as all its checks are graded."""
    report = yield
    check, grade = item.stash[CHECK], item.config.stash[GRADE]
    if check.outcome in ("pending", "passed") and (report.when == "call" or not report.passed):
        check.outcome = report.outcome
        properties = dict(report.user_properties)
        check.value = properties.get("value")
        if report.passed:
            check.note = properties.get("note", "")
        elif report.failed or not check.blocked_by:
            check.failure = _failure(call, report)
    if report.when == "teardown":
        _save(item.config)
        step_done = all(c.outcome != "pending" for c in grade.checks if c.step == check.step)
        if streaming(item.config) and step_done:
            terminal.write(item.config, render.step_block(grade, check.step))
    return report


def _failure(call, report):
    """Why a check did not pass: the Failure it raised, the reason pytest was given, or the grader's own error."""
    error = call.excinfo and call.excinfo.value
    if getattr(error, "failure", None):
        return error.failure
    if isinstance(error, (pytest.fail.Exception, pytest.skip.Exception)):
        return Failure(problem=error.msg)
    return Failure(problem=_("the grader itself failed; this is not your fault. Please report it:")
                   + f"\n{report.longreprtext}")


def streaming(config):
    """Whether each step is shown as soon as it is graded: mnist-grade's own view, but not --compact."""
    return config.getoption("live") and not config.getoption("compact")


def pytest_sessionstart(session):
    session.config.stash[STARTED] = time.monotonic()


def announce(session):
    """Say what is graded, and that training takes a while when fit is among the steps."""
    if not streaming(session.config):
        return
    shown = session.config.getoption("shown_as")
    folder = session.config.stash[SHOWN_FOLDER]
    what = shown if shown else f"{folder}/" if folder.is_dir() else str(folder)
    trains = any(step_of(item) == "fit" for item in session.items)
    text = (_("Grading {folder} (the fit step trains a real model: allow a minute)", folder=what) if trains
            else _("Grading {folder}", folder=what))
    terminal.write(session.config, text + "\n")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    grade = config.stash[GRADE]
    if grade.checks and exitstatus in (0, 1) and not config.getoption("live") and not config.getoption("compact"):
        terminalreporter.write_sep("=", "grade")
        terminalreporter.write_line(render.report(grade))


def pytest_sessionfinish(session, exitstatus):
    config, grade = session.config, session.config.stash[GRADE]
    grade.seconds = round(time.monotonic() - config.stash[STARTED], 1)
    if exitstatus not in (0, 1) or not grade.checks:
        return
    if config.getoption("compact"):
        terminal.write(config, render.compact(grade))
    elif config.getoption("live"):
        terminal.write(config, "\n" + render.total(grade))
    if config.getoption("grade_json"):
        Path(config.getoption("grade_json")).write_text(
            json.dumps(render.gradescope(grade), indent=2, ensure_ascii=False) + "\n")
    _save(config)


@pytest.fixture(scope="session")
def folder(pytestconfig):
    return pytestconfig.stash[FOLDER]


@pytest.fixture(scope="session")
def mnist_train(pytestconfig):
    return _load("train", pytestconfig)


@pytest.fixture(scope="session")
def mnist_test(pytestconfig):
    return _load("test", pytestconfig)


def _load(split, config):
    """A split of MNIST; without the data nothing can be graded, so the session stops with exit code 2."""
    preloaded = config.stash.get(PRELOADED, None)  # What mnist-grade loaded before the session.
    if preloaded:
        return tuple(preloaded[key] for key in SPLITS[split])
    try:
        return load_split(split)
    except DataError as error:
        terminal.write(config, "\n" + _("MNIST data unavailable: {error}", error=error))
        pytest.exit(_("MNIST data unavailable; the message above says why and what to do."), returncode=2)


@pytest.fixture(scope="session")
def sample(mnist_train):
    """A fixed sample of training images and labels: what the array steps are given."""
    images, labels = mnist_train
    picked = np.random.default_rng(SEED).choice(len(images), SAMPLE_SIZE, replace=False)
    return images[picked], labels[picked]


@pytest.fixture(scope="session")
def program_inputs(mnist_train, mnist_test):
    """What `python -m exercises` gives the array steps, beside the sample: the training set, the test set, and
    a single image and its label (the first training image's, a 5), as (images, labels) for each of protocol.SIZES."""
    inputs = {"train": mnist_train, "test": mnist_test, "one": (mnist_train[0][:1], mnist_train[1][:1])}
    return {size: inputs[size] for size in protocol.SIZES}


@pytest.fixture(scope="session")
def step_runs(sample, program_inputs, pytestconfig, request):
    """The workers start together, the model's first: a check waits only for its own step's facts."""
    base = pytestconfig.stash[BASE]
    given = worker_inputs(sample, program_inputs, base / "inputs")
    timeout = pytestconfig.getoption("step_timeout")
    budget = pytestconfig.getoption("time_budget")
    deadline = time.monotonic() + budget if budget else None
    wanted = {step for item in request.session.items for step in (step_of(item), *prerequisites(step_of(item)))}
    workers, closing = {}, None
    try:
        for group in WORKER_STEPS:
            if wanted & set(group):
                # The model's worker is the longest: the others, short, yield the processor to it.
                niceness = 0 if "fit" in group else 10
                worker = Worker(group, base / "submission", Path(tempfile.mkdtemp(dir=base)), given(group), timeout,
                                niceness, shown=pytestconfig.getoption("shown_as"), device=pytestconfig.stash[DEVICE],
                                shown_folder=pytestconfig.stash[SHOWN_FOLDER], deadline=deadline,
                                sandboxed=pytestconfig.stash[SANDBOXED],
                                scratch_mb=pytestconfig.getoption("max_scratch"))
                workers.update(dict.fromkeys(group, worker))
        closing = start(list(dict.fromkeys(workers.values())))

        def still_running(step, seconds, limit):  # On a terminal only: a log read later needs no notice.
            if streaming(pytestconfig) and terminal.live():
                terminal.write(pytestconfig, _("  {step} is still running after {seconds} s (it is stopped at "
                                               "{limit} s)…", step=step, seconds=seconds, limit=f"{limit:g}"))

        def result(step):
            if step != "fit":
                return workers[step].result(step, slow=still_running)
            with terminal.training(pytestconfig, streaming(pytestconfig)) as watch:  # A bar while the model trains.
                return workers[step].result(step, watch)

        yield result
    finally:
        for worker in set(workers.values()):
            worker.close()
        if closing is not None:
            closing.close()  # Their sandbox, with what they wrote in it.
        stop_escaped()


def worker_inputs(sample, program_inputs, shared):
    """inputs(group): the arrays a worker running the steps `group` is given. The array steps get the sample and
    the program's inputs; build the probe images, drawn from the seed, so that every grading checks the same
    outputs; fit the training set. What several workers get is written once, in `shared`, as it is first needed."""
    written = {}

    def program(name, size):
        key = protocol.sized(name, size)
        if key not in written:
            shared.mkdir(exist_ok=True)
            written[key] = shared_input(shared, key, program_inputs[size][name == protocol.LABELS])
        return written[key]

    def inputs(group):
        step = group[0]
        if step in protocol.INPUT_OF:
            name = protocol.INPUT_OF[step]
            return {name: sample[name == protocol.LABELS],
                    **{protocol.sized(name, size): program(name, size) for size in protocol.SIZES}}
        found = {}
        if "build" in group:
            found[protocol.PROBE] = np.random.default_rng(SEED).random((PROBE_SIZE, 784), dtype=np.float32)
        if "fit" in group:  # The 60,000 training images, for fit's worker to map rather than load again.
            found[protocol.TRAIN_IMAGES] = program(protocol.IMAGES, "train")
            found[protocol.TRAIN_LABELS] = program(protocol.LABELS, "train")
        return found

    return inputs


@pytest.fixture
def run(step_runs, request):
    """The Run of the step the requesting check belongs to."""
    return step_runs(request.module.STEP)


@pytest.fixture
def answers(run, sample, program_inputs):
    """answers(): what the array step returned for the sample and for each of the program's inputs (expect.Answer);
    called in the check, so that a failure is the check's."""
    return lambda: expect.answers(run, sample, program_inputs)
