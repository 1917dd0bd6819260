"""The gradebook: records each check's result and shows the grade, per step, as text and as JSON."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.steps import STEPS

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
        if report.when == "teardown" and self.config.getoption("live") and self._step_done(check.step):
            self.write(self.format_step(check.step))
        return report

    def blocker(self, step):
        """The first earlier step that `step` depends on, directly or not, and that failed; or None."""
        needs, todo = set(), list(STEPS[step].needs)
        while todo:
            need = todo.pop()
            needs.add(need)
            todo.extend(STEPS[need].needs)
        for need in (name for name in STEPS if name in needs):
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
            return f"{head}  skipped: {checks[0].message}"
        messages = {c.message for c in checks}
        if len(messages) == 1 and all(c.outcome == "failed" for c in checks):
            return head + _indent(messages.pop(), 4)
        lines = [head]
        for c in checks:
            lines.append(f"    {MARKS[c.outcome]} {c.label}")
            if c.outcome != "passed":
                lines.append(_indent(c.message, 6).lstrip("\n"))
        return "\n".join(lines)

    def format_total(self):
        graded = self.steps()
        score = sum(c.score for c in self.checks.values())
        points = sum(c.points for c in self.checks.values())
        done = [step for step, checks in graded.items() if _step_outcome(checks) == "passed"]
        line = f"Score: {score:g}/{points:g} ({len(done)} of {len(graded)} steps done)"
        first = next((step for step, checks in graded.items() if _step_outcome(checks) == "failed"), None)
        if first is None:
            return line + "\nAll checks passed. Well done!" if len(done) == len(graded) else line
        where = f" in {self.folder / STEPS[first].file}" if STEPS[first].file else ""
        return f"{line}\nNext: fix {first}{where}, then grade again."

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
                    "output": ("skipped: " if c.outcome == "skipped" else "") + c.message,
                }
                for c in self.checks.values()
            ],
        }

    # Hooks that print and write.

    def pytest_sessionstart(self, session):
        if self.config.getoption("live"):
            self.write(f"Grading {self.folder}/ (the fit step trains a real model: allow a minute)\n")

    def pytest_terminal_summary(self, terminalreporter, exitstatus):
        if self.checks and exitstatus in (0, 1) and not self.config.getoption("live"):  # Not a stopped session.
            terminalreporter.write_sep("=", "grade")
            terminalreporter.write_line(self.report())

    def pytest_sessionfinish(self, session, exitstatus):
        if exitstatus not in (0, 1) or not self.checks:
            return
        if self.config.getoption("live"):
            self.write("\n" + self.format_total())
        path = self.config.getoption("grade_json")
        if path:
            Path(path).write_text(json.dumps(self.gradescope(), indent=2, ensure_ascii=False) + "\n")

    def write(self, text):
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(text, flush=True)


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
    return f"the grader itself failed; this is not your fault. Please report it:\n{report.longreprtext}"


def _indent(text, spaces):
    return "".join(f"\n{' ' * spaces}{line}" for line in text.splitlines())
