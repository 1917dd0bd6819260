"""A batch's class report, report.html: one page that an instructor reads, or prints, once the class is graded.

write_gradebooks (grader/instructor/batch.py) writes it from what is stored for each student: the gradebook row,
the Grade when there is one, and why a submission was not graded in full. The page shows, in order, how many
submissions there are and how they scored, the distribution of the totals, each step's and each check's pass rate,
the most common failure messages (every one in failures.csv beside it), the students not graded in full, the test
accuracies of those who trained, and the roster: every student's total and marks, with a link to their feedback.

This module works out what the page shows; the page itself is template-report.html beside it, a Jinja2 template
rendered with autoescaping: student names and messages are untrusted text, and every value is escaped as the
template writes it. The page is one self-contained file: its style is inline, its charts are SVG, it has no script
and loads nothing, so it opens offline and prints as it shows. Its texts are in the instructor's language (--lang),
its numbers are written alike in both.
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, median
from urllib.parse import quote

import jinja2

from grader.course.i18n import _, lang
from grader.course.steps import ACCURACY_BAR, STEPS
from grader.instructor.statuses import BatchStatus
from grader.results import render
from grader.results.grade import Grade, Outcome

TOP_FAILURES = 15  # The failure messages shown, the most common first.
NAMES_SHOWN = 10  # The students named for one failure message; the others are counted.
NOT_GRADED_SHOWN = 100  # The students not graded in full listed with why; the roster shows every status.
FAILURE_COLUMNS = ["step", "message", "count", "student"]  # failures.csv: one row per failure and student.
# The accuracy histogram has fixed bins of 0.005 from 0.900 to 1.000, and one bin below them, shown only when a
# model falls there. Fixed bins keep two classes' charts comparable and put the pass mark (0.97) on an edge, and
# every reference run lies within 0.97-0.99 (steps.toml), so the bins are fine where the grades are decided; a
# model under 0.90 barely learned, and its exact accuracy matters less than that it is there.
ACCURACY_FLOOR, ACCURACY_BIN, ACCURACY_BINS = 0.900, 0.005, 20

@dataclass(frozen=True)
class Student:
    """One student of the report: their gradebook row, their Grade (None when there is none, or when an older
    row.json did not keep it) and, for a submission not graded in full, the line of feedback.txt that says why."""

    row: dict
    grade: Grade | None = None
    reason: str | None = None

    @classmethod
    def stored(cls, stored, folder):
        """The student of what grade_one stored (row.json's `stored`), with the reason read from folder/feedback.txt."""
        grade = None
        if stored.get("grade"):  # An older row.json has none.
            try:
                grade = Grade.from_json(json.dumps(stored["grade"]))
            except (ValueError, TypeError):
                pass  # A grade of another version: the row alone is shown.
        try:
            feedback = (Path(folder) / "feedback.txt").read_text(encoding="utf-8", errors="replace")
        except OSError:
            feedback = ""
        return cls(stored["row"], grade, reason(stored["row"]["status"], feedback))

    @property
    def name(self):
        return str(self.row["student"])


def reason(status, feedback):
    """Why a submission of `status` was not graded in full, from its feedback.txt: the last non-empty line after a
    timeout or a stop for memory (the batch adds it after what the grading printed), else the first; None for one
    graded."""
    if status == BatchStatus.GRADED:
        return None
    lines = [line.strip() for line in feedback.splitlines() if line.strip()]
    if not lines:
        return None
    return lines[-1] if status in (BatchStatus.TIMEOUT, BatchStatus.MEMORY) else lines[0]


def write_report(path: str | Path, students: list[Student], assignment: str = "MNIST") -> None:
    """Write the class report of `students` (Student) to `path`, as UTF-8."""
    Path(path).write_text(html(students, assignment), encoding="utf-8")


def html(students, assignment="MNIST"):
    """The class report of `students` (Student), for `assignment`: a whole HTML page, as a string."""
    rates = pass_rates(students)
    return template().render(
        lang="zh-CN" if lang() == "zh" else "en", title=_("{assignment}: class report", assignment=assignment),
        facts=header(students), totals=totals(students), rates=rates, failures=failures(students),
        not_graded=not_graded(students), accuracy=accuracies(students), roster=roster(students))


@functools.cache
def template():
    """template-report.html, compiled once; every value it writes is escaped."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
                                     autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.get_template("template-report.html")


def header(students):
    """The page's facts: the submissions, how many were graded in full, the mean and median total."""
    count = len(students)
    totals_ = [student.row["total"] for student in students if has_total(student)]
    facts = [_("1 submission") if count == 1 else _("{count} submissions", count=count),
             _("{count} graded in full", count=sum(not_in_full(student) is None for student in students))]
    if totals_:
        facts.append(_("mean total {mean}, median total {median} (of {count} with a total)", mean=number(
            mean(totals_)), median=number(median(totals_)), count=len(totals_)))
    else:
        facts.append(_("No submission has a total yet."))
    return facts


def totals(students):
    """The distribution of the totals: ten bins of a tenth of the maximum each, the last with the maximum itself."""
    counts = [0] * 10
    for student in students:
        if has_total(student):
            counts[min(int(student.row["total"] * 10 // student.row["max"]), 9)] += 1
    bins = [(f"{10 * i}–{10 * i + 9}" if i < 9 else "90–100", count) for i, count in enumerate(counts)]
    caption = _("Students per range of the total, in points out of 100.")
    return {"heading": _("Distribution of totals"), "caption": caption, "chart": histogram(bins, caption)}


def pass_rates(students):
    """Each step's pass rate (the share of graded students whose step got all its points), then each check's, grouped
    under its step: rows of a rate table, a step's heading row holding `step`."""
    grades = [student.grade for student in students if student.grade is not None]
    found = {"heading": _("Pass rate by step"), "checks_heading": _("Pass rate by check"), "steps": None,
             "checks": None, "empty": _("No submission has a grade yet."), "explained": None}
    if not grades:
        return found
    steps, checks = {}, {}
    for grade in grades:
        for step, graded in grade.steps().items():
            full = grade.step_score(step) == sum(check.points for check in graded)
            steps.setdefault(step, []).append(full)
            for check in graded:
                checks.setdefault(step, {}).setdefault(check.label, []).append(check.outcome == Outcome.PASSED)
    found["steps"] = [rate_row(step, passed, code=True) for step, passed in in_step_order(steps)]
    found["checks"] = [row for step, labels in in_step_order(checks)
                       for row in [{"step": step}, *(rate_row(_(label), passed) for label, passed in labels.items())]]
    found["explained"] = _("A step passes when it gets all its points. Each rate is of the submissions with a grade: "
                           "{count}.", count=len(grades))
    return found


def in_step_order(by_step):
    """The items of a dict keyed by step, in the course's order of steps."""
    return sorted(by_step.items(), key=lambda item: list(STEPS).index(item[0]))


def rate_row(label, passed, code=False):
    """One row of a rate table: `label` (as code, for a step), the share of True in `passed` for its bar (0 to 100),
    and as text."""
    count, share = len(passed), sum(passed)
    return {"label": label, "code": code, "share": f"{100 * share / count:.2f}",
            "text": f"{percent(share, count)} · {_('{passed} of {count}', passed=share, count=count)}"}


def failure_groups(students):
    """The failure messages of failed checks (not those skipped or stopped), by step and first line of the message:
    [((step, message), [student names])], the most students first, then in step order."""
    groups = {}
    for student in students:
        for check in student.grade.checks if student.grade else ():
            if check.outcome == Outcome.FAILED:
                names = groups.setdefault((check.step, common(student.grade, check)), {})
                names[student.name] = True
    return sorted(((key, list(names)) for key, names in groups.items()),
                  key=lambda item: (-len(item[1]), list(STEPS).index(item[0][0]), item[0][1]))


def failure_rows(students: list[Student]) -> list[dict]:
    """failures.csv's rows (FAILURE_COLUMNS): every failure message and every student who got it."""
    return [{"step": step, "message": message, "count": len(names), "student": name}
            for (step, message), names in failure_groups(students) for name in names]


def failures(students):
    """The most common failure messages, each with how many students got it and the first of them."""
    top = failure_groups(students)
    return {"heading": _("Most common failures"), "empty": _("No check failed."),
            "explained": _("Failed checks grouped by step and message, the most common first (at most {count}); every "
                           "one, with every student, is in failures.csv beside this page.", count=TOP_FAILURES),
            "columns": [(_("count"), 9), (_("step"), 13), (_("message"), 44), (_("students"), 34)],
            "rows": [{"count": f"{len(names):,}", "step": step, "message": message, "names": named(names)}
                     for (step, message), names in top[:TOP_FAILURES]]}


def common(grade, check):
    """The first line of a failed check's message, as every student who made the mistake got it: their own paths
    ("bob/build.py") written as the step's file ("build.py")."""
    first = render.message(check).partition("\n")[0]
    file = STEPS[check.step].file
    if file:
        first = first.replace(grade.path(check.step), file)
    return first


def named(names):
    """The first NAMES_SHOWN of `names`, and how many more there are."""
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return shown + " " + _("and {count} more", count=f"{more:,}") if more > 0 else shown


def not_in_full(student):
    """(status, reason) for a student not graded in full: a timeout, a stop for memory, an error or, with status
    graded, a grade with stopped checks; None for one graded in full."""
    stopped = [check for check in student.grade.checks if check.outcome == Outcome.STOPPED] if student.grade else []
    status = student.row["status"]
    if status == BatchStatus.GRADED and not stopped:
        return None
    why = student.reason or (render.message(stopped[0]).partition("\n")[0] if stopped else "")
    return ("stopped" if status == BatchStatus.GRADED else status), why


def not_graded(students):
    """The students not graded in full, by name, each with their status and why (the first NOT_GRADED_SHOWN)."""
    rows = []
    for student in sorted(students, key=lambda student: student.name):
        found = not_in_full(student)
        if found:
            status, why = found
            rows.append({"name": student.name, "status": status, "why": why or "—"})
    hidden = len(rows) - NOT_GRADED_SHOWN
    return {"heading": _("Not graded in full"), "empty": _("Every submission was graded in full."),
            "columns": [(_("student"), 24), (_("status"), 14), (_("why"), 62)], "rows": rows[:NOT_GRADED_SHOWN],
            "more": _("…and {count} more: the roster below shows every student's status.", count=f"{hidden:,}")
            if hidden > 0 else None}


def roster(students):
    """Every student, by name: their status, total and each step's mark, and a link to their feedback.txt (beside
    this page, in their folder; none for a student missing, who has no folder yet)."""
    rows = [{"name": student.name, "status": student.row["status"], "total": student.row["total"],
             "link": None if student.row["status"] == BatchStatus.MISSING else f"{quote(student.name)}/feedback.txt",
             "marks": [student.row.get(step, "") for step in STEPS]}
            for student in sorted(students, key=lambda student: student.name)]
    return {"heading": _("Roster"), "rows": rows,
            "columns": [(_("student"), 22), (_("status"), 10), (_("total"), 8),
                        *((step, round(60 / len(STEPS), 2)) for step in STEPS)],
            "explained": _("Every student by name: their status, total and the points of each step; the name opens "
                           "what they were shown, feedback.txt.")}


def accuracies(students):
    """The test accuracies of those who trained (the accuracy check's value): a histogram, and the lowest, median
    and highest; no chart when nobody trained."""
    values = [check.value for student in students for check in (student.grade.checks if student.grade else ())
              if check.step == "accuracy" and check.value is not None]
    found = {"heading": _("Test accuracy"), "empty": _("Nobody trained a model."), "chart": None}
    if not values:
        return found
    counts = [0] * (ACCURACY_BINS + 1)  # The first bin holds those below ACCURACY_FLOOR.
    for value in values:
        steps = round((value - ACCURACY_FLOOR) / ACCURACY_BIN, 6)  # Rounded first: 0.97 lies on an edge.
        counts[0 if steps < 0 else min(int(steps), ACCURACY_BINS - 1) + 1] += 1
    bins = [(f"{ACCURACY_FLOOR + i * ACCURACY_BIN:.3f}", count) for i, count in enumerate(counts[1:])]
    if counts[0]:
        bins.insert(0, (f"<{ACCURACY_FLOOR:.3f}", counts[0]))
    mark = (1 if counts[0] else 0) + round((ACCURACY_BAR - ACCURACY_FLOOR) / ACCURACY_BIN)
    found["summary"] = _("lowest {low}, median {median}, highest {high}; {count} trained a model",
                         low=accuracy(min(values)), median=accuracy(median(values)), high=accuracy(max(values)),
                         count=len(values))
    found["caption"] = _("Students per bin of 0.005 of test accuracy; the dashed line is the pass mark, {bar}.",
                         bar=f"{ACCURACY_BAR:g}")
    found["chart"] = histogram(bins, found["caption"], mark=mark)
    return found


def histogram(bins, caption, mark=None):
    """An SVG column chart's geometry for `bins`, (label, count) pairs from left to right: each column with its
    count above it and its label below; `mark`, the index of a bin whose left edge gets a dashed line."""
    width, height, top, bottom = 960, 220, 28, 30
    slot, tallest = width / len(bins), max(count for _label, count in bins) or 1
    base = height - bottom
    columns = []
    for i, (label, count) in enumerate(bins):
        tall = (base - top) * count / tallest
        columns.append({"label": label, "count": count, "x": f"{i * slot + slot * 0.12:.1f}",
                        "y": f"{base - tall:.1f}", "width": f"{slot * 0.76:.1f}", "height": f"{tall:.1f}",
                        "middle": f"{(i + 0.5) * slot:.1f}", "count_y": f"{base - tall - 7:.1f}"})
    return {"caption": caption, "width": width, "height": height, "base": base, "label_y": base + 19,
            "columns": columns, "mark": None if mark is None else f"{mark * slot:.1f}", "mark_top": top - 12}


def has_total(student):
    """Whether the student's row has a total (a grade): an error's row has none."""
    return student.row.get("total") not in ("", None) and bool(student.row.get("max"))


def number(value):
    """A total as the page writes it in both languages: one decimal."""
    return f"{value:.1f}"


def percent(part, whole):
    """A share as the page writes it in both languages: "87.5%"."""
    return f"{100 * part / whole:.1f}%"


def accuracy(value):
    """A test accuracy as the grade's notes write it: four decimals."""
    return f"{value:.4f}"
