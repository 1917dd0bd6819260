"""mnist-grade's command line: exit codes and messages for bad usage, and for missing data."""

import pytest
from conftest import EXERCISES, ROOT, mnist_grade

from grader.data.sources import USE_A_FOLDER

CHECKS = ROOT / "grader" / "checks"  # What `pytest grader/checks --submission PATH` runs.


def test_missing_folder_exits_2(tmp_path):
    run = mnist_grade(str(tmp_path / "nowhere"))
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (
        f"mnist-grade: There is no folder {tmp_path / 'nowhere'}. Give the folder that holds your six step "
        "files, for example: mnist-grade exercises\n"
    )


def test_missing_file_exits_2(submission):
    folder = submission()
    (folder / "fit.py").unlink()
    (folder / "one_hot.py").unlink()
    run = mnist_grade(str(folder))
    assert run.returncode == 2
    assert run.stderr == (
        f"mnist-grade: {folder} is missing one_hot.py, fit.py. A submission has one file per step "
        "(reshape.py, normalize.py, one_hot.py, build.py, compile.py, fit.py); copy the missing ones back "
        "from the exercises folder.\n"
    )


def test_unknown_option_exits_2():
    run = mnist_grade("--colour")
    assert run.returncode == 2
    assert "unrecognized arguments: --colour" in run.stderr


@pytest.mark.slow
def test_default_folder_is_exercises():
    run = mnist_grade(cwd=ROOT)
    assert run.returncode == 1
    assert run.stdout.startswith("Grading exercises/")


def test_missing_data_exits_2_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    run = mnist_grade(str(EXERCISES))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        f"MNIST data unavailable: MNIST_DATA={tmp_path} has neither mnist.npz nor train-images-idx3-ubyte.gz. "
        f"{USE_A_FOLDER}\n"
    )


@pytest.mark.slow
def test_pytest_grader_shows_the_same_grade(pytester):
    """`pytest grader/checks --submission PATH` runs the same checks and ends with the same report."""
    result = pytester.runpytest_subprocess(str(CHECKS), f"--submission={EXERCISES}", "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*= grade =*",
        "✗ reshape    0/10",
        f"    not attempted yet: reshape_images() in {EXERCISES}/reshape.py still raises NotImplementedError",
        "*",
        "– accuracy   0/20  skipped: fix build first",
        "",
        "Score: 0/100 (0 of 7 steps done)",
        f"Next: fix reshape in {EXERCISES}/reshape.py, then grade again.",
    ])


def test_pytest_grader_rejects_a_missing_folder(pytester, tmp_path):
    result = pytester.runpytest_subprocess(str(CHECKS), f"--submission={tmp_path / 'nowhere'}")
    assert result.ret == 4  # pytest's own code for a usage error.
    result.stderr.fnmatch_lines([f"ERROR: There is no folder {tmp_path / 'nowhere'}. *"])


def test_pytest_grader_without_data_exits_2(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    result = pytester.runpytest_subprocess(str(CHECKS), f"--submission={EXERCISES}", "-p", "no:cacheprovider")
    assert result.ret == 2
    result.stdout.fnmatch_lines([
        f"MNIST data unavailable: MNIST_DATA={tmp_path} has neither mnist.npz nor train-images-idx3-ubyte.gz. "
        f"{USE_A_FOLDER}",
    ])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
