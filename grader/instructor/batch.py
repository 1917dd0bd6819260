"""`mnist-grade batch SUBMISSIONS --out RESULTS`: grade a whole class, one process per submission.

Each entry of SUBMISSIONS is one student's work: a folder with the six files, a .zip of one, or a
notebook. Each is graded by `mnist-grade` in a process of its own, with a wall-clock and a memory
limit, several at a time. RESULTS gets grades.csv and, per student, results.json (Gradescope's
format) and feedback.txt (what the student would have seen). One broken entry never stops the batch.
"""

import csv
import hashlib
import json
import os
import queue
import stat
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grader.backend import runtime
from grader.backend.quiet import QUIET_ENV
from grader.course.i18n import _
from grader.course.steps import FILE_STEPS, STEPS
from grader.engine import limits
from grader.instructor import gradings
from grader.results import render
from grader.results.grade import Grade
from grader.workers import bubblewrap, compiled
from grader.workers.processes import (
    kill_tree,
    pin,
    share_cores,
    thread_environment,
    tree_memory_over,
    usable_cores,
)

POLL = 0.5  # Seconds between looks at a grading's time and memory.
COLUMNS = ["student", *STEPS, "total", "max", "status"]
CHECK_COLUMNS = ["student", "step", "check", "points", "score", "outcome"]
# Canvas's gradebook import: a row is matched by one of the first three columns or by SIS Login ID, which is
# each entry's name here; then Section, then one column per assignment.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class BatchError(Exception):
    """The batch cannot start; the message says why and what to do."""


def entries(folder):
    """The submissions in `folder`, by student id: sub-folders, .zip files and notebooks, in name order.

    Raises BatchError when two entries would be the same student (bob/ and bob.zip): neither is dropped.
    """
    found, clashes = {}, {}
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


def checked_entries(folder, only=None):
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


def grade_all(folder, out, jobs=None, force=False, timeout=900, memory_mb=4096, progress=None, only=None,
              assignment="MNIST", sandboxed=False, within=None, say=None):
    """Grade the entries of `folder` into `out` that are new or changed since they were graded (all of them
    with `force`, or the students in `only`); return the gradebook's rows (dicts of COLUMNS).

    With `sandboxed`, workers run under bubblewrap; entries past a limit of `within` (Limits) are refused;
    say(text) is told what takes a while before grading starts.

    Besides each student's files, `out` gets grades.csv (UTF-8 with a BOM, as spreadsheets want it),
    checks.csv (one row per check), canvas.csv (Canvas's gradebook import, the total in the column
    `assignment`) and identical.txt (groups of byte-identical submissions).
    """
    out, within = Path(out), within or limits.Limits()
    found = checked_entries(folder, only)
    out.mkdir(parents=True, exist_ok=True)
    refused = {student: limits.refusal(path, within) for student, path in found.items()}  # Read once, here.
    prints = {student: fingerprint(path, refused[student]) for student, path in found.items()}

    def due(student):
        if only:
            return student in only
        return force or _stored(out / student).get("fingerprint") != prints[student]

    todo = {student: path for student, path in found.items() if due(student)}
    if progress:
        progress(total=len(todo))
    jobs = jobs or len(usable_cores())
    shares = share_cores(jobs)
    slots = queue.SimpleQueue()  # Each grading runs on cores of its own, and sizes its thread pools to them.
    for cores in shares:
        slots.put(cores)
    if gradings.usable():
        smallest = min(len(cores) for cores in shares)
        gradings.prepare({**QUIET_ENV, **runtime.environment(runtime.device()),
                          **{name: value for name, value in thread_environment(smallest).items()
                             if name.endswith("_NUM_THREADS")}}, clean=sandboxed)

    if sandboxed and any(refused[student] is None for student in todo):
        # The compiled programs sandboxed workers read, made once by the grader's own code.
        for threads in sorted({len(cores) for cores in shares}):
            compiled.fill({**os.environ, **thread_environment(threads)}, runtime.device(), say)

    def graded(student, path):
        cores = slots.get()
        try:
            return grade_one(student, path, out / student, timeout, memory_mb, prints[student], cores=cores,
                             sandboxed=sandboxed, within=within)
        finally:
            slots.put(cores)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(graded, student, path) for student, path in todo.items()]
        for done in as_completed(futures):
            done.result()
            if progress:
                progress()
    rows, checks = [], []
    for student in found:
        stored = _stored(out / student)
        if stored:
            rows.append(stored["row"])
            checks += stored["checks"]
    with open(out / "grades.csv", "w", newline="", encoding="utf-8-sig") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with open(out / "checks.csv", "w", newline="", encoding="utf-8-sig") as file:
        writer = csv.DictWriter(file, CHECK_COLUMNS)
        writer.writeheader()
        writer.writerows(checks)
    with open(out / "canvas.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*CANVAS_COLUMNS, assignment])
        writer.writerows(["", "", "", row["student"], "", row["total"]] for row in rows)  # No grade: left blank.
    groups = {}
    for student, digest in prints.items():
        groups.setdefault(digest, []).append(student)
    (out / "identical.txt").write_text("".join(" ".join(group) + "\n" for group in groups.values() if len(group) > 1))
    return rows


def _stored(folder):
    """What grade_one stored for a student (row.json): the row, the checks and the fingerprint; {} if none
    (or only a row, as an older version stored it: that student is graded again)."""
    try:
        stored = json.loads((folder / "row.json").read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) and "row" in stored else {}


def grade_one(student, path, out, timeout, memory_mb, digest=None, shown=None, cores=None, sandboxed=False,
              within=None):
    """Grade one entry into `out`: results.json, feedback.txt and the gradebook row with the checks (row.json).

    Messages name the work as the student knows it: `shown`, by default the entry's name (a folder, a notebook)
    or, in a zip, the folder of the step files in it. With `cores`, the grading runs on those alone; when
    `sandboxed`, its workers run under bubblewrap. An entry past a limit of `within` (Limits) is refused
    before anything of it is copied or unpacked.
    Return (the row, the Grade or None when there is none: a bad zip, a refusal, a stop, an error)."""
    within = within or limits.Limits()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "feedback.txt", "row.json"):
        (out / stale).unlink(missing_ok=True)
    grade = None
    with tempfile.TemporaryDirectory(prefix="mnist-batch-") as scratch:
        os.chmod(scratch, 0o711)  # Workers of MNIST_WORKER_USER pass through to their own folders.
        temporary = Path(scratch) / "tmp"  # The grading's temporary files, gone with it even when it is killed.
        temporary.mkdir(mode=0o711)
        try:
            limits.check(path, within)
            target = unpacked(path, Path(scratch) / "unpacked", within) if path.suffix == ".zip" else path
        except limits.TooLarge as error:
            target, status, printed = None, "error", f"{error}\n"
        except (zipfile.BadZipFile, OSError) as error:
            target, status, printed = (
                None,
                "error",
                _("{path} is not a readable zip file ({reason}).", path=path.name, reason=error) + "\n",
            )
        if target is not None:
            if shown is None:
                shown = target.relative_to(Path(scratch) / "unpacked").as_posix() if target != path else path.name
            graded = Path(scratch) / "grade.json"  # Saved after each check: a stopped grading keeps its points.
            env = {**os.environ, "TMPDIR": str(temporary), **(thread_environment(len(cores)) if cores else {})}
            status, printed = run_limited(
                [str(target), "--grade", str(graded), "--shown-path", shown,
                 "--time-budget", f"{time_budget(timeout):g}", "--sandbox", "on" if sandboxed else "off",
                 *within.options()], timeout, memory_mb,
                env=bubblewrap.grading_environment(env) if sandboxed else env, cores=cores)
            grade = Grade.from_json(graded.read_text()) if graded.exists() and status != "error" else None
            if status == "timeout" and grade:
                grade.stop(_("stopped: grading took longer than {seconds} s", seconds=f"{timeout:g}"))
            elif status == "memory" and grade:
                grade.stop(_("stopped: grading used more than {mb} MB of memory", mb=memory_mb))
            elif status == "graded" and grade is None:
                status = "error"
        (out / "feedback.txt").write_text(printed)
    if grade is not None:
        (out / "results.json").write_text(json.dumps(render.gradescope(grade), indent=2, ensure_ascii=False) + "\n")
    row = render.gradebook_row(grade, student, status)
    checks = render.check_rows(grade, student)
    (out / "row.json").write_text(json.dumps({"row": row, "checks": checks, "fingerprint": digest}))
    return row, grade


def time_budget(timeout):
    """What a grading may take so that it ends by itself, with its grade, before the wall-clock stop."""
    return timeout - max(10, timeout * 0.2)


def unpacked(path, scratch, within):
    """Extract a .zip into `scratch`, within limits; return the folder in it that holds the step files."""
    scratch.mkdir(exist_ok=True)
    limits.extract(path, scratch, within)  # Every member inside `scratch`.
    return holding_steps(scratch) or scratch


def holding_steps(folder):
    """The shallowest folder in `folder` (itself included) that holds all the step files; None if there is none."""
    folder = Path(folder)
    for candidate in [folder, *sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: (len(p.parts), p))]:
        if all((candidate / step.file).is_file() for step in FILE_STEPS):
            return candidate
    return None


def run_limited(argv, timeout, memory_mb, env=None, cores=None):
    """Run `mnist-grade ARGV` (grader/instructor/gradings.py); stop it when it passes the wall-clock or memory limit.

    Return (status, what it printed).
    """
    started = time.monotonic()
    with tempfile.NamedTemporaryFile() as printed:
        process = gradings.start(argv, printed, env or dict(os.environ))
        if cores:
            pin(process.pid, cores)
        status = None
        while process.poll() is None:
            if time.monotonic() - started > timeout:
                status = "timeout"
            elif tree_memory_over(process.pid, memory_mb * 1024):
                status = "memory"
            if status:
                kill_tree(process)
                break
            time.sleep(POLL)
        printed.seek(0)
        text = printed.read().decode(errors="replace")
    if status == "timeout":
        text += "\n" + _("Stopped: grading took longer than {seconds} s.", seconds=f"{timeout:g}") + "\n"
    elif status == "memory":
        text += "\n" + _("Stopped: grading used more than {mb} MB of memory.", mb=memory_mb) + "\n"
    else:
        status = "graded" if process.returncode in (0, 1) else "error"
    return status, text
