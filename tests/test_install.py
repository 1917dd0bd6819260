"""The course as students get it without a checkout: the built wheel in a fresh virtual environment (`mnist-grade
init`, then grading), and the course notebook in a kernel that had no grader, installing it from its first cell."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import PIP_CACHE, ROOT, accuracy_in, copy_course, mnist_grade, once, python_without_the_grader

from grader.course.code import answer
from grader.course.steps import FILE_STEPS

BIN = "Scripts" if os.name == "nt" else "bin"


def pip(venv, *args, cache):
    """pip of the virtual environment `venv`, with a pip cache of the test session's own."""
    done = subprocess.run([str(venv / BIN / "python"), "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900, env={**os.environ, "PIP_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="session")
def pip_cache():
    """The session's pip cache (conftest.PIP_CACHE)."""
    PIP_CACHE.mkdir(exist_ok=True)
    return PIP_CACHE


@pytest.fixture(scope="session")
def wheel(tmp_path_factory, pip_cache):
    """The wheel `pip wheel .` builds, from a copy of the project (no build folder left in the checkout); built once
    for the session's test workers."""

    def build(out):
        source = copy_course(tmp_path_factory.mktemp("project") / "mnist-grade")
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                              capture_output=True, text=True, timeout=900,
                              env={**os.environ, "PIP_CACHE_DIR": str(pip_cache)})
        assert done.returncode == 0, done.stderr[-3000:]

    [built] = once("wheel", build).glob("mnist_grade-*.whl")
    return built


def fresh_venv(path, *requirements, cache):
    """A new venv with `requirements`, installed without compiling every module first (Python compiles those it
    imports, as it imports them): seconds of the processors' time less."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    if requirements:
        pip(path, "install", "-q", "--no-compile", *requirements, cache=cache)
    return path


@pytest.mark.slow
def test_the_wheel_carries_the_course_and_no_answers(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert {"grader/course/steps.toml", "grader/course/zh.toml", "grader/checks/test_fit.py",
            "grader/instructor/template-slurm.sh", "grader/instructor/template-kubernetes.yaml",
            "grader/instructor/template-parallel.sh", "grader/instructor/template-gradescope-setup.sh",
            "grader/instructor/template-gradescope-run.sh",
            "grader/instructor/classroom50_autograder.py"} <= set(names)  # A pip-installed grader has the templates.
    assert {f"grader/course/stubs/{step.file}" for step in FILE_STEPS} <= set(names)
    assert [name for name in names if name.startswith("solutions/") or name.startswith("exercises/")] == []
    stub = zipfile.ZipFile(wheel).read("grader/course/stubs/reshape.py").decode()
    assert stub == (ROOT / "exercises" / "reshape.py").read_text()


@pytest.mark.long
@pytest.mark.slow
def test_a_fresh_venv_with_only_the_wheel_inits_and_grades(wheel, pip_cache, tmp_path):
    """No checkout on sys.path: init writes the course, the stubs grade 0/100, the answers 100/100."""
    venv = fresh_venv(tmp_path / "venv", str(wheel), cache=pip_cache)
    work = tmp_path / "empty"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def run(*args):
        return subprocess.run([str(venv / BIN / "mnist-grade"), *args], cwd=work, capture_output=True, text=True,
                              timeout=900, env=env)

    where = subprocess.run([str(venv / BIN / "python"), "-c", "import grader; print(grader.__file__)"], cwd=work,
                           capture_output=True, text=True, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where  # The wheel's grader, not the checkout's.

    made = run("init")
    assert (made.returncode, made.stderr) == (0, "")
    assert made.stdout == (
        "Wrote the course into mnist-course: the six step files, mnist.ipynb and README.md.\n"
        "Next: open mnist-course/reshape.py, replace `raise NotImplementedError` with your code, then run "
        "`mnist-grade mnist-course`.\n")
    course = work / "mnist-course"
    assert sorted(path.name for path in course.iterdir()) == sorted(
        [step.file for step in FILE_STEPS] + ["README.md", "mnist.ipynb"])
    assert (course / "fit.py").read_text() == (ROOT / "exercises" / "fit.py").read_text()
    assert "`mnist-grade mnist-course` grades them" in (course / "README.md").read_text()

    (course / "reshape.py").write_text("# My own start.\n")
    again = run("init")
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr == (
        "mnist-grade: mnist-course has reshape.py, normalize.py, one_hot.py, build.py, compile.py, fit.py, README.md, "
        "mnist.ipynb already, and init never writes over your files. Grade them with `mnist-grade mnist-course`, or "
        "start afresh in another folder: mnist-grade init OTHER.\n")
    assert (course / "reshape.py").read_text() == "# My own start.\n"
    (course / "reshape.py").write_text((ROOT / "exercises" / "reshape.py").read_text())

    stubs = run("mnist-course")
    assert stubs.returncode == 1, stubs.stderr
    assert "Score: 0/100 (0 of 7 steps done)" in stubs.stdout
    assert "not attempted yet: reshape_images()" in stubs.stdout

    for step in FILE_STEPS:
        (course / step.file).write_text(answer(step))
    answers = run("mnist-course")
    assert answers.returncode == 0, answers.stdout[-3000:] + answers.stderr[-3000:]
    assert "Score: 100/100 (7 of 7 steps done)" in answers.stdout


def test_init_in_chinese_and_where_a_file_is_in_the_way(tmp_path):
    made = mnist_grade("init", str(tmp_path / "课程"), "--lang", "zh")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"已把课程写入 {tmp_path / '课程'}：六个步骤文件、mnist.ipynb 和 README.md。\n")
    assert (tmp_path / "课程" / "README.md").read_text().startswith("# Keras MNIST 课程\n")
    notebook = nbformat.read(tmp_path / "课程" / "mnist.ipynb", as_version=4)
    assert notebook.cells[1].source.startswith("# 课程的评分器。")
    (tmp_path / "taken").write_text("")
    refused = mnist_grade("init", str(tmp_path / "taken"))
    assert (refused.returncode, refused.stderr) == (
        2, f"mnist-grade: {tmp_path / 'taken'} is a file, not a folder. Give init a folder's name: mnist-grade init "
           "FOLDER.\n")


def test_the_first_cell_installs_what_it_was_made_with_or_says_how(tmp_path, monkeypatch):
    from grader.course import notebook

    made = mnist_grade("notebook", "--install", "mnist-grade @ https://example.org/mnist_grade-0.1.0-py3-none-any.whl",
                       "--out", str(tmp_path / "hosted.ipynb"))
    assert made.returncode == 0, made.stderr
    assert nbformat.read(tmp_path / "hosted.ipynb", as_version=4).cells[1].source == (
        "# The course grader. Where this kernel lacks it (Colab, a hosted Jupyter), this cell installs it.\n"
        "try:\n"
        "    from grader import check, run_all\n"
        "except ModuleNotFoundError:\n"
        "    %pip install --quiet 'mnist-grade @ https://example.org/mnist_grade-0.1.0-py3-none-any.whl'\n"
        "    from grader import check, run_all")
    # pyproject.toml names no repository yet: the cell says how to install instead, and running it says so.
    monkeypatch.setattr(notebook, "default_install", lambda: None)
    cell = notebook.course().cells[1].source
    with pytest.raises(ModuleNotFoundError, match=r"^This notebook needs the MNIST course's grader, which this kernel "
                       r"does not have\. Run `%pip install SOURCE` in a cell of its own"):
        exec(cell.replace("from grader import", "from grader_not_installed import"), {})


def test_the_default_source_is_the_repository_pyproject_names(monkeypatch):
    from importlib import metadata

    from grader.course.notebook import default_install

    class Found:
        def get_all(self, name):
            return ["Documentation, https://example.org/docs", "Repository, https://github.com/example/mnist-grade"]

    monkeypatch.setattr(metadata, "metadata", lambda name: Found())
    assert default_install() == "git+https://github.com/example/mnist-grade"


def test_the_solutions_notebook_needs_a_checkout(monkeypatch, capsys):
    from grader import cli
    from grader.course import code

    monkeypatch.setattr(code, "has_solutions", lambda: False)
    assert cli.main(["notebook", "--solutions"]) == 2
    assert capsys.readouterr().err == (
        "mnist-grade: The answers are not in the installed grader: make the instructors' notebooks from a checkout "
        "of the course, where solutions/ holds them.\n")


@pytest.mark.slow
@pytest.mark.needs("notebook")
def test_a_kernel_without_the_grader_installs_it_from_the_first_cell(wheel, pip_cache, tmp_path, monkeypatch):
    """nbclient runs the solutions notebook, made with --install WHEEL, top to bottom in a kernel that has Keras, JAX
    and ipykernel, as Colab's has, but no grader: the first cell installs the grader, every check passes, in plain
    lines, and the seed's program at the end trains. (The wheel with its dependencies in a venv that had none: the
    test above; a notebook's check cells on stubs: tests/test_nbgrader.py.)"""
    from nbclient import NotebookClient

    venv = python_without_the_grader(tmp_path / "kernel-venv").parent
    has = subprocess.run([str(venv / BIN / "python"), "-c", "import grader"], capture_output=True, cwd=tmp_path)
    assert has.returncode == 1  # No grader in this kernel to begin with.
    kernels = tmp_path / "jupyter" / "kernels" / "fresh"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / BIN / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("PIP_CACHE_DIR", str(pip_cache))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    path = tmp_path / "solutions.ipynb"
    made = mnist_grade("notebook", "--solutions", "--install", str(wheel), "--out", str(path))
    assert made.returncode == 0, made.stderr
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="fresh",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    installed = subprocess.run([str(venv / BIN / "python"), "-c", "import grader; print(grader.__file__)"],
                               capture_output=True, text=True, cwd=tmp_path)
    assert Path(installed.stdout.strip()).is_relative_to(venv)  # The first cell installed it, from the wheel.
    solutions = ["".join(output.get("text", "") for output in cell.get("outputs", [])) for cell in notebook.cells]
    assert solutions[3:21:3] == [""] * 6  # Keras imported in the step cells, after the grader: no TensorFlow or absl.
    for step, text in zip(FILE_STEPS, solutions[4::3], strict=False):
        assert "All checks passed. Well done!" in text, (step.name, text)
        assert text.startswith("Grading this notebook"), text  # Not a scratch folder, and no slash after it.
        assert "\x1b" not in text and "\r" not in text  # Plain lines: no colours, no bar redrawn in place.
    accuracy_in(solutions[-1], r"test_acc: (\d\.\d{4})")
