"""`mnist-grade batch SUBMISSIONS --out RESULTS`: grade a whole class, one process per submission.

Each entry of SUBMISSIONS is one student's work: a folder with the six files, a .zip of one, or a
notebook. Each is graded by `mnist-grade` in a process of its own, with a wall-clock and a memory
limit, several at a time. RESULTS gets grades.csv, checks.csv, canvas.csv, moodle.csv, identical.txt,
failures.csv, report.html (the class report, grader/instructor/report.py) and, per student, results.json
(Gradescope's format), junit.xml (the JUnit XML GitLab and Jenkins read) and feedback.txt (what the student would
have seen). One broken entry never stops the batch.

On a cluster, `--shard I/N` grades one share of the class into a shared RESULTS (each student's files only), and
`--merge` then writes the class-wide files from what the shards stored, naming whoever has no result yet.
Each stored file is written whole (a temporary file, then a rename): shards writing at once, or a shard started
twice, never leave half a file.
"""

import contextlib
import csv
import hashlib
import io
import json
import os
import queue
import stat
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from grader.backend import runtime
from grader.backend.quiet import QUIET_ENV
from grader.course.i18n import _
from grader.course.steps import STEPS
from grader.data.files import write_whole
from grader.engine import compiling, limits
from grader.instructor import gradings, isolated, report
from grader.instructor.isolated import Isolation
from grader.instructor.statuses import BatchStatus
from grader.results import render
from grader.results.console import files_language
from grader.workers.processes import (
    share_cores,
    thread_environment,
    usable_cores,
)

COLUMNS = ["student", *STEPS, "total", "max", "status"]
CHECK_COLUMNS = ["student", "step", "check", "points", "score", "outcome"]
# Canvas's gradebook import: a row is matched by one of the first three columns or by SIS Login ID, which is
# each entry's name here; then Section, then one column per assignment.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# Moodle's grade import: the instructor maps this column to the users' username, and the assignment's column to the
# grade item. A name Moodle does not know stops the whole import.
MOODLE_USER = "username"


class BatchError(Exception):
    """The batch cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Shard:
    """One of `count` shares of a class (`--shard INDEX/COUNT`, INDEX from 0, as Slurm's array and Kubernetes'
    completion index count): the students whose name hashes to INDEX. A student's share depends on their name alone,
    so a student added or removed moves nobody else."""

    index: int
    count: int

    @classmethod
    def parse(cls, text):
        """The Shard of "I/N"; ValueError saying what is wrong."""
        index, slash, count = str(text).partition("/")
        if not (slash and index.strip().isdigit() and count.strip().isdigit() and 0 <= int(index) < int(count)):
            raise ValueError(_("--shard takes I/N, two whole numbers with 0 <= I < N (for example 0/4), not {given}.",
                               given=text))
        return cls(int(index), int(count))

    def holds(self, student):
        """Whether `student` (an entry's name) is in this share."""
        digest = hashlib.sha256(student.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def __str__(self):
        return f"{self.index}/{self.count}"


def entries(folder: str | Path) -> dict[str, Path]:
    """The submissions in `folder`, by student id: sub-folders, .zip files and notebooks, in name order.

    Raises BatchError when two entries would be the same student (bob/ and bob.zip): neither is dropped.
    """
    found: dict[str, Path] = {}
    clashes: dict[str, list[str]] = {}
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix in (".zip", ".ipynb"):
            student = path.stem if path.is_file() else path.name
            clashes.setdefault(student, []).append(path.name)
            found[student] = path
    clashes = {student: names for student, names in clashes.items() if len(names) > 1}
    if clashes:
        raise BatchError(_("{names} would be graded as the same student; rename or remove all but one of each, "
                           "then run the batch again.", names="; ".join(" and ".join(n) for n in clashes.values())))
    return found


def checked_entries(folder: str | Path, only: Iterable[str] | None = None) -> dict[str, Path]:
    """entries(folder), once every student in `only` is one of them; else BatchError."""
    found = entries(folder)
    unknown = sorted(set(only or ()) - set(found))
    if unknown:
        raise BatchError(_("{names}: no such student in {folder}.", names=", ".join(unknown), folder=folder))
    return found


def fingerprint(path, refused=None):
    """A SHA-256 of a submission's content: its files' names and bytes (a zip's members), not their dates.

    One that passes a limit is not read: its fingerprint is `refused`, the reason limits.refusal() gave.
    """
    digest = hashlib.sha256()
    path = Path(path)
    if refused:
        digest.update(b"refused\0" + refused.encode())
    elif path.is_dir():
        for file, info in sorted(limits.walk(path)):
            if not stat.S_ISLNK(info.st_mode):
                with open(path / file, "rb") as opened:
                    _feed(digest, opened, file.as_posix().encode())
    elif path.suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                for info in sorted(archive.infolist(), key=lambda info: info.filename):
                    with archive.open(info) as member:
                        _feed(digest, member, info.filename.encode())
        except (zipfile.BadZipFile, OSError):
            digest = hashlib.sha256()
            with open(path, "rb") as file:
                _feed(digest, file)
    else:
        with open(path, "rb") as file:
            _feed(digest, file)
    return digest.hexdigest()


def _feed(digest, file, name=None):
    """Add the bytes of an open `file` to `digest`, a chunk at a time; with its `name`, as name NUL bytes NUL."""
    if name is not None:
        digest.update(name + b"\0")
    while chunk := file.read(1 << 16):
        digest.update(chunk)
    if name is not None:
        digest.update(b"\0")


@dataclass(frozen=True)
class BatchSettings:
    """How a batch grades: each submission as an isolated grading (an Isolation: its limits, and its GradingOptions
    with the device and the sandbox settled once, before any grading), how many at a time, and which entries."""

    isolation: Isolation = field(default_factory=Isolation)
    jobs: int | None = None  # Submissions graded at once; None: one per core.
    force: bool = False  # Every entry again, not only those new or changed since they were graded.
    only: tuple | None = None  # Only these students, again.
    assignment: str = "MNIST"  # The assignment's column in canvas.csv and moodle.csv.
    shard: Shard | None = None  # Only this share of the class, and no class-wide file.


@dataclass(frozen=True)
class Entry:
    """One student's submission: `path` is their folder, .zip or notebook, `digest` its fingerprint; `shown` names
    it in messages (by default the entry's name or, in a zip, the folder of the step files in it)."""

    student: str
    path: Path
    digest: str | None = None
    shown: str | None = None


def grade_all(folder: str | Path, out: str | Path, settings: BatchSettings,
              progress: Callable[..., object] | None = None, say: Callable[[str], object] | None = None) -> list[dict]:
    """Grade the entries of `folder` into `out` that are new or changed since they were graded (all of them
    with settings.force, or the students in settings.only; of settings.shard's share alone, when it is set); return
    the gradebook's rows (dicts of COLUMNS) of those students. progress(total=N) is told how many there are to
    grade, progress() each one graded; say(text) what takes a while before grading starts.

    Every file is UTF-8, whatever the locale's encoding. Besides each student's files, `out` gets grades.csv (with
    a BOM, which Excel needs to read a CSV as UTF-8 rather than in the system's code page),
    checks.csv (one row per check), canvas.csv and moodle.csv (Canvas's and Moodle's gradebook imports, the total in
    the column settings.assignment), identical.txt (groups of byte-identical submissions), failures.csv (each
    failure message with every student who got it) and report.html (the class report: grader/instructor/report.py).
    """
    out = Path(out)
    found = checked_entries(folder, settings.only)
    if settings.shard is not None:
        found = {student: path for student, path in found.items() if settings.shard.holds(student)}
    out.mkdir(parents=True, exist_ok=True)
    within = settings.isolation.limits
    refused = {student: limits.refusal(path, within) for student, path in found.items()}  # Read once, here.
    entries = {student: Entry(student, path, fingerprint(path, refused[student])) for student, path in found.items()}
    todo = [entry for entry in entries.values() if settings.force and not settings.only or due(entry, out, settings)]
    if progress:
        progress(total=len(todo))
    shares = share_cores(settings.jobs or len(usable_cores()))
    warm_up(shares, settings, any(refused[entry.student] is None for entry in todo), say)
    grade_in_parallel(todo, out, settings, shares, progress)
    if settings.shard is None:
        return write_gradebooks(out, found, settings.assignment)[0]
    return [stored["row"] for student in found if (stored := _stored(out / student))]


def merge(folder: str | Path, out: str | Path, assignment: str = "MNIST", progress: Callable | None = None
          ) -> tuple[list[dict], list[str]]:
    """Write the class-wide files of `folder`'s students into `out` from the results the shards stored there, grading
    nobody. Returns (the gradebook's rows, the students with no stored result: status "missing")."""
    found = checked_entries(folder)
    Path(out).mkdir(parents=True, exist_ok=True)  # Before any shard has stored anything, every student is missing.
    return write_gradebooks(Path(out), found, assignment, progress)


def due(entry, out, settings):
    """Whether `entry` is to be graded: one of settings.only, or new or changed since it was graded."""
    if settings.only:
        return entry.student in settings.only
    return _stored(out / entry.student).get("fingerprint") != entry.digest


def warm_up(shares, settings, sandboxed_work, say=None):
    """Before grading: start the warm server gradings fork from, and compile the sandbox's programs once for each
    size of thread pool the gradings get (`sandboxed_work`: when a sandboxed grading will run)."""
    if gradings.can_fork_gradings():
        smallest = min(len(cores) for cores in shares)
        gradings.prepare({**QUIET_ENV, **runtime.environment(settings.isolation.device),
                          **{name: value for name, value in thread_environment(smallest).items()
                             if name.endswith("_NUM_THREADS")}}, clean=settings.isolation.sandboxed)
    if settings.isolation.sandboxed and sandboxed_work:
        # The compiled programs sandboxed workers read, made once by the grader's own code.
        for threads in sorted({len(cores) for cores in shares}):
            compiling.fill({**os.environ, **thread_environment(threads)}, settings.isolation.device, say)


def grade_in_parallel(todo, out, settings, shares, progress=None):
    """Grade each Entry of `todo` into out/STUDENT, as many at a time as there are `shares`: each grading runs on
    the cores of one share, and sizes its thread pools to them."""
    slots = queue.SimpleQueue()
    for cores in shares:
        slots.put(cores)

    def graded(entry):
        cores = slots.get()
        try:
            return grade_one(entry, out / entry.student, settings, cores=cores)
        finally:
            slots.put(cores)

    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        for done in as_completed([pool.submit(graded, entry) for entry in todo]):
            done.result()
            if progress:
                progress()


def write_gradebooks(out, students, assignment, progress=None):
    """grades.csv, checks.csv, canvas.csv, moodle.csv, identical.txt, failures.csv (every failure message and the
    students who got it) and report.html, from what is stored for each of `students` (names; progress() is told each
    one read). A student with nothing stored is "missing": a row with empty points.
    Returns (the rows, the missing students)."""
    rows, checks, shown, groups, missing = [], [], [], {}, []
    if progress:
        progress(total=len(students))
    with files_language():  # In the report, in the language asked for.
        unstored = _("no result is stored: grade this student again (rerun their shard), then merge again")
    for student in students:
        stored = _stored(out / student)
        if stored:
            rows.append(stored["row"])
            checks += stored["checks"]
            shown.append(report.Student.stored(stored, out / student))
            groups.setdefault(stored.get("fingerprint"), []).append(student)
        else:
            missing.append(student)
            rows.append(render.gradebook_row(None, student, BatchStatus.MISSING))
            shown.append(report.Student(rows[-1], reason=unstored))
        if progress:
            progress()
    write_csv(out / "grades.csv", COLUMNS, rows)
    write_csv(out / "checks.csv", CHECK_COLUMNS, checks)

    def canvas(file):
        with as_text(file, "utf-8") as text:
            writer = csv.writer(text)
            writer.writerow([*CANVAS_COLUMNS, assignment])
            writer.writerows(["", "", "", row["student"], "", row["total"]] for row in rows)  # No grade: left blank.

    write_whole(out / "canvas.csv", canvas)

    def moodle(file):
        with as_text(file, "utf-8") as text:
            writer = csv.writer(text)
            writer.writerow([MOODLE_USER, assignment])
            # No grade, no row: Moodle keeps what it has (an empty cell would clear it).
            writer.writerows([row["student"], row["total"]] for row in rows if row["total"] != "")

    write_whole(out / "moodle.csv", moodle)
    groups.pop(None, None)  # An older row.json keeps no fingerprint.
    write_whole(out / "identical.txt", "".join(" ".join(group) + "\n" for group in groups.values() if len(group) > 1))
    with files_language():  # The report's own texts, in the language asked for, whatever the console shows.
        write_csv(out / "failures.csv", report.FAILURE_COLUMNS, report.failure_rows(shown))
        report.write_report(out / "report.html", shown, assignment)
    return rows, missing


def write_csv(path, columns, rows):
    """A spreadsheet's CSV, written whole: UTF-8 with a BOM, one row per dict of `rows`."""

    def write(file):
        with as_text(file, "utf-8-sig") as text:
            writer = csv.DictWriter(text, columns)
            writer.writeheader()
            writer.writerows(rows)

    write_whole(path, write)


@contextlib.contextmanager
def as_text(file, encoding):
    """The open binary `file` as a CSV writer's text file in `encoding`; left open, all of it written, on leaving."""
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


def _stored(folder):
    """What grade_one stored for a student (row.json): the row, the checks, the fingerprint and the grade (None
    without one; absent where an older version stored none); {} if none (or only a row, as an older version
    stored it: that student is graded again)."""
    try:
        stored = json.loads((folder / "row.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) and "row" in stored else {}


def grade_one(entry, out, settings, cores=None):
    """Grade one Entry into `out` as an isolated grading (grader/instructor/isolated.py): results.json, feedback.txt
    and the gradebook row with the checks and the grade (row.json). With `cores`, the grading runs on those alone.
    Return (the row, the Grade or None when there is none: a bad zip, a refusal, a stop, an error)."""
    out.mkdir(parents=True, exist_ok=True)
    outcome = isolated.grade(entry.path, settings.isolation, entry.shown, cores)
    status, printed, grade = outcome.status, outcome.printed, outcome.grade
    # Each file whole, row.json last: the merge reads it, and one from an older grading, its fingerprint another's,
    # has the student graded again.
    write_whole(out / "feedback.txt", printed)
    if grade is not None:
        with files_language():  # This thread's messages, in the language asked for.
            results, junit = render.gradescope(grade), render.junit(grade, _("MNIST course"))
        write_whole(out / "results.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        write_whole(out / "junit.xml", junit)
    else:
        (out / "results.json").unlink(missing_ok=True)
        (out / "junit.xml").unlink(missing_ok=True)
    row = render.gradebook_row(grade, entry.student, status)
    checks = render.check_rows(grade, entry.student)
    write_whole(out / "row.json", json.dumps({"row": row, "checks": checks, "fingerprint": entry.digest,
                                              "grade": json.loads(grade.to_json()) if grade else None}))
    return row, grade


