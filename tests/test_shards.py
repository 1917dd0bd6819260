"""A class beyond one machine: `mnist-grade batch --shard I/N` grades one share into a shared RESULTS, `--merge`
writes the class-wide files from what the shards stored and names whoever has no result yet."""

import csv
import json
import os
import subprocess
import sys

import pytest
from conftest import EXERCISES, ROOT, copy, grades, mnist_grade

from grader.instructor.batch import Shard

NAMES = [f"student{number:03d}" for number in range(200)]
CLASS_FILES = ["grades.csv", "checks.csv", "canvas.csv", "moodle.csv", "identical.txt", "failures.csv", "report.html"]


def test_a_students_shard_depends_on_their_name_alone():
    """Each student is in exactly one of N shards, the shards are about even, and a student added to the class (or a
    shard count written in a job script) moves nobody else."""
    shards = [Shard(index, 4) for index in range(4)]
    holders = {name: [shard.index for shard in shards if shard.holds(name)] for name in NAMES}
    assert all(len(found) == 1 for found in holders.values())
    sizes = [sum(found == [index] for found in holders.values()) for index in range(4)]
    assert all(30 <= size <= 70 for size in sizes), sizes
    more = {name: [shard.index for shard in shards if shard.holds(name)] for name in [*NAMES, "zoe", "李雷"]}
    assert {name: more[name] for name in NAMES} == holders
    assert [Shard(index, 3).holds("alice") for index in range(3)] == [False, False, True]  # sha256, not Python's hash.
    assert Shard.parse("0/4") == Shard(0, 4) and str(Shard.parse("3/4")) == "3/4"


@pytest.mark.parametrize("given", ["4/4", "-1/4", "1", "a/b", "1/0"])
def test_a_shard_outside_its_count_is_bad_usage(tmp_path, given):
    run = mnist_grade("batch", str(tmp_path), "--out", str(tmp_path / "out"), f"--shard={given}")
    assert run.returncode == 2 and run.stdout == ""
    assert f"--shard takes I/N, two whole numbers with 0 <= I < N (for example 0/4), not {given}." in run.stderr
    assert not (tmp_path / "out").exists()


def test_a_shard_and_the_merge_are_one_or_the_other(tmp_path):
    run = mnist_grade("batch", str(tmp_path), "--out", str(tmp_path / "out"), "--shard", "0/2", "--merge")
    assert run.returncode == 2 and "not allowed with argument --shard" in run.stderr


def test_a_shard_never_downloads_mnist(tmp_path):
    """A compute node is often offline: with no MNIST here, a shard stops before grading anyone and says where MNIST
    goes; it never tries a mirror."""
    class_ = tmp_path / "class"
    copy(EXERCISES, class_ / "bob")
    env = {**os.environ, "MNIST_CACHE": str(tmp_path / "cache"), "KERAS_HOME": str(tmp_path / "keras"),
           "MNIST_MIRROR": "http://127.0.0.1:9/"}
    env.pop("MNIST_DATA", None)
    run = subprocess.run([sys.executable, "-m", "grader.cli", "batch", str(class_), "--out", str(tmp_path / "out"),
                          "--shard", "0/1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert (run.returncode, run.stdout) == (2, "")
    assert "MNIST is not on this machine (not in " in run.stderr
    assert "a shard never downloads it: compute nodes are often offline. Set MNIST_DATA" in run.stderr
    assert "mnist-grade data --from PATH." in run.stderr and "127.0.0.1" not in run.stderr
    assert not (tmp_path / "out" / "bob").exists()


def broken_class(folder, count):
    """A class of `count` zip files that are not zips (each graded as an error at once, no grading process), two of
    them byte-identical."""
    folder.mkdir()
    for number in range(count):
        (folder / f"s{number}.zip").write_bytes(b"not a zip %d" % min(number, count - 2))
    return folder


def test_a_merge_before_any_shard_names_every_student_missing(tmp_path):
    class_ = broken_class(tmp_path / "class", 3)
    merged = mnist_grade("batch", str(class_), "--out", str(tmp_path / "results"), "--merge")
    assert merged.returncode == 1, merged.stderr
    assert merged.stderr.endswith("mnist-grade batch: no stored result for 3 students: s0, s1, s2. Their shards "
                                  "did not finish: run them again (or `mnist-grade batch --only` them), then merge "
                                  "again.\n")
    assert [row[-1] for row in grades(tmp_path / "results")[1:]] == ["missing"] * 3
    assert "merging 3/3" in merged.stderr  # A log's progress line.


@pytest.mark.long
@pytest.mark.slow
def test_shards_then_the_merge_make_the_single_machine_gradebook(tmp_path):
    """Two shards grade their shares into one RESULTS (no class-wide file); a result lost (a node that died) makes
    the merge exit 1 naming exactly that student, with status missing; the shard run again, the merge equals a
    single-machine batch, file for file."""
    class_ = broken_class(tmp_path / "class", 7)
    copy(EXERCISES, class_ / "bob")  # Graded for real: points, checks and a results.json.
    out, whole = tmp_path / "results", tmp_path / "whole"
    students = sorted(["bob", *(f"s{number}" for number in range(7))])
    shard_of = {name: next(index for index in range(2) if Shard(index, 2).holds(name)) for name in students}
    for index in range(2):
        run = mnist_grade("batch", str(class_), "--out", str(out), "--shard", f"{index}/2", "--jobs", "1")
        mine = [name for name in students if shard_of[name] == index]
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.startswith(f"Shard {index}/2: {len(mine)} submissions stored in {out}: "), run.stdout
        assert run.stdout.endswith(f"Once every shard is done: mnist-grade batch {class_} --out {out} --merge\n")
        assert f"grading {len(mine)}/{len(mine)}" in run.stderr  # A log's progress line: not a terminal here.
        assert sorted(path.name for path in out.iterdir() if path.is_dir()) == sorted(
            name for name in students if shard_of[name] <= index)
        assert not [name for name in CLASS_FILES if (out / name).exists()]
    assert not [path for path in out.rglob("*") if path.name.startswith(".")]  # No temporary file left.

    lost = next(name for name in students if name.startswith("s") and shard_of[name] == 1)
    for path in (out / lost).iterdir():
        path.unlink()
    (out / lost).rmdir()
    merged = mnist_grade("batch", str(class_), "--out", str(out), "--merge")
    assert merged.returncode == 1, merged.stderr
    assert merged.stdout == (f"8 submissions in {out / 'grades.csv'}: 1 graded, 6 errors, 0 timeouts, 0 over memory, "
                             "1 missing.\n")
    assert merged.stderr.endswith(f"mnist-grade batch: no stored result for 1 students: {lost}. Their shards did not "
                                  "finish: run them again (or `mnist-grade batch --only` them), then merge again.\n")
    rows = {row[0]: row for row in grades(out)[1:]}
    assert rows[lost] == [lost, "", "", "", "", "", "", "", "", "100", "missing"]
    assert rows["bob"][-3:] == ["0", "100", "graded"]
    with open(out / "canvas.csv", encoding="utf-8") as file:
        assert ["", "", "", lost, "", ""] in list(csv.reader(file))  # No grade: the gradebook keeps its own.
    with open(out / "moodle.csv", encoding="utf-8") as file:
        assert lost not in [row[0] for row in csv.reader(file)]  # No row: Moodle keeps its own.
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"<td>{lost}</td><td><code>missing</code></td><td>no result is stored: grade this student again" in page

    again = mnist_grade("batch", str(class_), "--out", str(out), "--shard", "1/2")  # Grades the lost student alone.
    assert again.returncode == 0 and again.stdout.startswith(f"Shard 1/2: {list(shard_of.values()).count(1)} "
                                                             "submissions stored"), again.stdout
    assert mnist_grade("batch", str(class_), "--out", str(out), "--merge").returncode == 0
    assert mnist_grade("batch", str(class_), "--out", str(whole)).returncode == 0
    for name in ["grades.csv", "checks.csv", "canvas.csv", "moodle.csv", "identical.txt", "failures.csv"]:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    assert (out / "identical.txt").read_text() == "s5 s6\n"
    assert json.loads((out / "bob" / "results.json").read_text())["score"] == 0


@pytest.mark.slow
def test_a_shard_started_twice_at_once_leaves_whole_files(tmp_path):
    """A requeued task can run beside the first: both write every student's files, and each file is whole."""
    class_ = broken_class(tmp_path / "class", 16)
    out = tmp_path / "results"
    command = [sys.executable, "-m", "grader.cli", "batch", str(class_), "--out", str(out), "--shard", "0/1", "--force"]
    twins = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    assert [twin.wait(300) for twin in twins] == [0, 0]
    assert not [path for path in out.rglob("*") if path.name.startswith(".")]
    for number in range(16):
        stored = json.loads((out / f"s{number}" / "row.json").read_text(encoding="utf-8"))
        assert stored["row"]["status"] == "error"
        assert (out / f"s{number}" / "feedback.txt").read_text(encoding="utf-8").startswith(
            f"s{number}.zip is not a readable zip file")
    assert mnist_grade("batch", str(class_), "--out", str(out), "--merge").returncode == 0
