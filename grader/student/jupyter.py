"""What a course notebook's first cell imports: check() and run_all(), and assert_step() for nbgrader's test
cells, with Keras set up as the grader runs it (JAX, no TensorFlow log lines) for the cells that import it after."""

import os
import subprocess
import tempfile
from pathlib import Path

from grader.backend.quiet import quiet
from grader.backend.runtime import set_environment
from grader.course.i18n import _
from grader.engine.notebook import cell_label, submission
from grader.engine.options import GradingOptions
from grader.results.grade import Grade
from grader.workers.users import grader_command, grader_environment

quiet()
set_environment()

__all__ = ["assert_step", "check", "run_all"]


def check(step):
    """Grade one step (and the steps it needs) with the functions this notebook has defined so far."""
    printed, _grade = _graded(step)
    if printed is not None:
        print(printed)


def assert_step(step):
    """nbgrader's test cell for `step`, graded as check() grades it. When the step passes: its report, printed,
    and nothing on stderr, so nbgrader gives the cell its points. When it earns nothing: AssertionError with the
    report, so nbgrader gives 0. In between: the report printed, and the points earned returned, nbgrader's
    partial credit. So nbgrader's score of a notebook is mnist-grade's."""
    printed, grade = _graded(step)
    if grade is None:
        raise AssertionError(printed or _("check() and run_all() work inside a Jupyter notebook."))
    earned = grade.step_score(step)
    if earned == 0:
        raise AssertionError("\n" + printed)
    print(printed)
    worth = sum(check.points for check in grade.checks if check.step == step)
    return None if earned == worth else earned


def run_all():
    """Run the whole program with this notebook's functions and print the test accuracy."""
    printed = _in_a_submission(lambda folder, scratch: ["grader.student.program", folder])
    if printed is not None:
        print(printed)


def _graded(step):
    """Grade `step` with the cells this notebook has run: (what the grading printed, its Grade); (None, None)
    outside a notebook, after saying so; (what it printed, None) when no grade came of it."""
    found = {}

    def command(folder, scratch):
        options = scratch / "options.json"
        found["file"] = scratch / "grade.json"
        options.write_text(GradingOptions(str(folder), named_notebook=_("this notebook"), step=step,
                                          grade_file=str(found["file"])).to_json(), encoding="utf-8")
        return ["grader.engine", options]

    def read(scratch):
        try:
            found["grade"] = Grade.from_json((scratch / "grade.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass

    printed = _in_a_submission(command, read)
    return printed, found.get("grade")


def _in_a_submission(command, read=None):
    """Run `python COMMAND(folder, scratch)` on a submission folder made of the cells this notebook has run, then
    read(scratch); return what it printed, the folder named as this notebook; None outside a notebook."""
    try:
        history = get_ipython().user_ns["In"]  # noqa: F821 (IPython's own global: In[n] is cell [n]'s source.)
    except NameError:
        print(_("check() and run_all() work inside a Jupyter notebook."))
        return None
    cells = [(cell_label(count, count), source) for count, source in enumerate(history) if count]
    # Plain text for a notebook's output: no colours, no progress bars redrawn in place.
    env = {key: value for key, value in os.environ.items() if key not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(NO_COLOR="1", TERM="dumb", TTY_INTERACTIVE="0", PYTHONIOENCODING="utf-8")  # Read as UTF-8 below.
    with tempfile.TemporaryDirectory(prefix="mnist-notebook-") as scratch:
        folder = submission(cells, Path(scratch) / "notebook")
        done = subprocess.run(grader_command(*command(folder, Path(scratch))), capture_output=True,
                              encoding="utf-8", errors="replace", env=grader_environment(env))
        if read:
            read(Path(scratch))
    return (done.stdout + done.stderr).replace(str(folder), _("this notebook")).rstrip("\n")
