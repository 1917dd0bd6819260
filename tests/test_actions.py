"""Plain GitHub Actions feedback: .github/workflows/feedback.yml passes actionlint, and its grading step, run as
Actions runs it, writes the job summary and the annotations."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from capabilities import need
from conftest import ROOT, arrays_done, fake_grader

WORKFLOWS = ROOT / ".github" / "workflows"


@pytest.fixture(scope="module")
def workflow():
    need("yaml")
    import yaml
    return yaml.safe_load((WORKFLOWS / "feedback.yml").read_text())


def actionlint():
    """The actionlint the test extra installs, beside this Python or on PATH."""
    beside = Path(sys.executable).parent / ("actionlint.exe" if os.name == "nt" else "actionlint")
    return str(beside) if beside.exists() else shutil.which("actionlint")


@pytest.mark.needs("actionlint")
def test_every_workflow_passes_actionlint():
    """actionlint checks each workflow's syntax, expressions, action versions (node20 actions are deprecated) and
    shell scripts."""
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    assert [Path(name).name for name in files] == ["feedback.yml", "tests.yml"]
    process = subprocess.run([actionlint(), "-no-color", *files], capture_output=True, text=True, timeout=120)
    assert (process.returncode, process.stdout) == (0, "")


def test_the_workflow_uses_no_classroom_action_and_the_instructor_s_grader(workflow):
    steps = workflow["jobs"]["grade"]["steps"]
    assert workflow[True] == ["push", "workflow_dispatch"]  # YAML 1.1 reads `on` as True.
    assert [step["uses"].split("@")[0] for step in steps if "uses" in step] == [
        "actions/checkout", "actions/checkout", "actions/setup-python", "actions/cache"]
    grader = next(step for step in steps if step.get("name") == "Check out the grader")
    assert grader["with"]["repository"] == "${{ vars.MNIST_GRADER_REPO || github.repository }}"
    install = next(step["run"] for step in steps if step.get("name") == "Install the grader")
    assert "-c .mnist-grader/grader/constraints.txt ./.mnist-grader" in install  # The bundles' pins, and no TF.
    assert workflow["jobs"]["grade"]["if"] == "vars.MNIST_GRADER_REPO != github.repository"  # Not the stubs.


@pytest.mark.slow
def test_the_grading_step_writes_the_job_summary_and_annotations(workflow, tmp_path):
    """The grading step's own command, in a workspace laid out as the workflow lays it out (the student's
    repository at its root), with the summary file Actions gives."""
    step = next(step for step in workflow["jobs"]["grade"]["steps"] if step.get("name") == "Grade exercises/")
    workspace = tmp_path / "workspace"
    arrays_done(workspace / "exercises")
    fake_grader(workspace)  # The student's own grader/, made to give full marks, is never the one that grades.
    summary = tmp_path / "step_summary.md"
    summary.write_text("Before.\n")  # A summary already written by an earlier step is kept: the command appends.
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=env, capture_output=True,
                             text=True, timeout=900)
    assert process.returncode == 1  # Red until every check passes, as mnist-grade.
    assert "Score: 30/100 (3 of 7 steps done)" in process.stdout  # The report, in the log.
    written = summary.read_text()
    assert written.startswith("Before.\n### MNIST course: 30/100\n\n| | Step | Points | What to fix |\n")
    assert "| ✓ | one_hot | 10/10 |  |\n| ✗ | build | 0/20 | not attempted yet: build_model() in exercises/build.py " \
           "still raises NotImplementedError |\n| – | compile | 0/15 | fix build first |" in written
    commands = [line for line in process.stdout.splitlines() if line.startswith("::")]
    stop, token = commands[0].split("::")[1:3]
    # While grading, the runner reads no workflow command (student code's text is in the report); then it does.
    assert (stop, len(token), commands[1]) == ("stop-commands", 32, f"::{token}::")
    assert commands[2:] == [
        "::error file=exercises/build.py,title=build 0/20::not attempted yet: build_model() in exercises/build.py "
        "still raises NotImplementedError%0AHelp: open exercises/build.py, replace `raise NotImplementedError` with "
        "your code, and grade again.",
        "::warning file=exercises/compile.py,title=compile 0/15::fix build first",
        "::warning file=exercises/fit.py,title=fit 0/15::fix build first",
        "::warning title=accuracy 0/20::fix build first",
        "::notice::Score: 30/100 (3 of 7 steps done)%0ANext: fix build in exercises/build.py, then grade again.",
    ]
    assert process.stdout.index(f"::{token}::") > process.stdout.index("Score: 30/100")  # The report, in between.


def test_without_a_grade_the_summary_says_to_read_the_log(tmp_path):
    summary = tmp_path / "step_summary.md"
    process = subprocess.run([sys.executable, "-m", "grader.cli", "actions", str(tmp_path / "missing")], cwd=ROOT,
                             env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}, capture_output=True, text=True,
                             timeout=300)
    assert process.returncode == 2
    assert summary.read_text() == "### MNIST course: —\n\nThere is no grade: the job's log says why.\n"
    stop, token = process.stdout.splitlines()[0].split("::")[1:3]
    assert process.stdout.splitlines() == [f"::stop-commands::{token}", f"::{token}::"]  # No annotation.
    assert process.stderr.startswith("mnist-grade: ")


def test_github_classroom_s_command_says_it_was_retired_and_what_to_use():
    process = subprocess.run([sys.executable, "-m", "grader.cli", "classroom", "exercises"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == (
        "mnist-grade classroom: GitHub Classroom was retired by GitHub on 2026-08-28. Grade with Classroom 50 "
        "(mnist-grade classroom50) or a plain GitHub Actions workflow (mnist-grade actions): INSTRUCTORS.md says "
        "how.\n")


def test_nothing_refers_to_github_classroom_s_reporter_any_more():
    """Only the retirement note names GitHub Classroom; nothing uses its reporter or its workflow."""
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in tracked:
        path = ROOT / name
        if name == "tests/test_actions.py" or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for needle in ("grading-reporter", "grading reporter", "classroom-resources", "classroom.yml",
                       "Autograding Tests"):
            if needle in text:
                found.append(f"{name}: {needle}")
    assert found == []
