"""A batch's class report, report.html: one page that an instructor reads, or prints, once the class is graded.

write_gradebooks (grader/instructor/batch.py) writes it from what is stored for each student: the gradebook row,
the Grade when there is one, and why a submission was not graded in full. The page shows, in order, how many
submissions there are and how they scored, the distribution of the totals, each step's and each check's pass rate,
the most common failure messages (every one in failures.csv beside it), the students not graded in full, the test
accuracies of those who trained, and the roster: every student's total and marks, with a link to their feedback.

The page is one self-contained file: its style is inline, its charts are SVG drawn here, it has no script and loads
nothing, so it opens offline and prints as it shows. Its texts are in the instructor's language (--lang), its
numbers are written alike in both. Student names and messages are untrusted text: every one is escaped.
"""

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from statistics import mean, median
from urllib.parse import quote

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

STYLE = """
:root { color-scheme: light; }
body { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; color: #1d1d1f; background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
  "Noto Sans CJK SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", sans-serif; }
h1 { font-size: 1.6em; margin: 0 0 0.3em; }
h2 { font-size: 1.2em; margin: 1.8em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1em; margin: 1.2em 0 0.3em; }
section { break-inside: avoid; page-break-inside: avoid; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; padding: 0; list-style: none; }
.note { color: #57606a; margin: 0.3em 0; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eaeef2;
  overflow-wrap: anywhere; }
thead th, tr.step th { font-weight: 600; background: #f6f8fa; }
tbody th { font-weight: normal; }
tr { break-inside: avoid; page-break-inside: avoid; }
.num, .roster td:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.92em; }
svg.chart { display: block; width: 100%; height: auto; margin: 8px 0; }
svg.meter { display: block; width: 100%; height: 12px; margin-top: 6px; }
.track { fill: #eaeef2; }
.fill, .column { fill: #3b6ea8; }
.count { fill: #1d1d1f; font-size: 13px; text-anchor: middle; }
.label { fill: #57606a; font-size: 12px; text-anchor: middle; }
.axis { stroke: #8c959f; stroke-width: 1; }
.mark { stroke: #cf222e; stroke-width: 1.5; stroke-dasharray: 5 4; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""


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


def write_report(path, students, assignment="MNIST"):
    """Write the class report of `students` (Student) to `path`, as UTF-8."""
    Path(path).write_text(html(students, assignment), encoding="utf-8")


def html(students, assignment="MNIST"):
    """The class report of `students` (Student), for `assignment`: a whole HTML page, as a string."""
    title = escape(_("{assignment}: class report", assignment=assignment))
    sections = [header(students, title), totals(students), pass_rates(students), failures(students),
                not_graded(students), accuracies(students), roster(students)]
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang() == "zh" else "en"}">',
        '<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>",
        "<body>", *sections, "</body>", "</html>", ""])


def header(students, title):
    """The page's heading and its facts: the submissions, how many were graded in full, the mean and median total."""
    count = len(students)
    totals_ = [student.row["total"] for student in students if has_total(student)]
    facts = [_("1 submission") if count == 1 else _("{count} submissions", count=count),
             _("{count} graded in full", count=sum(not_in_full(student) is None for student in students))]
    if totals_:
        facts.append(_("mean total {mean}, median total {median} (of {count} with a total)", mean=number(
            mean(totals_)), median=number(median(totals_)), count=len(totals_)))
    else:
        facts.append(_("No submission has a total yet."))
    items = "".join(f"<li>{escape(fact)}</li>" for fact in facts)
    return f'<header>\n<h1>{title}</h1>\n<ul class="facts">{items}</ul>\n</header>'


def totals(students):
    """The distribution of the totals: ten bins of a tenth of the maximum each, the last with the maximum itself."""
    counts = [0] * 10
    for student in students:
        if has_total(student):
            counts[min(int(student.row["total"] * 10 // student.row["max"]), 9)] += 1
    bins = [(f"{10 * i}–{10 * i + 9}" if i < 9 else "90–100", count) for i, count in enumerate(counts)]
    caption = _("Students per range of the total, in points out of 100.")
    return section(_("Distribution of totals"), note(caption) + histogram(bins, caption))


def pass_rates(students):
    """Each step's pass rate (the share of graded students whose step got all its points), then each check's, grouped
    under its step."""
    grades = [student.grade for student in students if student.grade is not None]
    if not grades:
        return section(_("Pass rate by step"), note(_("No submission has a grade yet.")))
    steps, checks = {}, {}
    for grade in grades:
        for step, graded in grade.steps().items():
            full = grade.step_score(step) == sum(check.points for check in graded)
            steps.setdefault(step, []).append(full)
            for check in graded:
                checks.setdefault(step, {}).setdefault(check.label, []).append(check.outcome == Outcome.PASSED)
    step_rows = [rate_row(f"<code>{escape(step)}</code>", passed) for step, passed in in_step_order(steps)]
    check_rows = []
    for step, labels in in_step_order(checks):
        check_rows.append(f'<tr class="step"><th colspan="3"><code>{escape(step)}</code></th></tr>')
        check_rows += [rate_row(escape(_(label)), passed) for label, passed in labels.items()]
    explained = note(_("A step passes when it gets all its points. Each rate is of the submissions with a grade: "
                       "{count}.", count=len(grades)))
    return "\n".join([section(_("Pass rate by step"), explained + rate_table(step_rows)),
                      section(_("Pass rate by check"), rate_table(check_rows))])


def in_step_order(by_step):
    """The items of a dict keyed by step, in the course's order of steps."""
    return sorted(by_step.items(), key=lambda item: list(STEPS).index(item[0]))


def rate_table(rows):
    """A table of pass rates: a label, a bar, the percentage with "n of m"."""
    return ('<table class="rates"><colgroup><col style="width: 46%"><col style="width: 34%"><col style="width: 20%">'
            "</colgroup>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>")


def rate_row(label, passed):
    """One row of a rate table: `label` (HTML), a bar and the share of True in `passed`, as text too."""
    count, share = len(passed), sum(passed)
    text = f"{percent(share, count)} · {escape(_('{passed} of {count}', passed=share, count=count))}"
    return f'<tr><th scope="row">{label}</th><td>{meter(share / count)}</td><td class="num">{text}</td></tr>'


def meter(share):
    """A horizontal bar filled to `share` (0 to 1), as inline SVG: it prints, where a CSS background would not."""
    return ('<svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect class="track" width="100" height="10"/><rect class="fill" width="{100 * share:.2f}" height="10"/>'
            "</svg>")


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


def failure_rows(students):
    """failures.csv's rows (FAILURE_COLUMNS): every failure message and every student who got it."""
    return [{"step": step, "message": message, "count": len(names), "student": name}
            for (step, message), names in failure_groups(students) for name in names]


def failures(students):
    """The most common failure messages, each with how many students got it and the first of them."""
    top = failure_groups(students)
    if not top:
        return section(_("Most common failures"), note(_("No check failed.")))
    rows = [f"<tr><td>{len(names):,}</td><td><code>{escape(step)}</code></td><td>{escape(message)}</td>"
            f"<td>{escape(named(names))}</td></tr>" for (step, message), names in top[:TOP_FAILURES]]
    head = table_head([(_("count"), 9), (_("step"), 13), (_("message"), 44), (_("students"), 34)])
    explained = note(_("Failed checks grouped by step and message, the most common first (at most {count}); every "
                       "one, with every student, is in failures.csv beside this page.", count=TOP_FAILURES))
    return section(_("Most common failures"), explained + f"<table>{head}\n<tbody>\n" + "\n".join(rows)
                   + "\n</tbody></table>")


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
    """The students not graded in full, by name, each with their status and why."""
    rows = []
    for student in sorted(students, key=lambda student: student.name):
        found = not_in_full(student)
        if found:
            status, why = found
            rows.append(f"<tr><td>{escape(student.name)}</td><td><code>{escape(status)}</code></td>"
                        f"<td>{escape(why or '—')}</td></tr>")
    if not rows:
        return section(_("Not graded in full"), note(_("Every submission was graded in full.")))
    head = table_head([(_("student"), 24), (_("status"), 14), (_("why"), 62)])
    hidden = len(rows) - NOT_GRADED_SHOWN
    more = note(_("…and {count} more: the roster below shows every student's status.", count=f"{hidden:,}")) \
        if hidden > 0 else ""
    return section(_("Not graded in full"), f"<table>{head}\n<tbody>\n" + "\n".join(rows[:NOT_GRADED_SHOWN])
                   + "\n</tbody></table>" + more)


def roster(students):
    """Every student, by name: their status, total and each step's mark, and a link to their feedback.txt (beside
    this page, in their folder). Rows are written lean (no closing tags, which HTML lets a table row and cell omit):
    a class of 10,000 stays a page of a few MB."""
    head = table_head([(_("student"), 22), (_("status"), 10), (_("total"), 8),
                       *((step, round(60 / len(STEPS), 2)) for step in STEPS)])
    rows = []
    for student in sorted(students, key=lambda student: student.name):
        row, name = student.row, escape(student.name)
        if row["status"] != BatchStatus.MISSING:  # A missing student has no folder yet.
            name = f'<a href="{escape(quote(student.name))}/feedback.txt">{name}</a>'
        marks = "".join(f"<td>{escape(str(row.get(step, '')))}" for step in STEPS)
        rows.append(f"<tr><td>{name}<td>{escape(str(row['status']))}<td>{escape(str(row['total']))}{marks}")
    explained = note(_("Every student by name: their status, total and the points of each step; the name opens what "
                       "they were shown, feedback.txt."))
    return section(_("Roster"), explained + f'<table class="roster">{head}\n<tbody>\n' + "\n".join(rows)
                   + "\n</tbody></table>")


def table_head(columns):
    """A table's column widths and head: (title, width in percent) for each column."""
    widths = "".join(f'<col style="width: {width}%">' for _title, width in columns)
    titles = "".join(f"<th>{escape(title)}</th>" for title, _width in columns)
    return f"<colgroup>{widths}</colgroup><thead><tr>{titles}</tr></thead>"


def accuracies(students):
    """The test accuracies of those who trained (the accuracy check's value): a histogram, and the lowest, median
    and highest; one sentence when nobody trained."""
    values = [check.value for student in students for check in (student.grade.checks if student.grade else ())
              if check.step == "accuracy" and check.value is not None]
    if not values:
        return section(_("Test accuracy"), note(_("Nobody trained a model.")))
    counts = [0] * (ACCURACY_BINS + 1)  # The first bin holds those below ACCURACY_FLOOR.
    for value in values:
        steps = round((value - ACCURACY_FLOOR) / ACCURACY_BIN, 6)  # Rounded first: 0.97 lies on an edge.
        counts[0 if steps < 0 else min(int(steps), ACCURACY_BINS - 1) + 1] += 1
    bins = [(f"{ACCURACY_FLOOR + i * ACCURACY_BIN:.3f}", count) for i, count in enumerate(counts[1:])]
    if counts[0]:
        bins.insert(0, (f"<{ACCURACY_FLOOR:.3f}", counts[0]))
    mark = (1 if counts[0] else 0) + round((ACCURACY_BAR - ACCURACY_FLOOR) / ACCURACY_BIN)
    summary = _("lowest {low}, median {median}, highest {high}; {count} trained a model",
                low=accuracy(min(values)), median=accuracy(median(values)), high=accuracy(max(values)),
                count=len(values))
    caption = _("Students per bin of 0.005 of test accuracy; the dashed line is the pass mark, {bar}.",
                bar=f"{ACCURACY_BAR:g}")
    return section(_("Test accuracy"), note(summary) + note(caption) + histogram(bins, caption, mark=mark))


def histogram(bins, caption, mark=None):
    """An SVG column chart of `bins`, (label, count) pairs from left to right: each column with its count above it
    and its label below; `mark`, the index of a bin whose left edge gets a dashed line."""
    width, height, top, bottom = 960, 220, 28, 30
    slot, tallest = width / len(bins), max(count for _label, count in bins) or 1
    base = height - bottom
    parts = [f'<line class="axis" x1="0" y1="{base}" x2="{width}" y2="{base}"/>']
    for i, (label, count) in enumerate(bins):
        tall = (base - top) * count / tallest
        middle = (i + 0.5) * slot
        parts.append(f"<g><title>{escape(label)}: {count}</title>"
                     f'<rect class="column" x="{i * slot + slot * 0.12:.1f}" y="{base - tall:.1f}" '
                     f'width="{slot * 0.76:.1f}" height="{tall:.1f}"/>'
                     f'<text class="count" x="{middle:.1f}" y="{base - tall - 7:.1f}">{count}</text>'
                     f'<text class="label" x="{middle:.1f}" y="{base + 19}">{escape(label)}</text></g>')
    if mark is not None:
        parts.append(f'<line class="mark" x1="{mark * slot:.1f}" y1="{top - 12}" x2="{mark * slot:.1f}" y2="{base}"/>')
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}">'
            + "".join(parts) + "</svg>")


def section(heading, body):
    """A section of the page: its heading and its body (HTML)."""
    return f"<section>\n<h2>{escape(heading)}</h2>\n{body}\n</section>"


def note(text):
    """A paragraph of explanation."""
    return f'<p class="note">{escape(text)}</p>'


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
