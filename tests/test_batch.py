"""`mnist-grade batch`: a class graded at once, each submission in its own process and limits."""

import csv
import shutil
import zipfile

import nbformat
import psutil
from conftest import EXERCISES, SOLUTIONS, mnist_grade
from nbformat import v4

from grader.assign import solution
from grader.steps import FILE_STEPS


def copy(source, target, **files):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    for step, code in files.items():
        (target / f"{step}.py").write_text(code)
    return target


def grades(out):
    with open(out / "grades.csv") as file:
        return list(csv.reader(file))


def test_a_class_of_folders_zips_and_notebooks(tmp_path):
    """Each kind of entry is graded; a broken one gets status error and stops nothing; re-running skips."""
    class_ = tmp_path / "class"
    class_.mkdir()
    copy(SOLUTIONS, class_ / "alice")
    copy(EXERCISES, class_ / "bob")
    carol = copy(SOLUTIONS, tmp_path / "carol", normalize="def normalize_images(images):\n    return images / 255\n",
                 fit="def fit_model(model, images, labels):\n    raise NotImplementedError\n")
    with zipfile.ZipFile(class_ / "carol.zip", "w") as archive:
        for path in carol.iterdir():
            archive.write(path, f"carol/{path.name}")
    cells = [solution((SOLUTIONS / step.file).read_text()) for step in FILE_STEPS[:3]]
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(cell) for cell in cells]), class_ / "dave.ipynb")
    (class_ / "erin").mkdir()  # No files at all.
    (class_ / "frank.zip").write_bytes(b"not a zip")
    (class_ / "notes.txt").write_text("not a submission")
    out = tmp_path / "results"

    run = mnist_grade("batch", str(class_), "--out", str(out), "--jobs", "2")
    assert (run.returncode, run.stdout) == (
        0,
        f"6 submissions in {out / 'grades.csv'}: 4 graded, 2 errors, 0 timeouts, 0 over memory.\n",
    )
    assert "grading" in run.stderr and "6/6" in run.stderr  # The progress bar, with its count and time left.
    assert grades(out) == [
        ["student", "reshape", "normalize", "one_hot", "build", "compile", "fit", "accuracy", "total", "max", "status"],
        ["alice", "10", "10", "10", "20", "15", "15", "20", "100", "100", "graded"],
        ["bob", "0", "0", "0", "0", "0", "0", "0", "0", "100", "graded"],
        ["carol", "10", "7", "10", "20", "15", "0", "0", "62", "100", "graded"],
        ["dave", "10", "10", "10", "0", "0", "0", "0", "30", "100", "graded"],
        ["erin", "0", "0", "0", "0", "0", "0", "0", "0", "100", "error"],
        ["frank", "0", "0", "0", "0", "0", "0", "0", "0", "100", "error"],
    ]
    assert (out / "alice" / "results.json").exists()
    assert "All checks passed. Well done!" in (out / "alice" / "feedback.txt").read_text()
    assert "is missing reshape.py" in (out / "erin" / "feedback.txt").read_text()
    assert "frank.zip is not a readable zip file" in (out / "frank" / "feedback.txt").read_text()
    assert "dave.ipynb has no function build_model()" in (out / "dave" / "feedback.txt").read_text()

    before = (out / "alice" / "results.json").stat().st_mtime_ns
    again = mnist_grade("batch", str(class_), "--out", str(out))
    assert again.returncode == 0 and grades(out)[1][-3:] == ["100", "100", "graded"]
    assert (out / "alice" / "results.json").stat().st_mtime_ns == before  # Already graded: skipped.
    forced = mnist_grade("batch", str(class_), "--out", str(out), "--force", "--jobs", "2")
    assert forced.returncode == 0 and (out / "alice" / "results.json").stat().st_mtime_ns != before


def test_limits_stop_a_submission_and_the_batch_goes_on(tmp_path):
    class_ = tmp_path / "class"
    class_.mkdir()
    copy(SOLUTIONS, class_ / "hang", reshape="def reshape_images(images):\n    while True:\n        pass\n")
    copy(
        SOLUTIONS,
        class_ / "hog",
        reshape=("def reshape_images(images):\n    block = b'x' * 3_000_000_000\n    while True:\n        pass\n"),
    )
    out = tmp_path / "results"
    run = mnist_grade("batch", str(class_), "--out", str(out), "--timeout", "15", "--memory", "1500")
    assert run.returncode == 0, run.stderr
    rows = {row[0]: row[-1] for row in grades(out)[1:]}
    assert rows == {"hang": "timeout", "hog": "memory"}
    assert "Stopped: grading took longer than 15 s." in (out / "hang" / "feedback.txt").read_text()
    assert "Stopped: grading used more than 1500 MB of memory." in (out / "hog" / "feedback.txt").read_text()
    assert not [pid for pid in running_workers() if str(class_) in pid]  # Nothing of theirs runs on.


def running_workers():
    """The command lines of the step workers running now."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        command = " ".join(process.info["cmdline"] or [])
        if "grader.worker" in command and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(command)
    return found


def test_batch_of_a_missing_folder_is_bad_usage(tmp_path):
    run = mnist_grade("batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert (run.returncode, run.stderr) == (2, f"mnist-grade batch: There is no folder {tmp_path / 'nowhere'}.\n")
