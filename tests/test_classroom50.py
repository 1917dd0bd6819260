"""Classroom 50: result.json as its runner validates it, release-body.md, and the teacher's bundle run as the runner
runs it (in the student's checkout, with the environment it sets)."""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import EXERCISES, FULL_MARKS, ROOT, SOLUTIONS, arrays_done, fake_grader, mnist_grade

from grader.course.steps import STEPS

# What Classroom 50's autograde-runner workflow sets for autograder.py (shared/notes/classroom50.md).
RUNNER_ENV = {
    "CLASSROOM": "ml101", "ASSIGNMENT": "mnist", "SUBMISSION_TAG": "submit/20261203T090000Z-1a2b3c4",
    "COMMIT_URL": "https://github.com/ml101/ml101-mnist-ana/commit/1a2b3c4",
    "RELEASE_URL": "https://github.com/ml101/ml101-mnist-ana/releases/tag/submit%2F20261203T090000Z-1a2b3c4",
    "REVIEW_URL": "https://github.com/ml101/ml101-mnist-ana/compare/0f0f0f0...1a2b3c4",
    "USERNAME": "ana", "ASSIGNMENT_TYPE": "individual",
}


def invalid(result, env=RUNNER_ENV):
    """Why Classroom 50's runner would refuse `result` (its validate_result's rules, written from its source:
    runner.py, mirrored by collect_scores.py), or None. The runner stamps owner, assignment_type and datetime
    before it validates; they are checked as it would find them."""
    def whole(value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not isinstance(result, dict):
        return "not a JSON object"
    result = {**result, "owner": result.get("owner") or env["USERNAME"], "assignment_type": env["ASSIGNMENT_TYPE"]}
    if result.get("schema") != "classroom50/result/v1":
        return f"schema is {result.get('schema')!r}"
    for field, variable in (("classroom", "CLASSROOM"), ("assignment", "ASSIGNMENT")):
        if result.get(field) != env[variable]:
            return f"{field} is {result.get(field)!r}, not {env[variable]!r}"
    if not isinstance(result["owner"], str) or not result["owner"]:
        return "owner is not a non-empty string"
    if not isinstance(result.get("submission"), str) or not result["submission"].startswith("submit/"):
        return "submission is not a submit/* string"
    for field in ("commit", "release", "review", "datetime"):
        if not isinstance(result.get(field), str) or not result[field]:
            return f"{field} is not a non-empty string"
    if not whole(result.get("score")) or not whole(result.get("max-score")):
        return "score and max-score must be non-negative integers"
    if result["score"] > result["max-score"]:
        return "score > max-score"
    if not isinstance(result.get("tests"), list):
        return "tests is not a list"
    for number, test in enumerate(result["tests"]):
        if not isinstance(test, dict):
            return f"tests[{number}] is not an object"
        if not isinstance(test.get("test-name"), str) or not test["test-name"]:
            return f"tests[{number}].test-name is not a non-empty string"
        if not isinstance(test.get("passed"), bool):
            return f"tests[{number}].passed is not a boolean"
        if not whole(test.get("score")) or not whole(test.get("max-score")) or test["score"] > test["max-score"]:
            return f"tests[{number}]: score and max-score must be integers, score ≤ max-score"
    return None


def test_the_validator_refuses_what_the_runner_refuses():
    """The validator the tests trust, tried on what Classroom 50's runner refuses: it can fail."""
    good = {"schema": "classroom50/result/v1", "classroom": "ml101", "assignment": "mnist",
            "submission": "submit/x", "commit": "c", "release": "r", "review": "v", "datetime": "d",
            "score": 1, "max-score": 2, "tests": [{"test-name": "t", "passed": True, "score": 1, "max-score": 2}]}
    assert invalid(good) is None
    for change in ({"score": 1.0}, {"score": True}, {"score": 3}, {"max-score": -1}, {"classroom": "other"},
                   {"submission": "v1"}, {"review": ""}, {"schema": "classroom50/result/v2"},
                   {"tests": [{"test-name": "", "passed": True, "score": 0, "max-score": 0}]},
                   {"tests": [{"test-name": "t", "passed": 1, "score": 0, "max-score": 0}]},
                   {"tests": [{"test-name": "t", "passed": True, "score": 2, "max-score": 1}]}):
        assert invalid({**good, **change}) is not None, change


def checkout(tmp_path, exercises):
    """A student's checkout as the runner grades it: the repository, with its exercises/ folder."""
    folder = tmp_path / "checkout"
    shutil.copytree(exercises, folder / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def classroom50(folder, *args, env=None):
    """`mnist-grade classroom50 ARGS` in `folder`, with the runner's environment; (process, result, release body)."""
    process = subprocess.run([sys.executable, "-m", "grader.cli", "classroom50", *args], cwd=folder,
                             capture_output=True, text=True, timeout=900,
                             env={**os.environ, "PYTHONPATH": str(ROOT), **RUNNER_ENV, **(env or {})})
    return process, *written(folder)


def written(folder):
    result, body = Path(folder) / "result.json", Path(folder) / "release-body.md"
    return (json.loads(result.read_text()) if result.exists() else None,
            body.read_text() if body.exists() else None)


@pytest.mark.long
@pytest.mark.slow
def test_a_half_right_submission_gets_mnist_grade_s_points_in_a_result_the_runner_takes(tmp_path):
    folder = checkout(tmp_path, arrays_done(tmp_path / "half"))
    process, result, body = classroom50(folder)
    assert process.returncode == 0, process.stderr  # A grade was made: the failing checks are in the result.
    assert invalid(result) is None
    assert (result["score"], result["max-score"]) == (30, 100)
    assert sum(test["score"] for test in result["tests"]) == 30
    assert {result[field] for field in ("classroom", "assignment", "submission", "release", "review")} == {
        RUNNER_ENV[name] for name in ("CLASSROOM", "ASSIGNMENT", "SUBMISSION_TAG", "RELEASE_URL", "REVIEW_URL")}
    assert all(test["test-name"].split(":")[0] in STEPS for test in result["tests"])
    graded = mnist_grade(str(folder / "exercises"), "--json", str(tmp_path / "results.json"))
    gradescope = json.loads((tmp_path / "results.json").read_text())
    assert graded.returncode == 1
    assert [(test["score"], test["max-score"]) for test in result["tests"]] == [
        (test["score"], test["max_score"]) for test in gradescope["tests"]]  # Check by check, mnist-grade's points.
    assert body.startswith("### MNIST course: 30/100\n")
    assert "| ✗ | build | 0/20 | not attempted yet: build_model() in exercises/build.py still raises " \
           "NotImplementedError |" in body
    assert "Score: 30/100 (3 of 7 steps done)" in process.stdout  # The report in the job's log.


@pytest.mark.slow
def test_the_report_students_open_is_in_the_language_chosen(tmp_path):
    folder = checkout(tmp_path, arrays_done(tmp_path / "half"))
    process, result, body = classroom50(folder, "--lang", "zh")
    assert process.returncode == 0 and invalid(result) is None
    assert body.startswith("### MNIST 课程: 30/100\n\n| | 步骤 | 分数 | 要修改的地方 |")


def test_no_submission_is_a_zero_that_says_what_to_commit(tmp_path):
    process, result, body = classroom50(tmp_path)
    assert process.returncode == 0 and invalid(result) is None
    assert (result["score"], result["max-score"]) == (0, 100)
    why = "There are none of the six step files in exercises: commit your work in exercises, then push again."
    assert result["tests"] == [{"test-name": "submission", "passed": False, "score": 0, "max-score": 100,
                                "message": why}]
    assert body == f"### MNIST course: —\n\n{why}\n"


@pytest.mark.slow
def test_a_failure_of_the_grader_still_leaves_a_result_that_says_why(tmp_path):
    """MNIST cannot be had (an empty MNIST_DATA, no cache, no mirror that answers): the grader's failure, not the
    student's. A result of 0 of 0 points, as the runner's own errors are, with a row that says why."""
    folder = checkout(tmp_path, SOLUTIONS)
    (tmp_path / "empty").mkdir()
    process, result, body = classroom50(folder, env={"MNIST_DATA": str(tmp_path / "empty"),
                                                     "MNIST_CACHE": str(tmp_path / "cache"),
                                                     "MNIST_MIRROR": "http://127.0.0.1:9/"})
    assert process.returncode == 0, process.stderr
    assert invalid(result) is None
    assert (result["score"], result["max-score"], len(result["tests"])) == (0, 0, 1)
    row = result["tests"][0]
    assert (row["test-name"], row["passed"]) == ("grader", False)
    assert row["message"].startswith("The grader failed, not your work (MNIST data unavailable: ")
    assert row["message"].endswith("). Tell your instructor, who can grade it again.")
    assert row["message"] in body


def test_a_grading_whose_time_went_before_any_check_ended_is_the_grader_s_failure(tmp_path, monkeypatch):
    """Every check stopped (MNIST took the grading's time, say): not a real zero for the student, but 0 of 0."""
    from grader.instructor import classroom50 as c50
    from grader.results.grade import CheckResult, Grade

    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "reshape.py").write_text("")
    stopped = Grade("exercises", checks=[CheckResult("reshape", "reshape a", 10, "stopped"),
                                         CheckResult("fit", "fit a", 90, "stopped")])
    monkeypatch.setattr(c50, "grade", lambda path, settings: (stopped, "", None))
    assert c50.run(str(tmp_path / "exercises"), RUNNER_ENV, folder=tmp_path) == 0
    result, _body = written(tmp_path)
    assert invalid(result) is None and (result["score"], result["max-score"]) == (0, 0)
    assert result["tests"][0]["message"] == ("The grader failed, not your work (the grading stopped before any check "
                                             "ended). Tell your instructor, who can grade it again.")


def test_outside_the_runner_it_says_what_is_missing_and_writes_nothing(tmp_path):
    process = subprocess.run([sys.executable, "-m", "grader.cli", "classroom50"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300,
                             env={name: value for name, value in os.environ.items() if name not in RUNNER_ENV}
                             | {"PYTHONPATH": str(ROOT)})
    assert process.returncode == 2
    assert process.stderr == ("mnist-grade classroom50: CLASSROOM, ASSIGNMENT, SUBMISSION_TAG, COMMIT_URL, "
                              "RELEASE_URL, REVIEW_URL not set: Classroom 50's runner sets them. To try the command "
                              "elsewhere, set them yourself.\n")
    assert list(tmp_path.iterdir()) == []


def bundle(tmp_path):
    folder = tmp_path / "autograders" / "mnist"
    process = mnist_grade("classroom50", "bundle", str(folder))
    assert process.returncode == 0, process.stderr
    return folder, process


def test_the_bundle_carries_the_pinned_grader_within_the_runner_s_10_mib(tmp_path):
    folder, process = bundle(tmp_path)
    assert process.stdout == (
        f"wrote the autograder into {folder}: put it in your classroom50 repository as CLASSROOM/autograders/"
        f"ASSIGNMENT/, and give the assignment the runtime in {folder / 'runtime.json'} (gh teacher assignment add "
        f"--runtime {folder / 'runtime.json'}).\n")
    assert json.loads((folder / "runtime.json").read_text()) == {"python": "3.11", "apt": ["bubblewrap"]}
    assert (folder / "source" / "requirements.txt").read_text() == (ROOT / "grader" / "constraints.txt").read_text()
    assert (folder / "source" / "grader" / "cli.py").read_bytes() == (ROOT / "grader" / "cli.py").read_bytes()
    assert (folder / "source" / "grader" / "instructor" / "template-report.html").exists()
    assert os.access(folder / "autograder.py", os.X_OK)
    # The autograder is a module of the grader, linted with it, copied as it is; its settings are data beside it.
    shipped = ROOT / "grader" / "instructor" / "classroom50_autograder.py"
    assert (folder / "autograder.py").read_bytes() == shipped.read_bytes()
    assert json.loads((folder / "autograder.json").read_text()) == {"submission": "exercises", "lang": "en",
                                                                    "budget": 720, "install": 420}
    packed = io.BytesIO()  # As publish-pages packs it: CLASSROOM/autograders/ASSIGNMENT.tar.gz.
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        archive.add(folder, arcname=".")
    print(f"bundle: {packed.tell() / 1024:.0f} KiB compressed")
    assert packed.tell() < 10 * 1024 * 1024  # The runner's MAX_FETCH_BYTES.
    assert mnist_grade("classroom50", "bundle").returncode == 2


def run_autograder(folder, checkout_folder, env):
    """The bundle's autograder.py as the runner runs it: its Python, in the student's checkout."""
    return subprocess.run([sys.executable, str(folder / "autograder.py")], cwd=checkout_folder, capture_output=True,
                          text=True, timeout=1500, env={**os.environ, **RUNNER_ENV, **env})


@pytest.mark.slow
def test_the_bundle_grades_a_correct_submission_to_full_marks(tmp_path):
    folder, _ = bundle(tmp_path)
    work = checkout(tmp_path, SOLUTIONS)
    process = run_autograder(folder, work, {"MNIST_GRADER_PYTHON": sys.executable, "PYTHONPATH": ""})
    result, body = written(work)
    assert process.returncode == 0, process.stdout + process.stderr
    assert invalid(result) is None
    assert (result["score"], result["max-score"]) == (100, 100)
    assert all(test["passed"] for test in result["tests"])
    assert body.startswith("### MNIST course: 100/100\n")


@pytest.mark.long
@pytest.mark.slow
def test_the_bundle_installs_its_pinned_grader_in_a_fresh_environment(tmp_path):
    """What the runner's fresh machine does: a virtual environment with grader/constraints.txt's versions, then the
    grading, with the grader the bundle carries (not this checkout's)."""
    folder, _ = bundle(tmp_path)
    work = checkout(tmp_path, arrays_done(tmp_path / "half"))
    for module in ("venv.py", "pip/__init__.py", "pip/__main__.py"):  # The student's own, made to give full marks.
        (work / module).parent.mkdir(exist_ok=True)
        (work / module).write_text(FULL_MARKS)
    process = run_autograder(folder, work, {"RUNNER_TEMP": str(tmp_path / "runner"), "PYTHONPATH": "",
                                            "HOME": str(tmp_path / "home")})
    result, _body = written(work)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    assert invalid(result) is None and result["score"] == 30, result
    assert (tmp_path / "runner" / "mnist-grade-venv" / "bin" / "python").exists()
    print(next(line for line in process.stdout.splitlines() if line.startswith("Installed in ")))


@pytest.mark.slow
def test_a_grader_in_the_student_s_checkout_is_never_the_one_that_grades(tmp_path):
    folder, _ = bundle(tmp_path)
    work = checkout(tmp_path, arrays_done(tmp_path / "half"))
    fake_grader(work)
    process = run_autograder(folder, work, {"MNIST_GRADER_PYTHON": sys.executable, "PYTHONPATH": ""})
    result, _body = written(work)
    assert process.returncode == 0, process.stdout + process.stderr
    assert invalid(result) is None and (result["score"], result["max-score"]) == (30, 100)


def test_where_the_grader_cannot_start_the_bundle_still_leaves_a_result(tmp_path):
    folder, _ = bundle(tmp_path)
    work = checkout(tmp_path, EXERCISES)
    (work / "result.json").write_text('{"score": 100}')  # A student's own result.json is never what is read.
    process = run_autograder(folder, work, {"MNIST_GRADER_PYTHON": str(tmp_path / "no-such-python")})
    result, body = written(work)
    assert process.returncode == 0
    assert invalid(result) is None
    assert (result["score"], result["max-score"]) == (0, 0)
    assert result["tests"][0]["message"].startswith("The grader could not start (")
    assert body.startswith("### MNIST course: —\n\nThe grader could not start (")


def test_a_bundle_whose_settings_are_broken_still_leaves_a_result_that_says_so(tmp_path):
    folder, _ = bundle(tmp_path)
    (folder / "autograder.json").write_text('{"submission": "exercises"')
    work = checkout(tmp_path, EXERCISES)
    process = run_autograder(folder, work, {"MNIST_GRADER_PYTHON": str(tmp_path / "no-such-python")})
    result, _body = written(work)
    assert process.returncode == 0
    assert invalid(result) is None
    assert (result["score"], result["max-score"]) == (0, 0)
    assert result["tests"][0]["message"].startswith("The autograder's autograder.json could not be read "
                                                    "(JSONDecodeError: "), result
