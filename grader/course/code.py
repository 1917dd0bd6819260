"""Each step's code as the course hands it out: the exercise stub, or the answer, or nbgrader's answer cell.

In a checkout, every form is made from solutions/ (grader/course/assign.py). An installed grader carries the
exercise stubs alone, as the package grader.course.stubs (exercises/, mapped in pyproject.toml): a student's
wheel holds no answers. What each step is worth is read from its checks' points markers, without running them.
"""

from __future__ import annotations

import ast
import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.assign import BEGIN, END, exercise, solution
from grader.course.i18n import _

if TYPE_CHECKING:
    from grader.course.steps import Step

CHECKOUT = Path(__file__).resolve().parent.parent.parent  # The course's checkout, when the grader runs from one.
SOLUTIONS = CHECKOUT / "solutions"
CHECKS = Path(__file__).resolve().parent.parent / "checks"


class CourseError(Exception):
    """What was asked for is not in this installation of the course; the message says where to get it."""


def has_solutions():
    """Whether the answers are here: the grader runs from a checkout of the course, not from its wheel."""
    return (SOLUTIONS / "reshape.py").is_file() and (CHECKOUT / "pyproject.toml").is_file()


def stub(step: Step) -> str:
    """The exercise of `step` (a Step of grader/course/steps.py, one with a file): what a student starts from."""
    assert step.file is not None, step.name  # Only the steps students write have a file; accuracy has none.
    if has_solutions():
        return exercise((SOLUTIONS / step.file).read_text(encoding="utf-8"), f"solutions/{step.file}")
    return (files("grader.course.stubs") / step.file).read_text(encoding="utf-8")


def answer(step: Step) -> str:
    """The reference answer of `step`, markers left out; CourseError where the grader has no solutions."""
    return solution(_solution_source(step))


def nbgrader_answer(step: Step) -> str:
    """The answer as nbgrader's source notebook holds it: each region inside a function between BEGIN SOLUTION and
    END SOLUTION, which nbgrader replaces with its stub; a region at the top of the file (a constant the answer
    defines) without its markers, since a stub there would raise before the function is defined."""
    lines = []
    for line in _solution_source(step).splitlines():
        marker = BEGIN.match(line) or END.match(line)
        if marker and not line[: len(line) - len(line.lstrip())]:
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def _solution_source(step):
    if not has_solutions():
        raise CourseError(_("The answers are not in the installed grader: make the instructors' notebooks from a "
                            "checkout of the course, where solutions/ holds them."))
    return (SOLUTIONS / step.file).read_text(encoding="utf-8")


def points(step_name: str) -> int | float:
    """What a step is worth: the sum of the points markers, @pytest.mark.points(N), in grader/checks/test_STEP.py."""
    tree = ast.parse((CHECKS / f"test_{step_name}.py").read_text(encoding="utf-8"))
    total: int | float = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and re.fullmatch(r"(pytest\.)?mark\.points", ast.unparse(node.func)):
            marked = node.args[0]
            if isinstance(marked, ast.Constant) and isinstance(marked.value, int | float):
                total += marked.value
    return total
