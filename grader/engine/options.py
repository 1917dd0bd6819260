"""A grading's settings as one object: what every way of grading gives grade() (grader/engine/grading.py).

The command line, --watch, a notebook's check cells, batch, Gradescope, the GitHub workflow and the sandbox's
compiled programs all make a GradingOptions; check() validates it (the step, the folder) and settles, once,
what grading needs of the machine (the worker user, the device, the sandbox). Another process gets it as one
JSON file (to_json, from_json), settled: it parses no flags and settles nothing again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from grader.course.i18n import _
from grader.course.steps import STEPS, prerequisites
from grader.engine.limits import Limits

# mnist-grade's view, --watch's, `pytest grader/checks`'s report at the end, and none (--watch's warm gradings: the
# watching process shows their Grade).
STYLES = ("live", "compact", "summary", "silent")


class OptionsError(Exception):
    """The options cannot be graded with; the message says why and what to do."""


@dataclass(frozen=True)
class GradingOptions:
    """One grading's settings. Paths are strings, as they travel in JSON."""

    submission: str = "exercises"  # The folder, or the notebook, to grade.
    named_path: str | None = None  # The submission as messages name it: its path as the student knows it.
    named_notebook: str | None = None  # What messages name instead of the step files: the notebook they were read from.
    step: str | None = None  # Grade only this step and the steps it needs.
    steps: list | None = None  # Grade only these steps and the steps they need (--watch: what a save changed).
    step_timeout: float | None = None  # A time limit for every step, instead of each step's own.
    device: str | None = None  # "cpu" or "gpu"; None: MNIST_DEVICE, else the CPU.
    sandbox: str = "off"  # --sandbox: "on", "off" or "auto"; once checked, "on" or "off".
    launch: str | None = None  # How its workers start (grader/workers/handle.py's Launch), settled with the sandbox.
    limits: Limits = field(default_factory=Limits)
    time_budget: float | None = None  # Seconds by which every step must have ended, so that grading ends with a grade.
    grade_file: str | None = None  # Where the Grade goes as JSON, saved after each check (batch, Gradescope).
    json_file: str | None = None  # Where Gradescope's results.json goes.
    junit_file: str | None = None  # Where the JUnit XML (GitLab's and Jenkins' test report) goes.
    style: str = "live"  # How the grading is shown: one of STYLES.
    settled: bool = False  # Whether check() has settled the device, the sandbox and the worker user already.

    @property
    def sandboxed(self):
        return self.sandbox == "on"

    @property
    def workers_start(self):
        """How its workers start (a Launch): as settled, else as launch() decides here (options settled without
        one, as an Isolation's default)."""
        from grader.workers.handle import launch

        return self.launch or launch(self.sandboxed)

    @property
    def wanted(self):
        """The steps to grade: those asked for (step, steps) and the steps they need; None: every step."""
        asked = [self.step] if self.step else self.steps
        if asked is None:
            return None
        return {need for name in asked for need in (name, *prerequisites(name))}

    @property
    def named_folder(self):
        """The submission folder as messages name it."""
        return Path(self.named_path or self.submission)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "GradingOptions":
        found = json.loads(text)
        return cls(**{**found, "limits": Limits(**found["limits"])})


def check(options: GradingOptions, say: Callable[[str], object] | None = None) -> GradingOptions:
    """`options` validated: the step exists, the submission is a folder of step files (or a notebook) within its
    limits, and, unless settled already, the worker user can run the grader, the device works and the sandbox is
    "on" or "off". OptionsError, saying why, when they cannot be graded with; say(text) is told a note: that
    --sandbox auto found no sandbox. A batch settles the device and the sandbox once, each grading the rest."""
    from grader.engine import limits
    from grader.engine.submission import SubmissionError, check_folder

    for step in [options.step] if options.step is not None else options.steps or []:
        if step not in STEPS:
            raise OptionsError(_("There is no step {step}. The steps: {steps}.", step=step, steps=", ".join(STEPS)))
    if options.style not in STYLES:
        raise OptionsError(f"style is {options.style!r}, not one of {', '.join(STYLES)}")
    for written in filter(None, [options.json_file, options.junit_file]):
        check_writable(written)
    try:
        if not options.submission.endswith(".ipynb"):
            check_folder(options.submission, options.named_path)
            limits.modules(options.submission, options.limits)  # What grading copies, within the limits.
    except (SubmissionError, limits.TooLarge) as error:
        raise OptionsError(str(error)) from None
    return options if options.settled else settle(options, say)


def check_writable(file: str) -> None:
    """OptionsError unless `file` can be written once the grading ends: its folder exists and it is no folder."""
    folder = Path(file).parent
    if Path(file).is_dir():
        raise OptionsError(_("{file} is a folder: name a file in it to write the grade to.", file=file))
    if not folder.is_dir():
        raise OptionsError(_("Cannot write {file}: there is no folder {folder}. Make it first, or name a file in a "
                             "folder that exists.", file=file, folder=folder))


def settle(options: GradingOptions, say: Callable[[str], object] | None = None) -> GradingOptions:
    """`options` with the device, the sandbox and how workers start (launch) as they resolve here, once the worker
    user, the device and the sandbox are known to work; OptionsError otherwise."""
    from grader.backend import runtime
    from grader.workers import bubblewrap
    from grader.workers.handle import launch
    from grader.workers.users import WorkerUserError, check_worker_user, worker_user

    try:
        check_worker_user()
        device = runtime.device(options.device)
        runtime.check_device(device)
        sandboxed = bubblewrap.resolve(options.sandbox, device, worker_user(), say=say)
    except (WorkerUserError, runtime.DeviceError, bubblewrap.SandboxError) as error:
        raise OptionsError(str(error)) from None
    return replace(options, device=device, sandbox="on" if sandboxed else "off", launch=launch(sandboxed), settled=True)
