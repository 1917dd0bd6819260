"""Each output of a Grade (grader/results/grade.py): the terminal report, full or compact, Gradescope's
results.json, Classroom 50's result rows, Markdown (a release or a job summary), GitHub Actions annotations, JUnit XML
(GitLab's and Jenkins' test reports) and a gradebook row. Texts are in the student's language
(grader/course/i18n.py); none of these is ever read back.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.course.i18n import _
from grader.course.steps import STEPS
from grader.results.grade import CheckResult, Grade, Outcome

MARKS = {Outcome.PASSED: "✓", Outcome.FAILED: "✗", Outcome.SKIPPED: "–", Outcome.STOPPED: "–"}


def message(check: CheckResult) -> str:
    """What the student reads for one check: why it failed, why it was skipped, or its note."""
    if check.outcome == Outcome.SKIPPED and check.blocked_by:
        return _("fix {step} first", step=check.blocked_by)
    if check.failure is not None:
        return check.failure.text()
    return check.note


def step_block(grade: Grade, step: str) -> str:
    """One step's lines: its mark, name and points, then what failed, as the student reads it."""
    checks = grade.steps()[step]
    outcome = grade.step_outcome(step)
    head = f"{MARKS[outcome]} {step:<10} {grade.step_score(step):g}/{sum(c.points for c in checks):g}"
    if outcome == Outcome.PASSED:
        return "  ".join([head, *(c.note for c in checks if c.note)])
    if outcome == Outcome.SKIPPED:
        return head + "  " + _("skipped: {reason}", reason=message(checks[0]))
    if outcome == Outcome.STOPPED:
        return head + "  " + message(checks[0])
    messages = {message(c) for c in checks}
    if len(messages) == 1 and all(c.outcome == Outcome.FAILED for c in checks):
        return head + _indent(messages.pop(), 4)
    lines = [head]
    for check in checks:
        lines.append(f"    {MARKS[check.outcome]} {_(check.label)}")
        if check.outcome != Outcome.PASSED:
            lines.append(_indent(message(check), 6).lstrip("\n"))
    return "\n".join(lines)


def total(grade: Grade, watching: bool = False) -> str:
    """The score, and what to do next (while watching, saving grades again)."""
    graded, done = grade.steps(), grade.done()
    counts = dict(score=f"{grade.score:g}", points=f"{grade.max_score:g}", done=len(done), steps=len(graded))
    line = (_("Score: {score}/{points} ({done} of {steps} step done)", **counts) if len(graded) == 1
            else _("Score: {score}/{points} ({done} of {steps} steps done)", **counts))
    first = grade.first_failed()
    if first is None:
        return line + "\n" + _("All checks passed. Well done!") if len(done) == len(graded) else line
    if STEPS[first].file:
        next_ = (_("Next: fix {step} in {path}, then save again.", step=first, path=grade.path(first)) if watching
                 else _("Next: fix {step} in {path}, then grade again.", step=first, path=grade.path(first)))
        return line + "\n" + next_
    return line + "\n" + (_("Next: fix {step}, then save again.", step=first) if watching
                          else _("Next: fix {step}, then grade again.", step=first))


def report(grade: Grade) -> str:
    """The whole report: every step, then the total."""
    return "\n".join([*(step_block(grade, step) for step in grade.steps()), "", total(grade)])


def compact(grade: Grade) -> str:
    """What watch mode shows: the steps done, the first failing step in full, and what to do next."""
    graded, done = grade.steps(), grade.done()
    counts = dict(done=len(done), steps=len(graded))
    lines = [(_("{done}/{steps} step done", **counts) if len(graded) == 1 else _("{done}/{steps} steps done", **counts))
             + ("  " + " ".join(f"{MARKS[Outcome.PASSED]} {step}" for step in done) if done else "")]
    first = grade.first_failed()
    if first:
        lines.append(step_block(grade, first))
    return "\n".join([*lines, "", total(grade, watching=True)])


def gradescope(grade: Grade) -> dict:
    """Gradescope's results.json: the score, the report (Markdown: a code block keeps its columns), one test per
    check, named by its label and tagged with its step, the grading's time and the test accuracy for the
    leaderboard."""
    results = {
        "score": grade.score,
        "execution_time": grade.seconds,
        "output": "```\n" + report(grade) + "\n```",
        "output_format": "md",
        "test_output_format": "text",
        "visibility": "visible",
        "tests": [
            {
                "name": check.label,
                "score": check.score,
                "max_score": check.points,
                "status": "passed" if check.outcome == Outcome.PASSED else "failed",
                "output": check_output(check),
                "tags": [check.step],
            }
            for check in grade.checks
        ],
    }
    measured = [check.value for check in grade.checks if check.value is not None]
    if measured:
        results["leaderboard"] = [{"name": _("Test accuracy"), "value": measured[0]}]
    return results


def check_output(check: CheckResult) -> str:
    """What one check's entry in results.json and in Classroom 50's result.json says."""
    return _("skipped: {reason}", reason=message(check)) if check.outcome == Outcome.SKIPPED else message(check)


def markdown(grade: Grade, title: str) -> str:
    """The report as Markdown, for a page students open (Classroom 50's release, a GitHub Actions job summary):
    `title` and the score, one table row per step, what to fix, then the whole report as the terminal shows it."""
    lines = [f"### {title}: {grade.score:g}/{grade.max_score:g}", "",
             "| | " + _("Step") + " | " + _("Points") + " | " + _("What to fix") + " |", "|---|---|---|---|"]
    for step, checks in grade.steps().items():
        outcome = grade.step_outcome(step)
        problems = [] if outcome == Outcome.PASSED else list(dict.fromkeys(
            (message(check) or "").partition("\n")[0] for check in checks if check.outcome != Outcome.PASSED))
        points = f"{grade.step_score(step):g}/{sum(check.points for check in checks):g}"
        lines.append(f"| {MARKS[outcome]} | {step} | {points} | {_cell('; '.join(problems))} |")
    next_lines = total(grade).splitlines()[1:]
    lines += ["", *next_lines, "", "<details><summary>" + _("The whole report") + "</summary>", "", "````text",
              report(grade), "````", "", "</details>"]
    return "\n".join(lines) + "\n"


def no_grade(title: str, reason: str) -> str:
    """The Markdown page of a grading that made no grade: `title`, no score, and why."""
    return f"### {title}: —\n\n{reason}\n"


def _cell(text):
    """`text` as one cell of a Markdown table: its pipes escaped, on one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def classroom50_tests(grade: Grade) -> list[dict]:
    """Classroom 50's result.json rows: one per check, named after its step, with whole points (the runner takes
    integers only; every check's points are whole), adding up to the grade's score."""
    return [{"test-name": f"{check.step}: {_(check.label)}", "passed": check.outcome == Outcome.PASSED,
             "score": round(check.score), "max-score": round(check.points), "message": check_output(check) or ""}
            for check in grade.checks]


def annotations(grade: Grade) -> list[str]:
    """GitHub Actions workflow commands, one per step that did not pass: an error on the step's file (a warning for
    a skipped step), titled with the step and its points, saying why; then a notice with the score."""
    commands = []
    for step, checks in grade.steps().items():
        outcome = grade.step_outcome(step)
        if outcome == Outcome.PASSED:
            continue
        kind = "warning" if outcome == Outcome.SKIPPED else "error"
        title = f"{step} {grade.step_score(step):g}/{sum(check.points for check in checks):g}"
        text = "\n".join(dict.fromkeys(message(check) or "" for check in checks if check.outcome != Outcome.PASSED))
        where = Path(grade.path(step)).as_posix() if STEPS[step].file else None  # As GitHub names files.
        properties = ",".join([*([f"file={_property(where)}"] if where else []), f"title={_property(title)}"])
        commands.append(f"::{kind} {properties}::{_data(text)}")
    commands.append(f"::notice::{_data(total(grade))}")
    return commands


def _data(text):
    """A workflow command's message, escaped as the Actions runner reads it back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text):
    """A workflow command's property value, escaped as the Actions runner reads it back."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def junit(grade: Grade, title: str) -> str:
    """JUnit XML, as GitLab's and Jenkins' test reports read it: one testcase per check, its step as classname (GitLab
    keys a test on classname and name) and its label as name; a failed check has a failure whose text is what the
    terminal shows (expected, got and the help; its first line as the message), a check that did not run is skipped,
    naming the step to fix first. The testsuite is named `title` with the score, and its properties give the score
    and each check's points (JUnit has no place for them in a testcase; GitLab shows no properties, Jenkins does)."""
    counts = {**_junit_counts(grade.checks), "time": f"{grade.seconds:.3f}"}
    root = ET.Element("testsuites", name=_xml_text(title), **counts)
    suite = ET.SubElement(root, "testsuite", name=_xml_text(f"{title}: {grade.score:g}/{grade.max_score:g}"),
                          **counts, skipped=str(sum(c.outcome == Outcome.SKIPPED for c in grade.checks)))
    properties = ET.SubElement(suite, "properties")
    points = [("score", f"{grade.score:g}"), ("max_score", f"{grade.max_score:g}"),
              *((_(check.label), f"{check.score:g}/{check.points:g}") for check in grade.checks)]
    for name, value in points:
        ET.SubElement(properties, "property", name=_xml_text(name), value=value)
    for check in grade.checks:
        case = ET.SubElement(suite, "testcase", classname=check.step, name=_xml_text(_(check.label)))
        if check.outcome == Outcome.PASSED:
            continue
        text = _xml_text(message(check) or "")
        if check.outcome == Outcome.SKIPPED:
            ET.SubElement(case, "skipped", message=text)
        else:
            ET.SubElement(case, "failure", message=text.partition("\n")[0].rstrip("\r")).text = text
    return _xml(root)


def junit_no_grade(title: str, reason: str) -> str:
    """The JUnit XML of a grading that made no grade: one failed testcase saying why."""
    root = ET.Element("testsuites", name=_xml_text(title), tests="1", failures="1", errors="0")
    suite = ET.SubElement(root, "testsuite", name=_xml_text(f"{title}: —"), tests="1", failures="1", errors="0",
                          skipped="0")
    case = ET.SubElement(suite, "testcase", classname="mnist-grade", name=_xml_text(title))
    ET.SubElement(case, "failure", message=_xml_text(reason)).text = _xml_text(reason)
    return _xml(root)


def _junit_counts(checks):
    return {"tests": str(len(checks)), "errors": "0",
            "failures": str(sum(c.outcome not in (Outcome.PASSED, Outcome.SKIPPED) for c in checks))}


def _xml(root):
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# What XML 1.0 cannot hold at all, even escaped: control characters but tab and newlines, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text):
    """`text` as XML can hold it: what student code printed may carry a terminal's colour codes (ESC) or a NUL,
    shown as \\x1b or \\x00 (a lone surrogate as \\udc80)."""
    return _NOT_XML.sub(lambda found: ascii(found.group())[1:-1], text)


def gradebook_row(grade: Grade | None, student: str, status: str = "graded") -> dict:
    """A row of grades.csv: the points of each step, the total and the maximum; without a grade (an error),
    empty points, which a gradebook cannot take for a real zero."""
    if grade is None:
        return {"student": student, **dict.fromkeys(STEPS, ""), "total": "", "max": 100, "status": status}
    row = {"student": student, **dict.fromkeys(STEPS, 0), "total": 0, "max": 100, "status": status}
    row.update({step: grade.step_score(step) for step in grade.steps()})
    row.update(total=grade.score, max=grade.max_score)
    return row


def check_rows(grade: Grade | None, student: str) -> list[dict]:
    """The rows of checks.csv: one per check, with its step, label, points, score and outcome."""
    return [{"student": student, "step": c.step, "check": c.label, "points": c.points, "score": c.score,
             "outcome": c.outcome} for c in (grade.checks if grade else [])]


def _indent(text, spaces):
    return "".join(f"\n{' ' * spaces}{line}" for line in text.splitlines())
