"""Notebooks: exercises made from the solutions, the course as a notebook, and grading a student's notebook."""

import json
import re

import nbformat
import pytest
from conftest import EXERCISES, SOLUTIONS, accuracy_in, mnist_grade
from nbformat import v4

from grader.course.assign import MarkerError, exercise, solution
from grader.course.notebook import course
from grader.course.steps import FILE_STEPS


@pytest.mark.parametrize("step", [step.file for step in FILE_STEPS])
def test_committed_exercises_are_what_assign_makes(step):
    assert (EXERCISES / step).read_text() == exercise((SOLUTIONS / step).read_text())


def test_assign_writes_the_exercises(tmp_path):
    run = mnist_grade("assign", str(SOLUTIONS), str(tmp_path))
    assert run.returncode == 0
    assert run.stdout.endswith(f"{tmp_path} is up to date with {SOLUTIONS}.\n")
    assert all((tmp_path / step.file).read_text() == (EXERCISES / step.file).read_text() for step in FILE_STEPS)
    assert (
        mnist_grade("assign", str(SOLUTIONS), str(tmp_path)).stdout == f"{tmp_path} is up to date with {SOLUTIONS}.\n"
    )


def test_a_region_becomes_a_stub_and_top_level_answers_go():
    source = (
        "# Step 9: demo.\n# BEGIN SOLUTION\nimport numpy as np\n# END SOLUTION\n\n\n"
        "def demo(x):\n    # BEGIN SOLUTION: add one.\n    return np.add(x, 1)\n    # END SOLUTION\n"
    )
    assert exercise(source) == (
        "# Step 9: demo.\n\n\ndef demo(x):\n    # TODO: add one.\n    raise NotImplementedError\n"
    )
    assert solution(source) == "# Step 9: demo.\nimport numpy as np\n\n\ndef demo(x):\n    return np.add(x, 1)\n"


@pytest.mark.parametrize(
    "source, message",
    [
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "demo.py, line 2: # BEGIN SOLUTION is never closed"),
        ("def f():\n    return 1\n    # END SOLUTION\n", "demo.py, line 3: # END SOLUTION without # BEGIN SOLUTION"),
    ],
)
def test_unpaired_markers_are_named(source, message):
    with pytest.raises(MarkerError, match=message):
        exercise(source, "demo.py")


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    runs = {
        "exercises": mnist_grade("notebook", "--out", str(folder / "exercises.ipynb")),
        "solutions": mnist_grade("notebook", "--solutions", "--out", str(folder / "solutions.ipynb")),
        "zh": mnist_grade("notebook", "--lang", "zh", "--out", str(folder / "zh.ipynb")),
    }
    assert all(run.returncode == 0 for run in runs.values()), runs
    assert runs["exercises"].stdout == (
        f"wrote {folder / 'exercises.ipynb'}\nNext: open it with `jupyter lab {folder / 'exercises.ipynb'}`, fill in "
        "each step's code cell and run the check cell below it.\n")
    assert runs["zh"].stdout.endswith(f"下一步：用 `jupyter lab {folder / 'zh.ipynb'}` 打开它，补全每一步的代码单元格，"
                                      "然后运行它下面的检查单元格。\n")
    return {name: nbformat.read(folder / f"{name}.ipynb", as_version=4) for name in runs}


def test_the_notebooks_are_valid_and_follow_the_steps(notebooks):
    for notebook in notebooks.values():
        nbformat.validate(notebook)
        kinds = [cell.cell_type for cell in notebook.cells]
        assert kinds == ["markdown", "code"] + ["markdown", "code", "code"] * 6 + ["markdown", "code"]
        assert [cell.source for cell in notebook.cells[4::3]] == [f'check("{step.name}")' for step in FILE_STEPS]
        assert notebook.cells[-1].source == "run_all()"
    exercises, solutions, zh = notebooks["exercises"], notebooks["solutions"], notebooks["zh"]
    assert exercises.cells[0].source.startswith("# MNIST, step by step")
    assert zh.cells[0].source.startswith("# MNIST，一步一步来")
    assert exercises.cells[6].source == (EXERCISES / "normalize.py").read_text().strip()
    assert "raise NotImplementedError" not in "".join(cell.source for cell in solutions.cells)
    for notebook in (zh, course("zh", solutions=True)):  # Every comment of the code in Chinese.
        comments = [line for cell in notebook.cells if cell.cell_type == "code" for line in cell.source.splitlines()
                    if line.lstrip().startswith("#")]
        assert comments and [line for line in comments if not re.search("[\u4e00-\u9fff]", line)] == []
    assert "BEGIN SOLUTION" not in "".join(cell.source for cell in solutions.cells)
    # The solutions notebook runs top to bottom in tests/test_install.py, in a new kernel its first cell installs into.


@pytest.mark.slow
@pytest.mark.needs("notebook")
def test_a_check_cell_names_the_cell_in_plain_text(tmp_path, monkeypatch):
    """In Jupyter, a failing step's check names the cell as Jupyter numbers it, even where FORCE_COLOR is set."""
    from nbclient import NotebookClient

    monkeypatch.setenv("FORCE_COLOR", "1")
    notebook = v4.new_notebook(cells=[
        v4.new_code_cell("from grader import check, run_all"),
        v4.new_code_cell("def reshape_images(images):\n    return image.reshape(len(images), 784)"),
        v4.new_code_cell('check("reshape")'),
    ])
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(output.get("text", "") for output in notebook.cells[2].outputs)
    assert printed.splitlines() == [
        "Grading this notebook",
        "",
        "✗ reshape    0/10",
        "    reshape_images() raised NameError: name 'image' is not defined",
        "      this notebook, cell [2], line 2, in reshape_images",
        "        return image.reshape(len(images), 784)",
        "    Help: check the spelling: there is no image here, but there is images.",
        "",
        "Score: 0/10 (0 of 1 step done)",
        "Next: fix reshape in this notebook, then grade again.",
    ]


def student_notebook(path, cells):
    """Write a notebook of markdown ("# …") and code cells, as a student's Jupyter would."""
    notebook = v4.new_notebook(
        cells=[
            v4.new_markdown_cell(text[2:]) if text.startswith("# ") and "\n" not in text else v4.new_code_cell(text)
            for text in cells
        ]
    )
    nbformat.write(notebook, path)
    return path


def solution_cells():
    return [solution((SOLUTIONS / step.file).read_text()) for step in FILE_STEPS]


@pytest.mark.slow
def test_a_notebook_is_graded_like_a_folder(tmp_path):
    """Extra cells, magics, shell lines, a redefined function and a broken experiment change nothing."""
    cells = [
        "# My MNIST notebook",
        "%matplotlib inline\n!pip list\nimport numpy as np",
        "def reshape_images(images):\n    return images  # A first try.",
        *solution_cells(),
        "for i in range(3:\n    print(i)",  # An experiment with a syntax error.
        "x = np.zeros((2, 28, 28))\nprint(reshape_images(x).shape)",
        "%%time\nfit_model(None, None, None)",
    ]
    path = student_notebook(tmp_path / "work.ipynb", cells)
    before = path.read_bytes()
    run = mnist_grade(str(path))
    assert (run.returncode, run.stderr) == (0, ""), run.stdout
    assert run.stdout.startswith(f"Grading {path} (the fit step trains a real model: allow a minute)\n")
    assert run.stdout.endswith(
        f"✓ accuracy   20/20  test accuracy {accuracy_in(run.stdout)}\n\n"
        "Score: 100/100 (7 of 7 steps done)\nAll checks passed. Well done!\n"
    )
    assert path.read_bytes() == before


@pytest.mark.slow
def test_the_last_definition_wins_and_a_missing_function_is_named(tmp_path):
    cells = solution_cells()[:5] + [  # No fit_model; normalize redefined wrongly after the right one.
        "def normalize_images(images):\n    return images / 255",
    ]
    path = student_notebook(tmp_path / "work.ipynb", cells)
    run = mnist_grade(str(path))
    assert run.returncode == 1
    assert "✗ normalize  7/10\n" in run.stdout and "    ✗ normalize returns float32\n" in run.stdout
    assert (
        f"✗ fit        0/15\n    {path} has no function fit_model()\n"
        "    Help: keep the name the exercise gives: def fit_model(...).\n"
    ) in run.stdout
    assert f"Next: fix normalize in {path}, then grade again." in run.stdout


@pytest.mark.slow
def test_an_error_names_the_cell_and_its_line(tmp_path):
    """As Jupyter numbers a cell that has run ("cell [5]"), else by its place among the code cells."""
    cells = solution_cells()
    cells[0] = "import numpy as np\n\n\ndef reshape_images(images):\n    return image.reshape(len(images), 784)"
    path = student_notebook(tmp_path / "work.ipynb", ["# My notebook", *cells])
    run = mnist_grade(str(path), "--step", "reshape")
    assert run.stdout.splitlines()[2:6] == [
        "✗ reshape    0/10",
        "    reshape_images() raised NameError: name 'image' is not defined",
        f"      {path}, code cell 1, line 5, in reshape_images",
        "        return image.reshape(len(images), 784)",
    ]
    notebook = nbformat.read(path, as_version=4)
    for count, cell in enumerate(notebook.cells[1:], start=4):
        cell.execution_count = count
    nbformat.write(notebook, path)
    assert f"      {path}, cell [4], line 5, in reshape_images" in mnist_grade(str(path), "--step", "reshape").stdout


@pytest.mark.slow
def test_a_syntax_error_where_a_function_is_defined_is_shown(tmp_path):
    cells = solution_cells()
    cells[0] = "def reshape_images(images):\n    return images.reshape((len(images), 784)"
    path = student_notebook(tmp_path / "work.ipynb", cells)
    run = mnist_grade(str(path), "--step", "reshape")
    assert run.returncode == 1
    assert f"importing {path} raised SyntaxError: " in run.stdout


def test_a_file_that_is_not_a_notebook_exits_2(tmp_path):
    path = tmp_path / "work.ipynb"
    path.write_text('{"cells": 3}')
    run = mnist_grade(str(path))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.startswith(f"mnist-grade: {path} is not a valid notebook (")
    assert run.stderr.endswith("). Save it again from Jupyter, or grade a folder of .py files.\n")
    missing = mnist_grade(str(tmp_path / "nowhere.ipynb"))
    assert (missing.returncode, missing.stderr) == (
        2,
        f"mnist-grade: There is no notebook {tmp_path / 'nowhere.ipynb'}.\n",
    )
    assert json.loads(path.read_text()) == {"cells": 3}
