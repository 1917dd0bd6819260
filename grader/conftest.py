"""The grader as a pytest plugin: options, the session's data and step runs, order and dependencies.

`pytest grader --submission PATH` and `mnist-grade PATH` both run the checks in grader/test_*.py
through this file.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from grader import runtime
from grader.data import SPLITS, DataError, load_split
from grader.i18n import _
from grader.processes import become_subreaper
from grader.report import Gradebook
from grader.sandbox import Worker, WorkerUserError, check_worker_user, stop_escaped
from grader.steps import SEED, STEPS, prerequisites
from grader.submission import SubmissionError, check_folder

ORDER = list(STEPS)
DEVICE = pytest.StashKey[str]()  # "cpu" or "gpu": what the workers train on.
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
    group.addoption("--step-timeout", type=float, metavar="SECONDS",
                    help="a time limit for every step, instead of each step's own")
    group.addoption("--live", action="store_true",
                    help="print each step's result as soon as it is graded (what mnist-grade shows)")
    group.addoption("--step", dest="only_step", metavar="NAME",
                    help="grade only this step and the steps it needs")
    group.addoption("--shown-as", metavar="PATH",
                    help="the path messages name instead of the step files (a notebook the submission was read from)")
    group.addoption("--compact", action="store_true",
                    help="at the end, show only progress, the first failing step and what to do next")
    group.addoption("--device", choices=runtime.DEVICES,
                    help="train on the CPU (the default) or a GPU (default: MNIST_DEVICE, else cpu)")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): what a check is worth")
    try:
        folder = check_folder(config.getoption("submission"))
    except SubmissionError as error:
        raise pytest.UsageError(str(error)) from None
    only = config.getoption("only_step")
    if only and only not in STEPS:
        raise pytest.UsageError(_("There is no step {step}. The steps: {steps}.", step=only, steps=", ".join(STEPS)))
    try:
        check_worker_user()
        config.stash[DEVICE] = runtime.device(config.getoption("device"))
        runtime.check_device(config.stash[DEVICE])
    except (WorkerUserError, runtime.DeviceError) as error:
        raise pytest.UsageError(str(error)) from None
    become_subreaper()  # Processes student code leaves behind come back to this one, to be stopped.
    config.pluginmanager.register(Gradebook(config, folder), "mnist-gradebook")


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


def pytest_runtest_setup(item):
    """Skip a check whose prerequisite step failed, naming the step to fix first."""
    blocker = item.config.pluginmanager.get_plugin("mnist-gradebook").blocker(step_of(item))
    if blocker:
        pytest.skip(_("fix {step} first", step=blocker))


@pytest.fixture(scope="session")
def folder(pytestconfig):
    return pytestconfig.pluginmanager.get_plugin("mnist-gradebook").folder


@pytest.fixture(scope="session")
def mnist_train(pytestconfig):
    return _load("train", pytestconfig)


@pytest.fixture(scope="session")
def mnist_test(pytestconfig):
    return _load("test", pytestconfig)


def _load(split, config):
    """A split of MNIST; without the data nothing can be graded, so the session stops with exit code 2."""
    preloaded = config.pluginmanager.get_plugin("mnist-data")  # What mnist-grade loaded before the session.
    if preloaded:
        return tuple(preloaded.arrays[key] for key in SPLITS[split])
    try:
        return load_split(split)
    except DataError as error:
        config.pluginmanager.get_plugin("mnist-gradebook").write("\n" + _("MNIST data unavailable: {error}", error=error))
        pytest.exit(_("MNIST data unavailable; the message above says why and what to do."), returncode=2)


@pytest.fixture(scope="session")
def sample(mnist_train):
    """A fixed sample of training images and labels: what the array steps are given."""
    images, labels = mnist_train
    picked = np.random.default_rng(SEED).choice(len(images), SAMPLE_SIZE, replace=False)
    return images[picked], labels[picked]


@pytest.fixture(scope="session")
def runs(folder, sample, mnist_train, pytestconfig, request):
    """The workers start together, the model's first: a check waits only for its own step's facts."""
    # Each worker's folder has a name no other worker can list (the folder holding them is not readable).
    base = Path(tempfile.mkdtemp(prefix="mnist-grading-"))
    base.chmod(0o711)
    images, labels = sample
    inputs = {"reshape": {"images": images}, "normalize": {"images": images}, "one_hot": {"labels": labels},
              # Inputs the built model is run on, for build's checks to compute its outputs again: drawn
              # from the seed, so that every grading of a submission checks the same outputs.
              "build": {"probe": np.random.default_rng(SEED).random((PROBE_SIZE, 784), dtype=np.float32)}}
    timeout = pytestconfig.getoption("step_timeout")
    wanted = {step for item in request.session.items for step in (step_of(item), *prerequisites(step_of(item)))}
    workers = {}
    try:
        for group in WORKER_STEPS:
            if wanted & set(group):
                given = inputs.get(group[0], {})
                if "fit" in group:  # The 60,000 training images, for fit's worker to map rather than load again.
                    given = {**given, "train_images": mnist_train[0], "train_labels": mnist_train[1]}
                # The model's worker is the longest: the others, short, yield the processor to it.
                niceness = 0 if "fit" in group else 10
                worker = Worker(group, folder, Path(tempfile.mkdtemp(dir=base)), given, timeout, niceness,
                                shown=pytestconfig.getoption("shown_as"), device=pytestconfig.stash[DEVICE])
                workers.update(dict.fromkeys(group, worker))
        gradebook = pytestconfig.pluginmanager.get_plugin("mnist-gradebook")

        def result(step):
            if step != "fit":
                return workers[step].result(step)
            with gradebook.training() as watch:  # A progress bar while the model trains.
                return workers[step].result(step, watch)

        yield result
    finally:
        for worker in set(workers.values()):
            worker.close()
        stop_escaped()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def run(runs, request):
    """The Run of the step the requesting check belongs to."""
    return runs(request.module.STEP)
