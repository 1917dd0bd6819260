"""GitHub Classroom: the workflow's grading step run as Actions runs it, and its result read as the reporter does."""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from capabilities import need
from conftest import ROOT, arrays_done

from grader.results import render
from grader.results.grade import CheckResult, Failure, Grade

WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"


@pytest.fixture(scope="module")
def workflow():
    need("yaml")
    import yaml
    return yaml.safe_load(WORKFLOW.read_text())


def points(results):
    """What classroom-resources/autograding-grading-reporter shows, for {runner: result}: the tests' scores added
    up, the passed tests counted times each runner's max_score (what its older versions show), and the maximum."""
    summed = sum(test["score"] for result in results.values() for test in result["tests"])
    counted = sum(sum(test["status"] == "pass" for test in result["tests"]) / len(result["tests"]) * result["max_score"]
                  for result in results.values())
    return summed, counted, sum(result["max_score"] for result in results.values())


def test_the_workflow_is_what_classroom_looks_for(workflow):
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    assert workflow[True] == ["push", "repository_dispatch", "workflow_dispatch"]  # YAML 1.1 reads `on` as True.
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    grade = next(step for step in steps if step.get("id") == "mnist")
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    runners = reporter["with"]["runners"].split(",")
    # The reporter reads each runner's result from the variable <RUNNER>_RESULTS: one runner per check.
    assert reporter["env"] == {f"{runner.upper()}_RESULTS": f"${{{{ steps.{grade['id']}.outputs.{runner} }}}}"
                               for runner in runners}
    assert len(runners) == 26 and runners[0] == "reshape1" and runners[-1] == "accuracy1"
    install = next(step["run"] for step in steps if step.get("name") == "Install the grader")
    assert "-c grader-source/grader/constraints.txt ./grader-source" in install  # Gradescope's pins, and no TF.
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
    runners = workflow["jobs"]["run-autograding-tests"]["steps"][-1]["with"]["runners"].split(",")
    assert [line.partition("=")[0] for line in lines] == runners  # Every runner the reporter reads, in order.
    return process, {line.partition("=")[0]: json.loads(base64.b64decode(line.partition("=")[2])) for line in lines}


@pytest.mark.slow
def test_the_grading_step_hands_the_reporter_the_points_of_the_exercises(workflow, tmp_path):
    process, results = run_grading_step(workflow, tmp_path, arrays_done(tmp_path / "half"))
    assert process.returncode == 0  # Graded: the reporter, not this step, turns the run red.
    assert "Score: 30/100 (3 of 7 steps done)" in process.stdout
    assert "Next: fix build in work/exercises/build.py, then grade again." in process.stdout
    assert points(results) == (30, 30, 100)  # However the reporter counts, the points of the report.
    assert {result["version"] for result in results.values()} == {1}
    assert (results["reshape1"]["status"], results["build1"]["status"]) == ("pass", "fail")
    build = results["build1"]["tests"][0]
    assert (build["status"], build["score"]) == ("fail", 0)
    assert build["message"].startswith("not attempted yet: build_model() in work/exercises/build.py")


def test_each_check_is_a_runner_that_passes_only_with_its_points():
    grade = Grade(
        "work/exercises",
        checks=[CheckResult("reshape", "reshape a", 3, "passed"), CheckResult("reshape", "reshape b", 2, "passed")],
    )
    assert [result["status"] for result in render.classroom(grade).values()] == ["pass", "pass"]
    assert points(render.classroom(grade)) == (5, 5, 5)
    grade.checks[1].outcome = "failed"
    grade.checks[1].failure = Failure(expected="(N, 784)", got="(N, 28, 28)", help="reshape.")
    results = render.classroom(grade)
    assert list(results) == ["reshape1", "reshape2"] and results["reshape2"]["status"] == "fail"
    assert points(results) == (3, 3, 5)
    assert results["reshape2"]["tests"][0]["message"] == "expected (N, 784), got (N, 28, 28)\nHelp: reshape."


def test_bad_usage_is_not_reported_as_a_grade(tmp_path):
    output = tmp_path / "github_output"
    process = subprocess.run(
        [sys.executable, "-m", "grader.cli", "classroom", str(tmp_path / "missing")],
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
    )
    assert process.returncode == 2 and not output.exists()
