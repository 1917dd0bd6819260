"""The grade as data: what each check found, apart from how any output shows it.

A Failure keeps what a check expected, what it got and the help line as fields (or, for a step whose
code did not return, the problem and its help); a CheckResult is one check's step, label, points and
outcome; a Grade is all of them, with a version number, and travels between processes as JSON.
grader/results/render.py turns a Grade into each output: the terminal report, Gradescope's results.json,
Classroom 50's result.json, Markdown, GitHub Actions annotations and a gradebook row. No output is ever parsed back.
"""

import json
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from grader.course.i18n import _, lang
from grader.course.steps import STEPS, prerequisites

VERSION = 1


class Outcome(StrEnum):
    """How one check ended; a step's outcome is its checks' when they all agree, else FAILED (Grade.step_outcome)."""

    PENDING = "pending"  # Not graded yet.
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # An earlier step it needs failed: blocked_by names it.
    STOPPED = "stopped"  # The grading was stopped from outside (Grade.stop) before the check ended.


def beside(value):
    """A value as it sits in a sentence: in Chinese, a space parts it from the characters only when it starts
    with a Latin letter, digit or bracket ("应该得到 float32", but "应该得到形状为 …")."""
    if lang() != "zh" or not value or not (value[0].isascii() and (value[0].isalnum() or value[0] in "([{'\"")):
        return value
    return f" {value}"


@dataclass
class Failure:
    """Why a check did not pass: "expected X, got Y" (a mismatch), or a problem in words; and one help line."""

    expected: str | None = None
    got: str | None = None
    help: str | None = None
    problem: str | None = None  # Instead of expected and got: what went wrong, as the student reads it.

    def text(self):
        """The failure as the student reads it, in the language messages were made in."""
        first = self.problem if self.problem is not None else _(
            "expected {expected}, got {got}", expected=beside(self.expected), got=beside(self.got))
        return first + ("\n" + _("Help: {help}", help=self.help) if self.help else "")


@dataclass
class CheckResult:
    """One check: the step it belongs to, its label (the check's docstring), its points and how it ended."""

    step: str
    label: str
    points: float
    outcome: Outcome = Outcome.PENDING
    failure: Failure | None = None  # Why it failed.
    blocked_by: str | None = None  # The step to fix first, when it was skipped.
    note: str = ""  # What a passed check adds: "test accuracy 0.9782".
    value: float | None = None  # What it measured, when it measures: the test accuracy.

    @property
    def score(self):
        return self.points if self.outcome == Outcome.PASSED else 0


@dataclass
class Grade:
    """Every check of one grading, in grading order, and the submission as messages name it."""

    submission: str  # The folder, as given.
    shown: str | None = None  # The notebook the folder was read from, named instead of its files.
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0  # How long the grading took.
    version: int = VERSION

    @property
    def score(self):
        return sum(check.score for check in self.checks)

    @property
    def max_score(self):
        return sum(check.points for check in self.checks)

    def steps(self):
        """The graded steps, in course order, each with its checks."""
        graded = {}
        for check in sorted(self.checks, key=lambda check: list(STEPS).index(check.step)):
            graded.setdefault(check.step, []).append(check)
        return graded

    def step_outcome(self, step):
        """PASSED, SKIPPED or STOPPED when all its checks were, else FAILED."""
        outcomes = {check.outcome for check in self.checks if check.step == step}
        return outcomes.pop() if outcomes in ({Outcome.PASSED}, {Outcome.SKIPPED}, {Outcome.STOPPED}) \
            else Outcome.FAILED

    def stop(self, reason):
        """The grading was stopped from outside: each check not graded yet is "stopped", for `reason`."""
        for check in self.checks:
            if check.outcome == Outcome.PENDING:
                check.outcome, check.failure = Outcome.STOPPED, Failure(problem=reason)

    def step_score(self, step):
        return sum(check.score for check in self.checks if check.step == step)

    def done(self):
        return [step for step in self.steps() if self.step_outcome(step) == Outcome.PASSED]

    def first_failed(self):
        return next((step for step in self.steps() if self.step_outcome(step) == Outcome.FAILED), None)

    def blocker(self, step):
        """The first earlier step that `step` depends on, directly or not, and that failed; or None."""
        for need in prerequisites(step):
            if any(check.outcome == Outcome.FAILED for check in self.checks if check.step == need):
                return need
        return None

    def merged(self, newer):
        """This grade with the steps that `newer` graded as `newer` graded them: --watch's view after a save."""
        graded = {check.step for check in newer.checks}
        checks = [check for check in self.checks if check.step not in graded] + newer.checks
        order = list(STEPS)
        return replace(newer, checks=sorted(checks, key=lambda check: order.index(check.step)))

    def path(self, step):
        """Where the student fixes `step`: its file in the submission, or the notebook."""
        return self.shown or str(Path(self.submission) / STEPS[step].file)

    def to_json(self):
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        if data.get("version") != VERSION:
            raise ValueError(f"a grade of version {data.get('version')}, not {VERSION}")
        checks = [CheckResult(**{**check, "outcome": Outcome(check["outcome"]),
                                 "failure": Failure(**check["failure"]) if check["failure"] else None})
                  for check in data.pop("checks")]
        return cls(**data, checks=checks)
