"""The test workflow: the README's test command on the three systems students grade on, oldest and newest Python."""

import re

import pytest
from capabilities import need
from conftest import ROOT


@pytest.fixture(scope="module")
def workflow():
    need("yaml")
    import yaml
    return yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())


def test_the_tests_run_on_linux_macos_and_windows_with_python_3_11_and_3_13(workflow):
    job = workflow["jobs"]["test"]
    assert job["strategy"]["matrix"] == {"os": ["ubuntu-latest", "macos-latest", "windows-latest"],
                                         "python": ["3.11", "3.13"]}
    assert job["strategy"]["fail-fast"] is False  # One system's failure hides no other's.


def test_the_workflow_runs_the_readme_s_commands(workflow):
    """It installs into .venv and runs `python -m pytest` there, as the README's commands do: the install first
    (for students); under the contributors' heading the quick tier, then the project's test command, the whole
    suite, which CI runs."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n\s*(.+?)\n\s*```", readme)  # One-line blocks, indented in a list or not.
    assert blocks[0].strip().startswith("python3 -m venv .venv && .venv/bin/pip install -e .")
    contributors = readme[readme.index("## For contributors"):]
    assert re.findall(r"```sh\n\s*(.+?)\n\s*```", contributors)[:2] == [
        '.venv/bin/python -m pytest -n auto -m "not slow"', ".venv/bin/python -m pytest -n auto --durations=20"]
    last = (ROOT / ".ci" / "run").read_text().rstrip().splitlines()[-1]
    assert last.startswith(".venv/bin/python -m pytest -n auto --durations=20  #")  # A worker per core; the 20 slowest.
    runs = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    install = "-m pip install -e '.[plots,notebook,test,tensorflow]'"  # With the extras, as CI installs them.
    assert any("python -m venv .venv" in run and install in run for run in runs)
    assert runs[-1] == '"$PY" -m pytest -n auto --durations=20'  # .venv's Python, wherever the system keeps it.
