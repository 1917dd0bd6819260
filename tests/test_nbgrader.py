"""nbgrader courses, graded by nbgrader itself: `mnist-grade notebook --nbgrader` is a source notebook that
`nbgrader generate_assignment` accepts, and `nbgrader autograde` scores each submitted notebook as mnist-grade does."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, mnist_grade

from grader.course.code import answer, points
from grader.course.steps import FILE_STEPS, STEPS


def test_the_source_notebook_marks_answers_and_locked_checks(tmp_path):
    made = mnist_grade("notebook", "--nbgrader", "--out", str(tmp_path / "mnist.ipynb"))
    assert made.returncode == 0, made.stderr
    assert made.stdout.endswith("Next: put it in your nbgrader course as source/ASSIGNMENT/mnist.ipynb, then run "
                                "`nbgrader generate_assignment ASSIGNMENT`.\n")
    cells = [cell for cell in nbformat.read(tmp_path / "mnist.ipynb", as_version=4).cells if cell.cell_type == "code"]
    marks = [cell.metadata["nbgrader"] for cell in cells]
    assert len({mark["grade_id"] for mark in marks}) == len(marks)
    assert {mark["schema_version"] for mark in marks} == {3}
    answers = [mark["grade_id"] for mark in marks if mark["solution"]]
    assert answers == [f"{step.name}_answer" for step in FILE_STEPS]
    tests = {cell.source: cell.metadata["nbgrader"]["points"] for cell in cells if cell.metadata["nbgrader"]["grade"]}
    assert tests == {f'assert_step("{name}")': points(name) for name in STEPS}
    assert sum(tests.values()) == 100
    assert all(cell.metadata["nbgrader"]["locked"] for cell in cells if not cell.metadata["nbgrader"]["solution"])
    assert "# BEGIN SOLUTION" in cells[1].source and "num_classes = 10" in cells[7].source


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.needs("nbgrader")
@pytest.mark.needs("notebook")
def test_nbgrader_scores_each_notebook_as_mnist_grade_does(tmp_path):
    """generate_assignment, then autograde of a submission with two steps done, one of them half right: test cells of
    full, partial and no points. The score of `nbgrader export` is mnist-grade's of the same notebook."""
    nbgrader = [sys.executable, "-m", "nbgrader"]  # The nbgrader of the tests' own environment.
    course = tmp_path / "course"
    (course / "source" / "mnist").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "mnist"\n')
    made = mnist_grade("notebook", "--nbgrader", "--out", str(course / "source" / "mnist" / "mnist.ipynb"))
    assert made.returncode == 0, made.stderr

    def run(*args):
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])  # nbgrader runs alembic.
        done = subprocess.run([*nbgrader, *args], cwd=course, capture_output=True, text=True, timeout=900,
                              env={**os.environ, "PATH": path})
        assert done.returncode == 0, done.stderr[-3000:]

    run("generate_assignment", "mnist")
    released = nbformat.read(course / "release" / "mnist" / "mnist.ipynb", as_version=4)
    assert "raise NotImplementedError()" in released.cells[3].source and "BEGIN SOLUTION" not in json.dumps(released)

    def submit(student, answers):
        notebook = nbformat.read(course / "release" / "mnist" / "mnist.ipynb", as_version=4)
        cells = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")]
        for step, cell in zip(FILE_STEPS, cells, strict=True):
            if step.name in answers:
                cell.source = answers[step.name] or answer(step)
        (course / "submitted" / student / "mnist").mkdir(parents=True)
        nbformat.write(notebook, course / "submitted" / student / "mnist" / "mnist.ipynb")

    submit("carol", {"reshape": None, "normalize": "def normalize_images(images):\n    return images / 255\n"})
    run("autograde", "mnist")
    run("export")
    with open(course / "grades.csv", encoding="utf-8") as file:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(file)}

    gradings = {student: subprocess.Popen(  # As `mnist-grade NOTEBOOK --json FILE`.
        [sys.executable, "-m", "grader.cli", str(course / "submitted" / student / "mnist" / "mnist.ipynb"), "--json",
         str(tmp_path / f"{student}.json")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for student in exported}
    ours = {student: (process.wait(timeout=900), json.loads((tmp_path / f"{student}.json").read_text())["score"])[1]
            for student, process in gradings.items()}
    assert exported == ours
    assert list(ours) == ["carol"] and 0 < ours["carol"] - 10 < 10  # reshape in full, normalize in part, no more.
