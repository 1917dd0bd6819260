"""The grader as a pytest plugin: one Session object per grading, its hooks, and the fixtures the checks use.

grade() (grader/engine/grading.py) hands pytest a Session made from the grading's options; `pytest grader/checks
--submission PATH` (or `--grading OPTIONS.json`) makes one here, through grader/checks/conftest.py. Either way the
Session is in config.stash[SESSION]: it runs the checks of grader/checks/test_*.py in course order, skips those
whose prerequisite failed and records each result into the Grade (grader/results/grade.py), which
grader/results/render.py shows.
"""

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from grader.backend import reference as network
from grader.course.i18n import _
from grader.course.steps import SEED, STEPS, prerequisites
from grader.data import SPLITS, DataError, load_split
from grader.data.files import write_whole
from grader.engine import limits
from grader.engine.options import GradingOptions, OptionsError, check
from grader.engine.workers import StepRuns, grading_folder
from grader.results import render, terminal
from grader.results.grade import CheckResult, Failure, Grade, Outcome

ORDER = list(STEPS)
SESSION = pytest.StashKey["Session"]()  # The grading: its options, its Grade, its folder.
CHECK = pytest.StashKey[CheckResult]()  # An item's own result.
SAMPLE_SIZE = 1000  # Not 60,000, so a hard-coded count shows.


def pytest_addoption(parser):
    group = parser.getgroup("mnist-grade", "grading a submission of the MNIST course")
    group.addoption("--submission", default="exercises", metavar="PATH",
                    help="the folder to grade (default: exercises)")
    group.addoption("--grading", metavar="FILE",
                    help="the grading's options as JSON (grader/engine/options.py), instead of --submission")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """Register the grading's Session: the one grade() handed over, or one made from the command line."""
    config.addinivalue_line("markers", "points(n): what a check is worth")
    if SESSION in config.stash:
        return
    from grader.results.console import fit

    fit()  # `pytest grader/checks` on a console in GBK, cp1252 or ASCII.
    path = config.getoption("grading")
    options = (GradingOptions.from_json(Path(path).read_text(encoding="utf-8")) if path
               else GradingOptions(config.getoption("submission"), style="summary"))
    try:
        options = check(options, say=lambda text: terminal.write(config, _("Note: {note}", note=text)))
    except OptionsError as error:
        raise pytest.UsageError(str(error)) from None
    config.pluginmanager.register(Session(options))


def step_of(item):
    return item.module.STEP


class Session:
    """One grading as pytest runs it, with checked `options` (GradingOptions): its hooks keep the Grade.

    `arrays` is MNIST as grade() loaded and checked it, when it did (else the fixtures load it); `prestarted`, the
    host importing Keras for the workers that use it, when run() started one (grader/engine/grading.py).
    """

    def __init__(self, options, arrays=None, prestarted=None):
        self.options, self.arrays, self.prestarted = options, arrays, prestarted
        self.grade = Grade(str(options.named_path or options.submission), options.named_notebook)
        self.started, self.config, self.base = time.monotonic(), None, None
        self._test_images = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        config.stash[SESSION], self.config = self, config
        try:
            self.base = grading_folder(self.options)
        except limits.TooLarge as error:
            raise pytest.UsageError(str(error)) from None

    def pytest_unconfigure(self, config):
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)

    def streaming(self):
        """Whether each step is shown as soon as it is graded: mnist-grade's own view."""
        return self.options.style == "live"

    def say(self, text):
        terminal.write(self.config, text)

    def pytest_collection_modifyitems(self, config, items):
        """Grade in course order (only the step asked for and what it needs); each check gets a time limit backstop."""
        wanted = self.options.wanted
        if wanted is not None:
            config.hook.pytest_deselected(items=[item for item in items if step_of(item) not in wanted])
            items[:] = [item for item in items if step_of(item) in wanted]
        items.sort(key=lambda item: ORDER.index(step_of(item)))
        for item in items:
            item.add_marker(pytest.mark.timeout((self.options.step_timeout or STEPS[step_of(item)].timeout) + 60))

    def pytest_collection_finish(self, session):
        """Each check to grade becomes a pending CheckResult of the Grade: its step, label and points."""
        for item in session.items:
            marker = item.get_closest_marker("points")
            label = (item.function.__doc__ or item.name).strip().splitlines()[0]
            item.stash[CHECK] = CheckResult(step_of(item), label, marker.args[0] if marker else 1)
            self.grade.checks.append(item.stash[CHECK])
        self.save()
        self.announce(session.items)

    def save(self):
        """Write the Grade so far to the options' grade_file, whole or not at all: a grading stopped from outside
        keeps what it had graded."""
        if self.options.grade_file:
            write_whole(self.options.grade_file, self.grade.to_json() + "\n")

    def announce(self, items):
        """Say what is graded, and that training takes a while when a step that trains is among them."""
        if not self.streaming():
            return
        folder = self.options.named_folder
        what = self.options.named_notebook or (f"{folder}/" if folder.is_dir() else str(folder))
        trains = any(STEPS[step_of(item)].trains for item in items)
        text = (_("Grading {folder} (the fit step trains a real model: allow a minute)", folder=what) if trains
                else _("Grading {folder}", folder=what))
        self.say(text + "\n")

    def pytest_runtest_setup(self, item):
        """Skip a check whose prerequisite step failed, naming the step to fix first."""
        blocker = self.grade.blocker(step_of(item))
        if blocker:
            item.stash[CHECK].blocked_by = blocker
            pytest.skip(_("fix {step} first", step=blocker))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """Record how each check ended; show each step as soon as all its checks are graded."""
        report = yield
        check = item.stash[CHECK]
        if check.outcome in (Outcome.PENDING, Outcome.PASSED) and (report.when == "call" or not report.passed):
            record(check, call, report)
        if report.when == "teardown":
            self.save()
            step_done = all(c.outcome != Outcome.PENDING for c in self.grade.checks if c.step == check.step)
            if self.streaming() and step_done:
                self.say(render.step_block(self.grade, check.step))
        return report

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config):
        if self.grade.checks and exitstatus in (0, 1) and self.options.style == "summary":
            terminalreporter.write_sep("=", "grade")
            terminalreporter.write_line(render.report(self.grade))

    def pytest_sessionfinish(self, session, exitstatus):
        self.grade.seconds = round(time.monotonic() - self.started, 1)
        if exitstatus not in (0, 1) or not self.grade.checks:
            return
        if self.options.style == "compact":
            self.say(render.compact(self.grade))
        elif self.options.style == "live":
            self.say("\n" + render.total(self.grade))
        if self.options.json_file:
            Path(self.options.json_file).write_text(
                json.dumps(render.gradescope(self.grade), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if self.options.junit_file:
            Path(self.options.junit_file).write_text(render.junit(self.grade, _("MNIST course")), encoding="utf-8")
        self.save()

    def test_images(self):
        """The test images as the trained model is tested on them (reference.prepared_test_images); made once, while
        fit trains (StepRuns.result): the accuracy check then has only the network to compute."""
        if self._test_images is None:
            self._test_images = network.prepared_test_images(self.load("test")[0])
        return self._test_images

    def load(self, split):
        """A split of MNIST; without the data nothing can be graded, so the session stops with exit code 2."""
        if self.arrays:
            return tuple(self.arrays[key] for key in SPLITS[split])
        try:
            return load_split(split)
        except DataError as error:
            self.say("\n" + _("MNIST data unavailable: {error}", error=error))
            pytest.exit(_("MNIST data unavailable; the message above says why and what to do."), returncode=2)


def record(check, call, report):
    """Record into `check` how a phase of its test ended: its outcome, value and note, or why it failed."""
    check.outcome = Outcome(report.outcome)  # pytest says "passed", "failed" or "skipped".
    properties = dict(report.user_properties)
    check.value = properties.get("value")
    if report.passed:
        check.note = properties.get("note", "")
    elif report.failed or not check.blocked_by:
        check.failure = failure(call, report)


def failure(call, report):
    """Why a check did not pass: the Failure it raised, the reason pytest was given, or the grader's own error."""
    error = call.excinfo and call.excinfo.value
    if getattr(error, "failure", None):
        return error.failure
    if isinstance(error, (pytest.fail.Exception, pytest.skip.Exception)):
        return Failure(problem=error.msg)
    return Failure(problem=_("the grader itself failed; this is not your fault. Please report it:")
                   + f"\n{report.longreprtext}")


@pytest.fixture(scope="session")
def grading(pytestconfig):
    """The grading's Session."""
    return pytestconfig.stash[SESSION]


@pytest.fixture(scope="session")
def mnist_train(grading):
    return grading.load("train")


@pytest.fixture(scope="session")
def mnist_test(grading):
    return grading.load("test")


@pytest.fixture(scope="session")
def sample(mnist_train):
    """A fixed sample of training images and labels: what the data steps are given."""
    images, labels = mnist_train
    picked = np.random.default_rng(SEED).choice(len(images), SAMPLE_SIZE, replace=False)
    return images[picked], labels[picked]


@pytest.fixture(scope="session")
def program_inputs(mnist_train, mnist_test):
    """What `python -m exercises` gives the data steps, beside the sample: the training set, the test set, and
    a single image and its label (the first training image's, a 5), as (images, labels) for each of protocol.SIZES."""
    from grader.workers import protocol

    inputs = {"train": mnist_train, "test": mnist_test, "one": (mnist_train[0][:1], mnist_train[1][:1])}
    return {size: inputs[size] for size in protocol.SIZES}


@pytest.fixture(scope="session")
def step_runs(grading, sample, program_inputs, request):
    """The workers start together, the model's first: a check waits only for its own step's facts."""
    wanted = {step for item in request.session.items for step in (step_of(item), *prerequisites(step_of(item)))}
    with StepRuns(grading, sample, program_inputs, wanted) as runs:
        yield runs.result


@pytest.fixture
def run(step_runs, request):
    """The Run of the step the requesting check belongs to."""
    return step_runs(request.module.STEP)

