"""GitLab CI and Jenkins: `mnist-grade gitlab [PATH] --junit FILE` grades PATH in a job of a student's repository.

The submission is graded as in GitHub Actions (grader/instructor/isolated.py's graded_in_isolation: a process of its
own, from a folder of its own so that a grader/ in the checkout is never imported, stopped at a wall-clock and a
memory limit with its points kept), what it prints passed on to the job's log as it comes. FILE gets the grade as
JUnit XML, the test report GitLab shows in the pipeline and the merge request (artifacts:reports:junit) and Jenkins'
junit step reads. The exit code is mnist-grade's, so that the job fails until every check passes. .gitlab-ci.yml
runs it on every push.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from grader.course.i18n import _

if TYPE_CHECKING:
    from grader.results.grade import Grade


def gitlab(path: str, junit_file: str, graded: Callable[[str], tuple[int, Grade | None]]) -> int:
    """Grade `path` with graded(path), which returns (mnist-grade's exit code, the Grade or None), and write the JUnit
    XML to `junit_file`: the grade's, or, without one, a failed test saying that the log says why. Return the exit
    code."""
    from grader.data.files import write_whole
    from grader.engine.grading import say
    from grader.engine.options import OptionsError, check_writable
    from grader.results import render

    try:
        check_writable(junit_file)
    except OptionsError as error:
        say(str(error))
        return 2
    code, grade = graded(path)
    title = _("MNIST course")
    write_whole(junit_file, render.junit(grade, title) if grade is not None else render.junit_no_grade(
        title, _("There is no grade: the job's log says why.")))
    return code if grade is not None else code or 2
