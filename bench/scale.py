"""A class of 10,000 as shards leave it, in one run: the merge, a rerun that grades nobody, and the report's size and
the time a browser takes to open it (issue 31's goals).

Run: MNIST_DATA=../shared/data/mnist python bench/scale.py [STUDENTS]
Four real gradings (correct, failing, a broken zip, a hang stopped at its time limit) give the stored results; each
of STUDENTS (default 10,000) gets a submission of their own (a folder of the six files with their name in a comment,
or a zip) and, as a shard writes it, a copy of one of those results with their name and fingerprint: 70 % correct,
20 % failing, 4 % errors, 4 % timeouts, and 2 % with no result at all (a shard that died). Then it times:
- the merge (`batch --merge`), which names the 2 % missing and exits 1;
- once they are stored too, a rerun of the unchanged class (`batch`), which fingerprints every submission and grades
  nobody;
- report.html's size, and Chromium (headless, through playwright) opening it from disk, when it is installed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.instructor.batch import fingerprint  # noqa: E402

KINDS = [("correct", 70), ("failing", 20), ("error", 4), ("timeout", 4), ("missing", 2)]  # Per 100 students.
HANG = "def reshape_images(images):\n    while True:\n        pass\n"


def run(*args, env=None):
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    return time.perf_counter() - started, done


def samples(folder, env):
    """Grade one submission of each kind for real; their stored results, by kind."""
    shutil.copytree(ROOT / "solutions", folder / "correct")
    shutil.copytree(ROOT / "exercises", folder / "failing")
    shutil.copytree(ROOT / "exercises", folder / "timeout")
    (folder / "timeout" / "reshape.py").write_text(HANG, encoding="utf-8")
    (folder / "error.zip").write_bytes(b"not a zip")
    out = folder.parent / "sample-results"
    _seconds, done = run("batch", str(folder), "--out", str(out), "--timeout", "60", "--sandbox", "off", env=env)
    if done.returncode:
        sys.exit(done.stderr)
    stored = {}
    for kind in ("correct", "failing", "error", "timeout"):
        stored[kind] = {name: (out / kind / name).read_bytes() for name in ("row.json", "feedback.txt", "results.json")
                        if (out / kind / name).exists()}
    return stored


def make_class(count, class_, results, stored):
    """Each student's submission in `class_` and, but for the missing, their stored result in `results`."""
    kinds = [kind for kind, share in KINDS for _ in range(share)]
    missing = []
    for number in range(count):
        student, kind = f"s{number:05d}", kinds[number % len(kinds)]
        if kind == "error":
            entry = class_ / f"{student}.zip"
            entry.write_bytes(b"not a zip " + student.encode())
        else:
            entry = class_ / student
            shutil.copytree(ROOT / ("solutions" if kind in ("correct", "missing") else "exercises"), entry,
                            ignore=shutil.ignore_patterns("__pycache__", "__*.py"))
            with open(entry / "reshape.py", "a", encoding="utf-8") as file:
                file.write(f"# {student}\n")
        if kind == "missing":
            missing.append((student, entry))
            continue
        store(results / student, stored["failing" if kind == "timeout" else kind], student, fingerprint(entry),
              "timeout" if kind == "timeout" else None)
    return missing


def store(folder, files, student, digest, status=None):
    """A stored result as grade_one writes it, renamed to `student`."""
    folder.mkdir(parents=True)
    row = json.loads(files["row.json"])
    row["row"]["student"] = student
    if status:
        row["row"]["status"] = status
    for check in row["checks"]:
        check["student"] = student
    row["fingerprint"] = digest
    (folder / "row.json").write_text(json.dumps(row), encoding="utf-8")
    for name in ("feedback.txt", "results.json"):
        if name in files:
            (folder / name).write_bytes(files[name])


def browser_seconds(page_path):
    """Seconds headless Chromium takes to open the page and lay it out (best of 3); None without playwright or
    Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or os.environ.get("MNIST_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium:
        return None
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(3):
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(page_path.as_uri(), wait_until="load")
            page.evaluate("document.body.scrollHeight")  # Laid out.
            times.append(time.perf_counter() - started)
            page.close()
        browser.close()
    return min(times)


def main(count=10_000):
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the folder with MNIST, for example MNIST_DATA=../shared/data/mnist")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb"}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "samples").mkdir()
        stored = samples(scratch / "samples", env)
        class_, results = scratch / "class", scratch / "results"
        class_.mkdir()
        started = time.perf_counter()
        missing = make_class(count, class_, results, stored)
        made = time.perf_counter() - started
        merge, merged = run("batch", str(class_), "--out", str(results), "--merge", env=env)
        listed = merged.stderr.partition(" students: ")[2].partition(". Their shards")[0]
        named = len(listed.split(", ")) if listed else 0
        for student, entry in missing:
            store(results / student, stored["correct"], student, fingerprint(entry))
        rerun, again = run("batch", str(class_), "--out", str(results), env=env)
        page = results / "report.html"
        size = page.stat().st_size / 1e6
        opened = browser_seconds(page)
    print(f"{count} students, {len(missing)} with no result; made in {made:.1f} s")
    print(f"merge:                     {merge:6.2f} s  (exit {merged.returncode}, {named} named missing)")
    print(f"rerun, nobody to grade:    {rerun:6.2f} s  (exit {again.returncode}: {again.stdout.splitlines()[0]})")
    print(f"report.html:               {size:6.2f} MB")
    print(f"Chromium opens it:         {opened:6.2f} s" if opened is not None else "Chromium opens it: not measured "
          "(no Chromium or playwright here)")
    print()
    goals = [("merge, seconds", merge, 10), ("rerun grading nobody, seconds", rerun, 30),
             ("report.html, MB", size, 5)]
    if opened is not None:
        goals.append(("Chromium opening report.html, seconds", opened, 5))
    for name, value, goal in goals:
        print(f"{name:<38} {value:6.2f}  goal <= {goal:g}  {'met' if value <= goal else 'MISSED'}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
