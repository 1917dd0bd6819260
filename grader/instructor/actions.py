"""GitHub Actions: `mnist-grade actions [PATH]` grades PATH in a job of any repository, with or without Classroom 50.

The submission is graded as a batch grades one student (grader/instructor/isolated.py: a process of its own, stopped
at a wall-clock and a memory limit with its points kept), what it prints passed on to the job's log as it comes.
The report goes to the job's log as usual, as Markdown to the job summary ($GITHUB_STEP_SUMMARY, the page a run
opens on), and each step to fix as an annotation (a workflow command on stdout) on its file, which GitHub shows on
the commit and in the pull request. .github/workflows/feedback.yml runs it on every push. The exit code is
mnist-grade's, so that the run stays red until every check passes.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from grader.course.i18n import _

if TYPE_CHECKING:
    from grader.results.grade import Grade


def actions(path: str, env: Mapping[str, str], graded: Callable[[str], tuple[int, Grade | None]]) -> int:
    """Grade `path` with graded(path), which returns (mnist-grade's exit code, the Grade or None); write the job
    summary to the file env["GITHUB_STEP_SUMMARY"] names (appended, as GitHub wants) and print the annotations.
    Return the exit code.

    While grading, the runner reads no workflow command: what the report quotes of student code (an exception's
    text, line by line) could otherwise add annotations or stop the grader's own. `::stop-commands::TOKEN` stops
    them, and only `::TOKEN::`, a secret of this run, starts them again."""
    from grader.results import render

    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}", flush=True)
    try:
        code, grade = graded(path)
    finally:
        print(f"::{token}::", flush=True)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as file:
            file.write(render.markdown(grade, _("MNIST course")) if grade is not None else render.no_grade(
                _("MNIST course"), _("There is no grade: the job's log says why.")))
    if grade is None:
        return code or 2
    sys.stdout.write("".join(line + "\n" for line in render.annotations(grade)))
    return code
