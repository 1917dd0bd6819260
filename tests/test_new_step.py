"""A step is declared once: adding one to a copy of the course takes exactly the five files the README names."""

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

STEP_ENTRY = '''
[[steps]]
name = "invert"
file = "invert.py"
function = "invert_images"
title = { en = "Invert the pixels: 255 becomes 0", zh = "反转像素：255 变成 0" }
needs = []
timeout = 20
input = "images"
explain = { en = "A toy step of the contributors' guide.", zh = "贡献者指南里的一个示例步骤。" }
hints = [{ en = "255 - images.", zh = "255 - images。" }]
'''
EXERCISE = '''# A toy step: invert the pixels.


def invert_images(images):
    # TODO: invert each pixel.
    raise NotImplementedError
'''
SOLUTION = '''# A toy step: invert the pixels.


def invert_images(images):
    # BEGIN SOLUTION: invert each pixel.
    return 255 - images
    # END SOLUTION
'''
CHECK = '''"""The toy step, invert: 255 - images."""

import pytest

from grader.checks.expect import fail

STEP = "invert"


@pytest.mark.points(5)
def test_values(answers):
    """invert returns 255 minus each pixel"""
    for answer in answers():
        if answer.output is None or answer.output.shape != answer.given.shape or (
                answer.output != 255 - answer.given).any():
            fail("255 - images", answer.got("something else", STEP), "subtract each pixel from 255.")
'''
RUNNER = '''"""The toy step's runner: the data steps' own."""

from grader.workers.runners import runs
from grader.workers.runners.arrays import array_step

runs("invert")(array_step)
'''


@pytest.mark.slow
def test_a_new_step_needs_an_entry_an_exercise_a_solution_a_check_and_a_runner(tmp_path):
    course = tmp_path / "course"
    for folder in ("grader", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, course / folder, ignore=shutil.ignore_patterns("__pycache__"))
    with open(course / "grader" / "course" / "steps.toml", "a", encoding="utf-8") as steps:
        steps.write(STEP_ENTRY)
    (course / "exercises" / "invert.py").write_text(EXERCISE)
    (course / "solutions" / "invert.py").write_text(SOLUTION)
    (course / "grader" / "checks" / "test_invert.py").write_text(CHECK)
    (course / "grader" / "workers" / "runners" / "invert.py").write_text(RUNNER)

    def grade(folder):
        return subprocess.run([sys.executable, "-m", "grader.cli", folder, "--step", "invert"], cwd=course,
                              capture_output=True, text=True, timeout=300)

    right, stub = grade("solutions"), grade("exercises")
    assert (right.returncode, right.stdout.splitlines()[2:]) == (0, [
        "✓ invert     5/5", "", "Score: 5/5 (1 of 1 step done)", "All checks passed. Well done!"]), right.stderr
    assert stub.returncode == 1
    assert "not attempted yet: invert_images() in exercises/invert.py still raises NotImplementedError" in stub.stdout
    assigned = subprocess.run([sys.executable, "-m", "grader.cli", "assign"], cwd=course, capture_output=True,
                              text=True, timeout=60)
    assert assigned.returncode == 0 and (course / "exercises" / "invert.py").read_text() == EXERCISE
