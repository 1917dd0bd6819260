"""`mnist-grade batch`: a class graded at once, each submission in its own process and limits."""

import csv
import json
import re
import shutil
import subprocess
import sys
import zipfile

import nbformat
import psutil
import pytest
from conftest import EXERCISES, ROOT, SOLUTIONS, arrays_done, copy, grades, mnist_grade
from nbformat import v4

from grader.course.assign import solution
from grader.course.steps import FILE_STEPS
from grader.workers.processes import kill_tree, share_cores, thread_environment, tree_memory_kb, tree_memory_over


@pytest.mark.long
@pytest.mark.slow
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
        f"6 submissions in {out / 'grades.csv'}: 4 graded, 2 errors, 0 timeouts, 0 over memory.\n"
        "Not graded in full: erin, frank (their feedback.txt says why).\n",
    ), run.stderr[-3000:]
    assert (out / "grades.csv").read_bytes().startswith(b"\xef\xbb\xbfstudent,")
    assert "grading" in run.stderr and "6/6" in run.stderr  # The progress bar, with its count and time left.
    assert grades(out) == [
        ["student", "reshape", "normalize", "one_hot", "build", "compile", "fit", "accuracy", "total", "max", "status"],
        ["alice", "10", "10", "10", "20", "15", "15", "20", "100", "100", "graded"],
        ["bob", "0", "0", "0", "0", "0", "0", "0", "0", "100", "graded"],
        ["carol", "10", "7", "10", "20", "15", "0", "0", "62", "100", "graded"],
        ["dave", "10", "10", "10", "0", "0", "0", "0", "30", "100", "graded"],
        ["erin", "", "", "", "", "", "", "", "", "100", "error"],  # No grade: empty, not a zero.
        ["frank", "", "", "", "", "", "", "", "", "100", "error"],
    ]
    with open(out / "checks.csv", encoding="utf-8-sig") as file:
        checks = list(csv.DictReader(file))
    assert len(checks) == 4 * 26 and {row["student"] for row in checks} == {"alice", "bob", "carol", "dave"}
    assert checks[0] == {"student": "alice", "step": "reshape", "check": "reshape returns (N, 784) for any number "
                         "of images N", "points": "3", "score": "3", "outcome": "passed"}
    assert {(row["step"], row["outcome"]) for row in checks if row["student"] == "bob"} >= {
        ("reshape", "failed"), ("compile", "skipped")}
    assert (out / "alice" / "results.json").exists()
    assert "All checks passed. Well done!" in (out / "alice" / "feedback.txt").read_text()
    assert "is missing reshape.py" in (out / "erin" / "feedback.txt").read_text()
    assert "frank.zip is not a readable zip file" in (out / "frank" / "feedback.txt").read_text()
    assert "dave.ipynb has no function build_model()" in (out / "dave" / "feedback.txt").read_text()
    assert json.loads((out / "alice" / "row.json").read_text())["grade"]["checks"][0]["outcome"] == "passed"
    page = (out / "report.html").read_text(encoding="utf-8")  # The class report, from the grades row.json keeps.
    assert "<li>6 submissions</li><li>4 graded in full</li>" in page
    assert "<li>mean total 48.0, median total 46.0 (of 4 with a total)</li>" in page
    assert re.search(r"<td>erin</td><td><code>error</code></td><td>[^<]*is missing reshape.py", page), page
    assert "<td>frank</td><td><code>error</code></td><td>frank.zip is not a readable zip file" in page
    assert "; 1 trained a model" in page  # Alice alone.
    # What students read names their own work: never the instructor's folders or the batch's scratch ones.
    assert "Next: fix reshape in bob/reshape.py, then grade again." in (out / "bob" / "feedback.txt").read_text()
    assert "in carol/fit.py still raises NotImplementedError" in (out / "carol" / "feedback.txt").read_text()
    for student in ("alice", "bob", "carol", "dave", "erin", "frank"):
        for name in ("feedback.txt", "results.json"):
            text = (out / student / name).read_text() if (out / student / name).exists() else ""
            assert str(tmp_path) not in text and "mnist-batch-" not in text, (student, name)

    before = (out / "alice" / "results.json").stat().st_mtime_ns
    again = mnist_grade("batch", str(class_), "--out", str(out))
    assert again.returncode == 0 and grades(out)[1][-3:] == ["100", "100", "graded"]
    assert (out / "alice" / "results.json").stat().st_mtime_ns == before  # Already graded: skipped.
    forced = mnist_grade("batch", str(class_), "--out", str(out), "--force", "--jobs", "2")
    assert forced.returncode == 0 and (out / "alice" / "results.json").stat().st_mtime_ns != before


@pytest.mark.slow
def test_limits_stop_a_submission_keep_its_points_and_the_batch_goes_on(tmp_path):
    """A step that hangs is stopped within the time limit and costs only its points; a grading stopped for
    memory keeps the points of every check graded before, and its other checks say why they were stopped."""
    class_, out = tmp_path / "class", tmp_path / "results"
    class_.mkdir()
    # It hangs asleep: a loop that spins would take a processor from the other tests for its 20 s.
    copy(EXERCISES, class_ / "hang", reshape="import time\n\n\ndef reshape_images(images):\n    while True:\n"
                                             "        time.sleep(1)\n",
         normalize=(SOLUTIONS / "normalize.py").read_text(), one_hot=(SOLUTIONS / "one_hot.py").read_text())
    # Its own limit (20 s) stops reshape: the rest of the 60 s is start-up's, however busy the machine.
    run = mnist_grade("batch", str(class_), "--out", str(out), "--timeout", "60")
    assert run.returncode == 0, run.stderr
    assert grades(out)[1:] == [["hang", "0", "10", "10", "0", "0", "0", "0", "20", "100", "graded"]]  # Ended in time.
    copy(SOLUTIONS, class_ / "hog",
         fit="def fit_model(model, images, labels):\n    block = b'x' * 3_000_000_000\n    while True:\n        pass\n")
    run = mnist_grade("batch", str(class_), "--out", str(out), "--timeout", "300", "--memory", "1500", "--only", "hog")
    assert run.returncode == 0, run.stderr
    assert grades(out)[2:] == [["hog", "10", "10", "10", "20", "15", "0", "0", "65", "100", "memory"]]
    feedback = (out / "hang" / "feedback.txt").read_text()
    assert re.search(r"reshape did not finish within \d+ s and was stopped", feedback)
    assert "Stopped: grading used more than 1500 MB of memory." in (out / "hog" / "feedback.txt").read_text()
    results = json.loads((out / "hog" / "results.json").read_text())
    assert results["score"] == 65
    assert "– fit        0/15  stopped: grading used more than 1500 MB of memory\n" in results["output"]
    assert [test["output"] for test in results["tests"] if test["name"].startswith("accuracy")] == [
        "stopped: grading used more than 1500 MB of memory"]
    assert not [pid for pid in running_workers() if str(class_) in pid]  # Nothing of theirs runs on.


@pytest.mark.slow
def test_entries_that_would_be_one_student_stop_the_batch_before_it_grades(tmp_path):
    class_ = tmp_path / "class"
    class_.mkdir()
    copy(EXERCISES, class_ / "bob")
    shutil.make_archive(str(class_ / "bob"), "zip", class_ / "bob")
    run = mnist_grade("batch", str(class_), "--out", str(tmp_path / "out"))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.endswith("mnist-grade batch: bob and bob.zip would be graded as the same student; rename or "
                               "remove all but one of each, then run the batch again.\n")
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.slow
def test_a_rerun_grades_what_changed_and_only_the_students_named(tmp_path):
    """Each result keeps its submission's fingerprint: a re-run grades the new and the changed, --only the named;
    identical.txt groups byte-identical submissions."""
    class_ = tmp_path / "class"
    class_.mkdir()
    for name in ("ann", "ben", "cat"):
        copy(EXERCISES, class_ / name)
    out = tmp_path / "out"
    assert mnist_grade("batch", str(class_), "--out", str(out)).returncode == 0
    assert (out / "identical.txt").read_text() == "ann ben cat\n"

    def stamps():
        return {name: (out / name / "results.json").stat().st_mtime_ns for name in ("ann", "ben", "cat")}

    first = stamps()
    (class_ / "ben" / "reshape.py").write_text((SOLUTIONS / "reshape.py").read_text())
    assert mnist_grade("batch", str(class_), "--out", str(out)).returncode == 0
    second = stamps()
    assert [name for name in first if first[name] != second[name]] == ["ben"]
    assert grades(out)[2][:2] == ["ben", "10"]
    assert (out / "identical.txt").read_text() == "ann cat\n"
    assert (out / "canvas.csv").read_text().splitlines() == [  # Canvas matches each row by SIS Login ID.
        "Student,ID,SIS User ID,SIS Login ID,Section,MNIST", ",,,ann,,0", ",,,ben,,10", ",,,cat,,0"]
    # Moodle's import: the username, then the assignment's column; nothing else.
    assert (out / "moodle.csv").read_bytes() == b"username,MNIST\r\nann,0\r\nben,10\r\ncat,0\r\n"
    only = mnist_grade("batch", str(class_), "--out", str(out), "--only", "cat")
    assert only.returncode == 0
    assert [name for name, stamp in stamps().items() if stamp != second[name]] == ["cat"]
    unknown = mnist_grade("batch", str(class_), "--out", str(out), "--only", "dan")
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines()[-1] == f"mnist-grade batch: dan: no such student in {class_}."


def running_workers():
    """The command lines of the step workers running now (forked ones keep the host's)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        command = " ".join(process.info["cmdline"] or [])
        mine = "grader.workers.worker" in command or "grader.workers.host" in command
        if mine and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(command)
    return found


@pytest.mark.slow
def test_batch_of_a_missing_folder_is_bad_usage(tmp_path):
    run = mnist_grade("batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert (run.returncode, run.stderr) == (2, f"mnist-grade batch: There is no folder {tmp_path / 'nowhere'}.\n")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "darwin", reason="macOS has no CPU affinity")
def test_each_grading_of_a_batch_gets_cores_of_its_own_and_thread_pools_to_match(tmp_path):
    """N jobs on C cores: disjoint core sets, every core used, and thread pools sized to them, so that a batch
    never runs N gradings each with pools for the whole machine."""
    assert share_cores(4, range(16)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    assert share_cores(3, range(8)) == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert share_cores(3, range(2)) == [[0], [1], [0]]
    assert thread_environment(4)["OMP_NUM_THREADS"] == "4" and "XLA_FLAGS" not in thread_environment(4)
    assert "--xla_cpu_multi_thread_eigen=false" in thread_environment(1)["XLA_FLAGS"]
    # What a worker of a batch of two on this machine sees, said in its error (the sandbox lets it write nowhere else).
    class_ = tmp_path / "class"
    copy(EXERCISES, class_ / "ann", reshape=(
        "import json, os\n\nimport psutil\n\n\ndef reshape_images(images):\n"
        "    raise RuntimeError(json.dumps({'cores': len(psutil.Process().cpu_affinity()), "
        "'omp': os.environ.get('OMP_NUM_THREADS'), 'xla': os.environ.get('XLA_FLAGS', '')}))\n"))
    run = mnist_grade("batch", str(class_), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert run.returncode == 0, run.stderr
    feedback = (tmp_path / "out" / "ann" / "feedback.txt").read_text()
    found = json.loads(re.search(r"raised RuntimeError: (\{.*\})", feedback).group(1))
    cores = len(share_cores(2)[0])
    assert found == {"cores": cores, "omp": str(cores),
                     "xla": "--xla_cpu_multi_thread_eigen=false" if cores == 1 else found["xla"]}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PSS, which counts a shared page once, is Linux's")
def test_memory_is_counted_once_per_page_and_read_cheaply_below_the_limit():
    """A child holding 200 MB is over a 100 MB limit and under a 10 GB one; below the limit only resident sizes,
    which cost little, are read, and a forked page shared by two processes is not counted twice."""
    holder = subprocess.Popen([sys.executable, "-c", "import os, sys, time\nblock = bytearray(200 << 20)\n"
                               "os.fork()\nprint(flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE)
    try:
        holder.stdout.readline()  # Both processes hold the block now, in shared pages.
        assert tree_memory_over(holder.pid, 100 * 1024)
        assert not tree_memory_over(holder.pid, 10 << 20)
        assert 200 * 1024 < tree_memory_kb(holder.pid) < 300 * 1024  # Not 400 MB: each shared page once.
    finally:
        kill_tree(holder)


@pytest.mark.slow
@pytest.mark.parametrize("portable", ["0", "1"], ids=["forked", "portable"])
def test_every_file_a_batch_writes_is_utf_8_whatever_the_locale(tmp_path, gbk_environment, portable):
    """Under a GBK locale (Chinese Windows), a batch in Chinese writes every file in UTF-8 (the CSVs with a BOM),
    what the gradings and the student's code printed included: what Path.write_text(), open() and Python's streams
    would write there unless told is GBK. Forked gradings and workers, and (MNIST_PORTABLE=1) new processes, as on
    Windows."""
    class_, out = tmp_path / "class", tmp_path / "results"
    arrays_done(class_ / "ann")  # 30 points, no training.
    (class_ / "bob").mkdir()  # No files at all: an error, said by the grading.
    copy(EXERCISES, class_ / "cat", reshape="import os\n\n\ndef reshape_images(images):\n"
                                            "    print('形状不对', flush=True)\n    os._exit(3)\n")
    run = subprocess.run([sys.executable, "-m", "grader.cli", "batch", str(class_), "--out", str(out), "--lang", "zh",
                          "--sandbox", "off", "--jobs", "2", "--assignment", "第一次作业".encode("gbk")],
                         capture_output=True, cwd=ROOT, timeout=900,
                         env={**gbk_environment, "MNIST_PORTABLE": portable})
    stderr = run.stderr.decode("gbk", errors="replace")  # The terminal's own, in the locale's encoding.
    assert run.returncode == 0 and "Traceback" not in stderr, stderr[-3000:]
    assert str(out / "grades.csv") in run.stdout.decode("gbk")
    written = {path.relative_to(out).as_posix(): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert set(written) >= {"grades.csv", "checks.csv", "canvas.csv", "moodle.csv", "identical.txt", "report.html",
                            "ann/results.json", "ann/junit.xml", "ann/feedback.txt", "ann/row.json", "bob/feedback.txt",
                            "bob/row.json"}
    assert "bob/results.json" not in written and "bob/junit.xml" not in written  # No grade, no test report.
    texts = {}
    for name, data in written.items():
        try:
            texts[name] = data.decode("utf-8-sig" if name.endswith(".csv") else "utf-8")  # Strict.
        except UnicodeDecodeError as error:
            pytest.fail(f"{name} is not UTF-8: {error}")
    garbled = sorted(name for name, text in texts.items() if "\ufffd" in text)  # Decoded wrongly on its way there.
    assert [name for name in garbled if not name.startswith("cat/")] == [], texts
    assert "缺少 reshape.py" in texts["bob/feedback.txt"]  # What the grading printed, in Chinese.
    assert "缺少 reshape.py" in texts["report.html"]
    assert re.search("[\u4e00-\u9fff]", texts["ann/feedback.txt"]) and re.search("[\u4e00-\u9fff]",
                                                                                    texts["ann/results.json"])
    assert grades(out)[1:] == [["ann", "10", "10", "10", "0", "0", "0", "0", "30", "100", "graded"],
                               ["bob", "", "", "", "", "", "", "", "", "100", "error"],
                               ["cat", "0", "0", "0", "0", "0", "0", "0", "0", "100", "graded"]]
    # What the student's code printed, as it printed it.
    assert "| 形状不对" in texts["cat/feedback.txt"] and garbled == [], texts["cat/feedback.txt"]
    # The gradebooks' column, typed in Chinese on the GBK console; bob, with no grade, has no row in Moodle's (Moodle
    # keeps what it has).
    assert texts["canvas.csv"].splitlines()[0] == "Student,ID,SIS User ID,SIS Login ID,Section,第一次作业"
    assert texts["moodle.csv"].splitlines() == ["username,第一次作业", "ann,30", "cat,0"]
    assert '<testsuite name="MNIST 课程: 30/100"' in texts["ann/junit.xml"]
