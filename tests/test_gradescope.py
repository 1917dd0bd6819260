"""`mnist-grade gradescope`: autograder.zip, and its run_autograder run in a folder laid out like /autograder."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from capabilities import REQUIRE, required
from conftest import EXERCISES, SOLUTIONS, arrays_done, mnist_grade

from grader.course.steps import STEPS
from grader.data.formats import read_npz
from grader.instructor.gradescope import CONSTRAINTS, requirements


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    run = mnist_grade("gradescope", "--out", str(out))
    assert (run.returncode, run.stdout) == (
        0, f"wrote {out}: upload it as the autograder of a Gradescope programming assignment.\n")
    return out


def unpack(zip_path, root):
    """Lay `root` out as Gradescope does: the zip's files in source/, run_autograder beside it."""
    source = root / "source"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(source)
        for info in archive.infolist():
            if info.external_attr >> 16:
                os.chmod(source / info.filename, info.external_attr >> 16 & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")


def autograde(zip_path, root, submission, **env):
    """Run run_autograder on `submission` in `root`, laid out like /autograder; return (the process, results.json).

    By default with the Python running the tests and workers running as this user; env may change that.
    """
    if not (root / "run_autograder").exists():
        unpack(zip_path, root)
    shutil.copytree(submission, root / "submission", symlinks=True)
    process = subprocess.run(
        [str(root / "run_autograder")], cwd=root, capture_output=True, text=True, timeout=900,
        env={**os.environ, "AUTOGRADER": str(root), "MNIST_PYTHON": sys.executable, "MNIST_WORKER_USER": "", **env},
    )
    results = root / "results" / "results.json"
    return process, json.loads(results.read_text()) if results.exists() else None


def fingerprint(folder):
    """Each file's hash and time, but Python's bytecode caches: the grading's own processes (root) write those
    where PYTHONDONTWRITEBYTECODE is unset, and student code, another user, cannot."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_the_zip_holds_the_scripts_the_pinned_packages_the_grader_and_mnist(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        requirements = [line for line in archive.read("requirements.txt").decode().splitlines()
                        if not line.startswith("#")]
        archive.extract("data/mnist.npz", tmp_path)
        setup = archive.read("setup.sh").decode()
    assert names[:3] == ["setup.sh", "run_autograder", "requirements.txt"]
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert {
        "grader/cli.py",
        "grader/course/steps.toml",
        "grader/course/zh.toml",
        "grader/checks/pytest.ini",
        "grader/data/sources.py",
        "grader/instructor/template-report.html",  # A batch run from the bundle writes report.html with it.
    } <= set(names)
    assert not [name for name in names if "__pycache__" in name or name.startswith(("tests/", "solutions/"))]
    assert [line.split("==")[0] for line in requirements][:2] == ["keras", "jax"]
    assert all("==" in line for line in requirements)
    pinned = {line.split("==")[0] for line in requirements}
    assert {"jaxlib", "ml-dtypes", "h5py"} <= pinned and "tensorflow" not in pinned  # Theirs too; grading needs no TF.
    assert archive_requirements_are_the_constraints(requirements)
    read_npz(tmp_path / "data" / "mnist.npz", ["x_train", "y_train", "x_test", "y_test"])  # Raises unless it is MNIST.
    assert subprocess.run(["bash", "-n"], input=setup, text=True).returncode == 0


def archive_requirements_are_the_constraints(requirements):
    """The bundle pins what grader/constraints.txt pins, which the Classroom workflow installs too."""
    return requirements == [line for line in CONSTRAINTS.read_text().splitlines() if not line.startswith("#")]


def test_the_constraints_pin_every_package_grading_needs():
    """grader/constraints.txt names the closure of the grader's dependencies as installed here (its versions
    are those it was written with: python -m grader.instructor.gradescope constraints)."""
    names = lambda text: {line.split("==")[0] for line in text.splitlines() if "==" in line}  # noqa: E731
    assert names(requirements()) == names(CONSTRAINTS.read_text())


@pytest.mark.slow
def test_run_autograder_finds_the_six_files_in_a_folder_and_grades_them(autograder_zip, tmp_path):
    """A student who uploads their repository: the six files are in a sub-folder, next to other files."""
    upload = tmp_path / "upload"
    shutil.copytree(SOLUTIONS, upload / "my-mnist" / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    (upload / "my-mnist" / "README.md").write_text("my work\n")
    before = fingerprint(upload)
    process, results = autograde(autograder_zip, tmp_path / "autograder", upload)
    assert process.returncode == 0, process.stderr
    assert results["score"] == 100 and results["stdout_visibility"] == "hidden", (results["output"], process.stdout)
    assert sum(test["max_score"] for test in results["tests"]) == 100
    assert all(
        test["status"] == "passed" and test["name"].split()[0].removesuffix("'s") in STEPS for test in results["tests"]
    )
    assert "All checks passed. Well done!" in results["output"]
    assert fingerprint(tmp_path / "autograder" / "submission") == fingerprint(upload) == before


@pytest.mark.slow
def test_run_autograder_grades_a_zip_and_reports_each_failing_check(autograder_zip, tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    with zipfile.ZipFile(upload / "work.zip", "w") as archive:
        for path in sorted(EXERCISES.glob("*.py")):
            archive.write(path, f"exercises/{path.name}")
    process, results = autograde(autograder_zip, tmp_path / "autograder", upload, MNIST_LANG="zh")
    assert process.returncode == 0, process.stderr
    assert results["score"] == 0 and len(results["tests"]) == 26
    reshape = results["tests"][0]
    assert (reshape["name"], reshape["score"], reshape["max_score"], reshape["status"]) == (
        "reshape returns (N, 784) for any number of images N",
        0,
        3,
        "failed",
    )
    assert reshape["output"].startswith("尚未作答")  # The language set for the course: a student's view in Chinese.
    # Paths are the student's, inside what they uploaded: never the grader's scratch folders.
    assert "exercises/reshape.py" in reshape["output"] and "/tmp" not in json.dumps(results, ensure_ascii=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    "files, output",
    [
        (
            {},
            "Your submission has none of the work to grade: the six files (reshape.py, normalize.py, one_hot.py, "
            "build.py, compile.py, fit.py) in one folder, a .zip of them, or a notebook. Submit them again.",
        ),
        (
            {"reshape.py": "", "notes.txt": ""},
            "Your submission has none of the work to grade: the six files (reshape.py, normalize.py, one_hot.py, "
            "build.py, compile.py, fit.py) in one folder, a .zip of them, or a notebook. Submit them again.",
        ),
        (
            {"a.ipynb": "{}", "old/b.ipynb": "{}"},
            "Your submission has several .ipynb files (a.ipynb, old/b.ipynb); submit only one.",
        ),
    ],
)
def test_nothing_to_grade_still_gives_gradescope_a_result_that_says_why(autograder_zip, tmp_path, files, output):
    upload = tmp_path / "upload"
    upload.mkdir()
    for name, text in files.items():
        (upload / name).parent.mkdir(parents=True, exist_ok=True)
        (upload / name).write_text(text)
    process, results = autograde(autograder_zip, tmp_path / "autograder", upload)
    assert process.returncode == 0, process.stderr
    assert results == {"score": 0, "output": output, "tests": [], "stdout_visibility": "hidden"}


@pytest.mark.slow
def test_links_in_a_submission_are_not_followed(autograder_zip, tmp_path):
    """The grader runs as root on Gradescope: a link to a file the student may not read must not be read for them."""
    secret = tmp_path / "secret"
    secret.write_text("the instructor's secret")
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "work.ipynb").symlink_to(secret)
    process, results = autograde(autograder_zip, tmp_path / "autograder", upload)
    assert process.returncode == 0
    assert results["output"].startswith("Your submission has none of the work to grade")
    assert "secret" not in json.dumps(results)


@pytest.mark.slow
def test_a_notebook_that_is_not_one_gets_the_reason(autograder_zip, tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "work.ipynb").write_text("not json")
    process, results = autograde(autograder_zip, tmp_path / "autograder", upload)
    assert (process.returncode, results["score"], results["tests"]) == (0, 0, [])
    assert results["output"] == (
        "mnist-grade: work.ipynb is not a valid notebook (Notebook does not appear to be JSON: 'not json'). "
        "Save it again from Jupyter, or grade a folder of .py files.\n"
    )


ATTACK = """\
import json, os, signal, time
ROOT = {root!r}
def attempt(action):
    try:
        action()
    except OSError:
        pass
attempt(lambda: open(ROOT + "/results/results.json", "w").write(json.dumps({{"score": 100}})))
attempt(lambda: open(ROOT + "/source/grader/checks/test_build.py", "a").write("\\nraise SystemExit(0)\\n"))
# In the sandbox its parent is outside, where getppid() says 0, and kill(0) would be its own process group's.
attempt(lambda: os.getppid() and os.kill(os.getppid(), signal.SIGKILL))
if os.fork() == 0:
    os.setsid()
    time.sleep(2)
    attempt(lambda: open(ROOT + "/results/results.json", "w").write(json.dumps({{"score": 100}})))
    os._exit(0)
"""


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.needs("root")
def test_setup_then_student_code_runs_as_its_own_user_and_cannot_touch_the_grader(autograder_zip):
    """setup.sh for real (a venv of the pinned packages, the user mnist-student), then a submission that
    overwrites results.json, edits the grader, kills the grading process and leaves a process behind."""
    root = Path(tempfile.mkdtemp(prefix="autograder-"))  # Outside /tmp/pytest-of-root, which only root can enter.
    root.chmod(0o755)
    try:
        unpack(autograder_zip, root)
        setup = subprocess.run(
            ["bash", "setup.sh"],
            cwd=root / "source",
            env={**os.environ, "AUTOGRADER": str(root), "MNIST_CACHE": ""},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert setup.returncode == 0, setup.stderr[-2000:]
        upload = arrays_done(root / "upload")
        (upload / "reshape.py").write_text(ATTACK.format(root=str(root)) + (upload / "reshape.py").read_text())
        grader_files = fingerprint(root / "source")
        process, results = autograde(autograder_zip, root, upload, MNIST_PYTHON="", MNIST_WORKER_USER="mnist-student",
                                     MNIST_CACHE="")
        assert process.returncode == 0, process.stderr
        assert results["score"] == 30 and "✓ reshape    10/10" in results["output"]
        # Sandboxed too, reading what setup.sh compiled, unless the bundle's own Python said it could not be.
        sandboxed = "without a sandbox" not in process.stdout
        assert sandboxed or "sandbox" not in required(), f"{REQUIRE} requires sandbox, but: {process.stdout}"
        if sandboxed:
            assert list((root / "cache" / "jax-sandbox").glob(".filled-*"))
        time.sleep(3)  # Longer than the left-behind process waits.
        assert json.loads((root / "results" / "results.json").read_text())["score"] == 30
        assert fingerprint(root / "source") == grader_files
        assert (
            subprocess.run(["pgrep", "-u", "mnist-student"], capture_output=True).stdout == b""
        )  # No process of theirs.

        # A class graded at once as that user: one grading ending stops nothing of the others'. alice's reshape is
        # still running (asleep) when bob's and carol's gradings end: it passes only if their end left it running.
        class_ = root / "class"
        for student in ("alice", "bob", "carol"):
            arrays_done(class_ / student)
        (class_ / "alice" / "reshape.py").write_text(  # Asleep once, on the sample: within reshape's own time limit.
            "import time\n\nASLEEP = []\n\n\ndef reshape_images(images):\n    if not ASLEEP:\n"
            "        ASLEEP.append(time.sleep(8))\n    return images.reshape(len(images), 784)\n")
        batch = subprocess.run(
            [
                str(root / "venv" / "bin" / "python"),
                "-m",
                "grader.cli",
                "batch",
                str(class_),
                "--out",
                str(root / "graded"),
                "--jobs",
                "3",
            ],
            cwd=root / "source",
            capture_output=True,
            text=True,
            timeout=900,
            env={
                **os.environ,
                "PYTHONPATH": str(root / "source"),
                "MNIST_DATA": str(root / "source" / "data"),
                "MNIST_WORKER_USER": "mnist-student",
            },
        )
        assert batch.returncode == 0, batch.stderr
        rows = (root / "graded" / "grades.csv").read_text().splitlines()
        assert [row.split(",")[0] + " " + row.split(",")[-3] for row in rows[1:]] == ["alice 30", "bob 30", "carol 30"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_when_the_grader_itself_fails_the_instructor_sees_why_and_the_student_gets_a_result(tmp_path, capsys):
    """No submission folder at all: results.json still says what happened, and stdout (which Gradescope shows
    the instructor) has the traceback."""
    from grader.instructor.gradescope import run

    assert run(tmp_path) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["output"].startswith("The autograder failed, not your submission")
    assert "Traceback (most recent call last)" in capsys.readouterr().out
