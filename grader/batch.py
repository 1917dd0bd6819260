"""`mnist-grade batch SUBMISSIONS --out RESULTS`: grade a whole class, one process per submission.

Each entry of SUBMISSIONS is one student's work: a folder with the six files, a .zip of one, or a
notebook. Each is graded by `mnist-grade` in a process of its own, with a wall-clock and a memory
limit, several at a time. RESULTS gets grades.csv and, per student, results.json (Gradescope's
format) and feedback.txt (what the student would have seen). One broken entry never stops the batch.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grader import render
from grader.grade import Grade
from grader.i18n import _
from grader.processes import kill_tree, popen_options, tree_memory_kb
from grader.steps import FILE_STEPS, STEPS

COLUMNS = ["student", *STEPS, "total", "max", "status"]


def entries(folder):
    """The submissions in `folder`, by student id: sub-folders, .zip files and notebooks, in name order."""
    found = {}
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix in (".zip", ".ipynb"):
            found[path.stem if path.is_file() else path.name] = path
    return found


def grade_all(folder, out, jobs=None, force=False, timeout=900, memory_mb=4096, progress=None):
    """Grade every entry of `folder` into `out`; return the gradebook's rows (dicts of COLUMNS)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo = {student: path for student, path in entries(folder).items()
            if force or not (out / student / "row.json").exists()}
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        futures = [
            pool.submit(grade_one, student, path, out / student, timeout, memory_mb) for student, path in todo.items()
        ]
        for done in as_completed(futures):
            done.result()
            if progress:
                progress()
    rows = [
        json.loads((out / student / "row.json").read_text())
        for student in entries(folder)
        if (out / student / "row.json").exists()
    ]
    with open(out / "grades.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def grade_one(student, path, out, timeout, memory_mb):
    """Grade one entry into `out`: results.json, feedback.txt and the gradebook row (row.json).

    Return (the row, the Grade or None when there is none: a bad zip, a stop, an error)."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "feedback.txt", "row.json"):
        (out / stale).unlink(missing_ok=True)
    grade = None
    with tempfile.TemporaryDirectory(prefix="mnist-batch-") as scratch:
        os.chmod(scratch, 0o711)  # Workers of MNIST_WORKER_USER pass through to their own folders.
        temporary = Path(scratch) / "tmp"  # The grading's temporary files, gone with it even when it is killed.
        temporary.mkdir(mode=0o711)
        try:
            target = unpacked(path, Path(scratch) / "unpacked") if path.suffix == ".zip" else path
        except (zipfile.BadZipFile, OSError) as error:
            target, status, printed = (
                None,
                "error",
                _("{path} is not a readable zip file ({reason}).", path=path.name, reason=error),
            )
        if target is not None:
            graded = Path(scratch) / "grade.json"
            status, printed = run_limited(
                [sys.executable, "-m", "grader.cli", str(target), "--grade", str(graded)],
                timeout,
                memory_mb,
                env={**os.environ, "TMPDIR": str(temporary)},
            )
            if status == "graded":
                grade = Grade.from_json(graded.read_text()) if graded.exists() else None
                status = "graded" if grade else "error"
        (out / "feedback.txt").write_text(printed)
    if grade is not None:
        (out / "results.json").write_text(json.dumps(render.gradescope(grade), indent=2, ensure_ascii=False) + "\n")
    row = render.gradebook_row(grade, student, status)
    (out / "row.json").write_text(json.dumps(row))
    return row, grade


def unpacked(path, scratch):
    """Extract a .zip into `scratch`; return the folder in it that holds the step files."""
    scratch.mkdir(exist_ok=True)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(scratch)  # zipfile keeps every member inside `scratch`.
    return holding_steps(scratch) or scratch


def holding_steps(folder):
    """The shallowest folder in `folder` (itself included) that holds all the step files; None if there is none."""
    folder = Path(folder)
    for candidate in [folder, *sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: (len(p.parts), p))]:
        if all((candidate / step.file).is_file() for step in FILE_STEPS):
            return candidate
    return None


def run_limited(command, timeout, memory_mb, env=None):
    """Run a grading; stop it when it passes the wall-clock or memory limit. Return (status, what it printed)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as printed:
        process = subprocess.Popen(
            command, stdout=printed, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, **popen_options()
        )
        status = None
        while process.poll() is None:
            if time.monotonic() - started > timeout:
                status = "timeout"
            elif tree_memory_kb(process.pid) > memory_mb * 1024:
                status = "memory"
            if status:
                kill_tree(process)
                break
            time.sleep(0.2)
        printed.seek(0)
        text = printed.read().decode(errors="replace")
    if status == "timeout":
        text += "\n" + _("Stopped: grading took longer than {seconds} s.", seconds=f"{timeout:g}") + "\n"
    elif status == "memory":
        text += "\n" + _("Stopped: grading used more than {mb} MB of memory.", mb=memory_mb) + "\n"
    else:
        status = "graded" if process.returncode in (0, 1) else "error"
    return status, text
