"""What a course notebook's first cell imports: check() and run_all(), with Keras set up as the grader runs
it (JAX, no TensorFlow log lines) for the cells that import it after."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.backend.quiet import quiet
from grader.backend.runtime import set_environment
from grader.course.i18n import _
from grader.engine.notebook import cell_label, submission
from grader.engine.options import GradingOptions

quiet()
set_environment()

__all__ = ["check", "run_all"]


def check(step):
    """Grade one step (and the steps it needs) with the functions this notebook has defined so far."""

    def command(folder, scratch):
        options = scratch / "options.json"
        options.write_text(GradingOptions(str(folder), shown_as=_("this notebook"), step=step).to_json())
        return ["-m", "grader.engine", str(options)]

    _in_a_submission(command)


def run_all():
    """Run the whole program with this notebook's functions and print the test accuracy."""
    _in_a_submission(lambda folder, scratch: ["-m", "grader.student.program", str(folder)])


def _in_a_submission(command):
    """Run `python COMMAND(folder, scratch)` on a submission folder made of the cells this notebook has run, and show
    what it printed, the folder named as this notebook."""
    try:
        history = get_ipython().user_ns["In"]  # noqa: F821 (IPython's own global: In[n] is cell [n]'s source.)
    except NameError:
        print(_("check() and run_all() work inside a Jupyter notebook."))
        return
    cells = [(cell_label(count, count), source) for count, source in enumerate(history) if count]
    # Plain text for a notebook's output: no colours, no progress bars redrawn in place.
    env = {key: value for key, value in os.environ.items() if key not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(NO_COLOR="1", TERM="dumb", TTY_INTERACTIVE="0")
    with tempfile.TemporaryDirectory(prefix="mnist-notebook-") as scratch:
        folder = submission(cells, Path(scratch) / "notebook")
        done = subprocess.run([sys.executable, *command(folder, Path(scratch))], capture_output=True, text=True,
                              env=env)
    print((done.stdout + done.stderr).replace(str(folder), _("this notebook")).rstrip("\n"))
