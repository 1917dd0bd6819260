"""The gradebook: records each check's result and shows the grade, per step, as text and as JSON."""

import contextlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.i18n import _
from grader.steps import STEPS, prerequisites

MARKS = {"passed": "✓", "failed": "✗", "skipped": "–"}


@dataclass
class Check:
    """One check as the student sees it: its label (the test's docstring), points and result."""

    step: str
    label: str
    points: float
    outcome: str = "pending"
    message: str = ""

    @property
    def score(self):
        return self.points if self.outcome == "passed" else 0


class Gradebook:
    """A pytest plugin that collects check results and reports them per step."""

    def __init__(self, config, folder):
        self.config, self.folder = config, folder
        self.checks = {}  # nodeid -> Check, in grading order.

    # Recording.

    def pytest_collection_finish(self, session):
        for item in session.items:
            marker = item.get_closest_marker("points")
            label = (item.function.__doc__ or item.name).strip().splitlines()[0]
            self.checks[item.nodeid] = Check(item.module.STEP, label, marker.args[0] if marker else 1)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        check = self.checks[item.nodeid]
        if check.outcome in ("pending", "passed") and (report.when == "call" or not report.passed):
            check.outcome = report.outcome
            check.message = _message(call, report)
        if report.when == "teardown" and self.streaming() and self._step_done(check.step):
            self.write(self.format_step(check.step))
        return report

    def blocker(self, step):
        """The first earlier step that `step` depends on, directly or not, and that failed; or None."""
        for need in prerequisites(step):
            if any(c.outcome == "failed" for c in self.checks.values() if c.step == need):
                return need
        return None

    def _step_done(self, step):
        return all(c.outcome != "pending" for c in self.checks.values() if c.step == step)

    # Showing.

    def steps(self):
        """The graded steps, in course order, each with its checks."""
        graded = {}
        for check in self.checks.values():
            graded.setdefault(check.step, []).append(check)
        return graded

    def format_step(self, step):
        checks = self.steps()[step]
        score, points = sum(c.score for c in checks), sum(c.points for c in checks)
        outcome = _step_outcome(checks)
        head = f"{MARKS[outcome]} {step:<10} {score:g}/{points:g}"
        if outcome == "passed":
            return "  ".join([head, *(c.message for c in checks if c.message)])
        if outcome == "skipped":
            return head + "  " + _("skipped: {reason}", reason=checks[0].message)
        messages = {c.message for c in checks}
        if len(messages) == 1 and all(c.outcome == "failed" for c in checks):
            return head + _indent(messages.pop(), 4)
        lines = [head]
        for c in checks:
            lines.append(f"    {MARKS[c.outcome]} {_(c.label)}")
            if c.outcome != "passed":
                lines.append(_indent(c.message, 6).lstrip("\n"))
        return "\n".join(lines)

    def format_total(self):
        graded = self.steps()
        score = sum(c.score for c in self.checks.values())
        points = sum(c.points for c in self.checks.values())
        done = [step for step, checks in graded.items() if _step_outcome(checks) == "passed"]
        line = _("Score: {score}/{points} ({done} of {steps} steps done)",
                 score=f"{score:g}", points=f"{points:g}", done=len(done), steps=len(graded))
        first = self.first_failed()
        if first is None:
            return line + "\n" + _("All checks passed. Well done!") if len(done) == len(graded) else line
        if STEPS[first].file:
            path = self.config.getoption("shown_as") or self.folder / STEPS[first].file
            return line + "\n" + _("Next: fix {step} in {path}, then grade again.", step=first, path=path)
        return line + "\n" + _("Next: fix {step}, then grade again.", step=first)

    def first_failed(self):
        return next((step for step, checks in self.steps().items() if _step_outcome(checks) == "failed"), None)

    def format_compact(self):
        """What watch mode shows: the steps done, the first failing step in full, and what to do next."""
        graded = self.steps()
        done = [step for step, checks in graded.items() if _step_outcome(checks) == "passed"]
        lines = [_("{done}/{steps} steps done", done=len(done), steps=len(graded))
                 + ("  " + " ".join(f"{MARKS['passed']} {step}" for step in done) if done else "")]
        first = self.first_failed()
        if first:
            lines.append(self.format_step(first))
        return "\n".join([*lines, "", self.format_total()])

    def report(self):
        return "\n".join([*(self.format_step(step) for step in self.steps()), "", self.format_total()])

    def gradescope(self):
        """The grade in Gradescope's results.json format."""
        return {
            "score": sum(c.score for c in self.checks.values()),
            "output": self.report(),
            "visibility": "visible",
            "tests": [
                {
                    "name": c.label,
                    "score": c.score,
                    "max_score": c.points,
                    "status": "passed" if c.outcome == "passed" else "failed",
                    "output": _("skipped: {reason}", reason=c.message) if c.outcome == "skipped" else c.message,
                }
                for c in self.checks.values()
            ],
        }

    # Hooks that print and write.

    def streaming(self):
        """Whether each step is shown as soon as it is graded: mnist-grade's own view, but not --compact."""
        return self.config.getoption("live") and not self.config.getoption("compact")

    def pytest_sessionstart(self, session):
        if self.streaming():
            shown = self.config.getoption("shown_as")
            what = shown if shown else f"{self.folder}/"
            self.write(_("Grading {folder} (the fit step trains a real model: allow a minute)", folder=what) + "\n")

    def pytest_terminal_summary(self, terminalreporter, exitstatus):
        if self.checks and exitstatus in (0, 1) and not self.config.getoption("live") and not self.config.getoption("compact"):
            terminalreporter.write_sep("=", "grade")
            terminalreporter.write_line(self.report())

    def pytest_sessionfinish(self, session, exitstatus):
        if exitstatus not in (0, 1) or not self.checks:
            return
        if self.config.getoption("compact"):
            self.write(self.format_compact())
        elif self.config.getoption("live"):
            self.write("\n" + self.format_total())
        path = self.config.getoption("grade_json")
        if path:
            Path(path).write_text(json.dumps(self.gradescope(), indent=2, ensure_ascii=False) + "\n")

    def write(self, text):
        """Print to the terminal at once, in colour when it is one (and NO_COLOR is not set)."""
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            console = _console()
            for line in text.split("\n"):
                console.print(_painted(line))

    @contextlib.contextmanager
    def training(self):
        """A progress bar for the epochs while fit trains, on a terminal; yields what to call with the worker's output."""
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            console = _console()
            if not (self.streaming() and console.is_terminal):
                yield lambda printed: None
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn(_("training")), BarColumn(), MofNCompleteColumn(), TextColumn(_("epochs")),
                          TimeElapsedColumn(), console=console, transient=True) as bar:
                task = bar.add_task("fit", total=None)

                def update(printed):
                    done, total = epochs(printed)
                    bar.update(task, completed=done, total=total)

                yield update


def epochs(printed):
    """(epochs finished, epochs in all) from Keras's output ("Epoch 3/5" starts the third); (0, None) before."""
    found = re.findall(r"^Epoch (\d+)/(\d+)", printed, re.MULTILINE)
    if not found:
        return 0, None
    started, total = map(int, found[-1])
    return started - 1, total


def _console():
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=True, emoji=False, markup=False)


STYLES = {"✓": "green", "✗": "bold red", "–": "yellow"}


def _painted(line):
    """A report line with its mark coloured; rich drops the colour when it is not a terminal or NO_COLOR is set."""
    from rich.text import Text

    text = Text(line)
    mark = line.strip()[:1]
    if mark in STYLES:
        start = line.index(mark)
        text.stylize(STYLES[mark], start, start + 1)
        if not line.startswith(" "):
            text.stylize("bold", start + 2, start + 12)
    elif line and not line.startswith(" "):  # The total, the next step, the heading.
        text.stylize("bold")
    return text


def _step_outcome(checks):
    if all(c.outcome == "passed" for c in checks):
        return "passed"
    if all(c.outcome == "skipped" for c in checks):
        return "skipped"
    return "failed"


def _message(call, report):
    """What the student reads for a check: the reason given to pytest.fail or pytest.skip, or its note."""
    if report.passed:
        return dict(report.user_properties).get("note", "")
    error = call.excinfo and call.excinfo.value
    if isinstance(error, (pytest.fail.Exception, pytest.skip.Exception)):
        return error.msg
    return _("the grader itself failed; this is not your fault. Please report it:") + f"\n{report.longreprtext}"


def _indent(text, spaces):
    return "".join(f"\n{' ' * spaces}{line}" for line in text.splitlines())
