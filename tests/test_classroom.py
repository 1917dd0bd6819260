"""GitHub Classroom: the workflow's grading step run as Actions runs it, and its result read as the reporter does."""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, arrays_done

from grader import render
from grader.grade import CheckResult, Failure, Grade

WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"


@pytest.fixture(scope="module")
def workflow():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(WORKFLOW.read_text())


def points(result):
    """What classroom-resources/autograding-grading-reporter adds up: the tests' scores, and max_score."""
    return sum(test["score"] for test in result["tests"]), result["max_score"]


def test_the_workflow_is_what_classroom_looks_for(workflow):
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    assert workflow[True] == ["push", "repository_dispatch", "workflow_dispatch"]  # YAML 1.1 reads `on` as True.
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    grade = next(step for step in steps if step.get("id") == "mnist")
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    runner = reporter["with"]["runners"]
    # The reporter reads each runner's result from the variable <RUNNER>_RESULTS.
    assert reporter["env"] == {f"{runner.upper()}_RESULTS": f"${{{{ steps.{grade['id']}.outputs.result }}}}"}
    grader_checkout = next(step for step in steps if step.get("with", {}).get("path") == "grader-source")
    assert grader_checkout["with"]["repository"] == "${{ vars.MNIST_GRADER_REPO || github.repository }}"


def run_grading_step(workflow, tmp_path, exercises):
    """The workspace as the workflow lays it out (the student's repository in work/), then the grading
    step's own command; return (the process, the decoded result it wrote to GITHUB_OUTPUT)."""
    step = next(step for step in workflow["jobs"]["run-autograding-tests"]["steps"] if step.get("id") == "mnist")
    workspace = tmp_path / "workspace"
    shutil.copytree(exercises, workspace / "work" / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    output = tmp_path / "github_output"
    output.touch()
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    process = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=workspace, env=env, capture_output=True, text=True, timeout=900
    )
    lines = output.read_text().splitlines()
    assert [line.partition("=")[0] for line in lines] == ["result"]
    return process, json.loads(base64.b64decode(lines[0].partition("=")[2]))


def test_the_grading_step_hands_the_reporter_the_points_of_the_exercises(workflow, tmp_path):
    process, result = run_grading_step(workflow, tmp_path, arrays_done(tmp_path / "half"))
    assert process.returncode == 0  # Graded: the reporter, not this step, turns the run red.
    assert "Score: 30/100 (3 of 7 steps done)" in process.stdout
    assert "Next: fix build in work/exercises/build.py, then grade again." in process.stdout
    assert points(result) == (30, 100)
    assert (result["version"], result["status"]) == (1, "fail")
    build = next(test for test in result["tests"] if test["name"].startswith("build"))
    assert (build["status"], build["score"]) == ("fail", 0)
    assert build["message"].startswith("not attempted yet: build_model() in work/exercises/build.py")


def test_reporter_result_passes_only_with_every_point():
    grade = Grade(
        "work/exercises",
        checks=[CheckResult("reshape", "reshape a", 3, "passed"), CheckResult("reshape", "reshape b", 2, "passed")],
    )
    assert render.classroom(grade)["status"] == "pass" and points(render.classroom(grade)) == (5, 5)
    grade.checks[1].outcome = "failed"
    grade.checks[1].failure = Failure(expected="(N, 784)", got="(N, 28, 28)", help="reshape.")
    assert render.classroom(grade)["status"] == "fail" and points(render.classroom(grade)) == (3, 5)
    assert render.classroom(grade)["tests"][1]["message"] == "expected (N, 784), got (N, 28, 28)\nHelp: reshape."


def test_bad_usage_is_not_reported_as_a_grade(tmp_path):
    output = tmp_path / "github_output"
    process = subprocess.run(
        [sys.executable, "-m", "grader.cli", "classroom", str(tmp_path / "missing")],
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
    )
    assert process.returncode == 2 and not output.exists()
