"""What a student reads when a step's code did not return: a stub, a missing function, an exit, a change of Keras's
settings, an error, a hang or a crash. Each StepStatus of a Run (grader/workers/protocol.py) has its one function here,
which makes its Failure (grader/results/grade.py): the problem, and one help line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from grader.backend import config
from grader.course.i18n import _
from grader.course.steps import STEPS
from grader.results.grade import Failure
from grader.workers.protocol import StepStatus

if TYPE_CHECKING:
    from grader.workers.handle import Run


def failure_of(run: Run) -> Failure | None:
    """The Failure of a Run (grader/workers/handle.py) whose status is not OK; None when it is."""
    if run.status == StepStatus.OK:
        return None
    step = STEPS[run.facts.get("step", run.step)]
    path = run.named_notebook or run.named_folder / (step.file or "")
    function = f"{step.function}()"
    given = run.facts.get("given")  # It failed on one of the program's inputs, not on the sample: say which.
    if given and run.status in (StepStatus.EXIT, StepStatus.ERROR, StepStatus.SCRATCH_FULL):
        function = _("{function}, given {given},", function=function,
                     given=given_text(given, run.facts.get("count", 0), run.step))
    return PROBLEMS.get(run.status, grader_error)(run, step, path, function)


def not_attempted(run, step, path, function):
    return Failure(
        problem=_("not attempted yet: {function} in {path} still raises NotImplementedError",
                  function=function, path=path),
        help=_("open {path}, replace `raise NotImplementedError` with your code, and grade again.", path=path))


def missing(run, step, path, function):
    return Failure(problem=_("{path} has no function {function}", path=path, function=function),
                   help=_("keep the name the exercise gives: def {function}(...).", function=step.function))


def exited(run, step, path, function):
    return Failure(problem=_("{function} called sys.exit({code}), which would end the program",
                             function=function, code=run.facts["code"]),
                   help=_("return the result instead of exiting."))


def changed(run, step, path, function):
    """The step's code changed one of Keras's global settings (grader/backend/config.py): the step is failed, not
    the later ones that would run with the setting."""
    setting = f"keras.config.{run.facts['setting']}()"
    value, was = (written(run.facts[key]) for key in ("value", "was"))
    if run.facts.get("when") == "import":
        problem = _("importing {path} changed a global setting of Keras: {setting} is now {value}, not {was}",
                    path=path, setting=setting, value=value, was=was)
    else:
        problem = _("{function} changed a global setting of Keras: {setting} is now {value}, not {was}",
                    function=function, setting=setting, value=value, was=was)
    return Failure(problem=problem, help=_("a step may change only what it returns: every later step would run "
                                           "with this setting. Remove the call that sets it ({calls}).",
                                           calls=config.SETTINGS.get(run.facts["setting"], "")))


def written(value: object) -> str:
    """A setting's value as a student writes it: 0.001, 0.9, True, None, "sum"."""
    if isinstance(value, float):
        return f"{value:g}"
    return f'"{value}"' if isinstance(value, str) else str(value)


def raised(run, step, path, function):
    """The code raised: on import of `path`, or in its `function` (as named)."""
    where = _frames(run, run.facts.get("frames", []))
    if run.facts.get("when") == "import":
        return Failure(problem=_("importing {path} raised {exception}", path=path, exception=run.facts["exception"])
                       + where, help=error_help(run, path)
                       or _("Python stops at the first error in a file; fix the line shown."))
    return Failure(problem=_("{function} raised {exception}", function=function, exception=run.facts["exception"])
                   + where, help=error_help(run, path) or step.text("on_error"))


def timed_out(run, step, path, function):
    return Failure(problem=_("{step} did not finish within {limit} s and was stopped",
                             step=step.name, limit=f"{run.facts['limit']:g}")
                   + _frames(run, run.facts.get("where") or []),  # Where its code was when stopped.
                   help=_("look for a loop that never ends, or a call that waits for input.") + _tail(run))


def crashed(run, step, path, function):
    return Failure(
        problem=_("the process running {step} ended before your code returned ({ended})", step=step.name,
                  ended=run.facts["ended"]),
        help=_("something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.")
        + _tail(run),
    )


def scratch_full(run, step, path, function):
    return Failure(problem=_("{function} wrote more than {limit} MB to its scratch folder, the limit "
                             "(--max-scratch)", function=function, limit=f"{run.facts['limit']:g}"),
                   help=_("this step needs no files: remove the code that writes them, or write less."))


def grader_error(run, step, path, function):
    """The grader's own error (GRADER_ERROR), or a worker stopped by the grading process (STOPPED)."""
    return Failure(
        problem=_("the grader itself failed; this is not your fault. Please report it:")
        + f"\n{run.facts.get('exception')}"
    )


# Each status's Failure; GRADER_ERROR and STOPPED get grader_error's.
PROBLEMS = {StepStatus.NOT_ATTEMPTED: not_attempted, StepStatus.MISSING: missing, StepStatus.EXIT: exited,
            StepStatus.CHANGED: changed, StepStatus.ERROR: raised, StepStatus.TIMEOUT: timed_out,
            StepStatus.CRASHED: crashed, StepStatus.SCRATCH_FULL: scratch_full}


def given_text(size: str, count: int, step: str) -> str:
    """One of the program's inputs (grader/workers/protocol.py's SIZES) as a message names it: "the 60,000 training
    images"."""
    labels = STEPS[step].input == "labels"
    if size == "one":
        return _("a single label") if labels else _("a single image")
    if size == "train":
        return (_("the {count} training labels", count=f"{count:,}") if labels
                else _("the {count} training images", count=f"{count:,}"))
    return _("the {count} test labels", count=f"{count:,}") if labels else _("the {count} test images",
                                                                                count=f"{count:,}")


# What a beginner most often forgets to import, and the line that imports it.
IMPORTS = {
    "np": "import numpy as np",
    "numpy": "import numpy",
    "keras": "import keras",
    "layers": "from keras import layers",
    "to_categorical": "from keras.utils import to_categorical",
    "Sequential": "from keras import Sequential",
    "Input": "from keras import Input",
    "Dense": "from keras.layers import Dense",
}


def error_help(run, path):
    """One line on how to fix the error the student's code raised, for the errors that say what it is (an
    undefined name, TensorFlow); None for the others, which get the step's own help."""
    name = run.facts.get("name")
    if name in IMPORTS:
        return _("{name} is not imported: add `{line}` at the top of {path}.", name=name, line=IMPORTS[name],
                 path=path)
    if name and run.facts.get("suggestion"):
        return _("check the spelling: there is no {name} here, but there is {suggestion}.", name=name,
                 suggestion=run.facts["suggestion"])
    if name:
        return _("{name} is not defined here: check its spelling, or define or import it before this line.",
                 name=name)
    if run.facts.get("exception", "").startswith("ModuleNotFoundError: No module named 'tensorflow'"):
        return _("TensorFlow is not installed, and this course does not need it: `import keras` and write "
                 "keras.… instead of tensorflow.keras.….")
    return None


def _frames(run, frames):
    """Frames of the student's files ([file, line, function, code]), as a traceback shows them; for a notebook,
    with the cell and the line in it."""
    if run.named_notebook:
        cells = cells_of(run.named_folder)  # Read once for all the frames.
    return "".join("\n" + _frame(run, file, line, name, cells if run.named_notebook else None) + f"\n    {code}"
                   for file, line, name, code in frames)


def _frame(run, file, line, name, cells):
    if not run.named_notebook:
        return _("  {path}, line {line}, in {name}", path=run.named_folder / file, line=line, name=name)
    cell = cells[line - 1] if cells and 0 < line <= len(cells) else None
    if not (isinstance(cell, list) and len(cell) == 2):
        return _("  {path}, in {name}", path=run.named_notebook, name=name)
    return _("  {path}, {cell}, line {line}, in {name}", path=run.named_notebook, cell=cell[0], line=cell[1], name=name)


def _tail(run, lines=8):
    """The last lines the step's code printed, for a hang or a crash."""
    tail = run.printed.strip().splitlines()[-lines:]
    if not tail:
        return ""
    return "\n" + _("Your code printed (last lines):") + "".join(f"\n  | {line}" for line in tail)


CELLS = ".cells.json"  # Beside the step files: which cell and line each line of them came from.


def cells_of(folder: str | Path) -> list | None:
    """For each line of the step files in `folder`, [label, line] of the cell it came from (None between
    pieces); None when that is not known."""
    try:
        found = json.loads((Path(folder) / CELLS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, list) else None
