"""Student code as a worker runs it: a step's function imported from the student's file (load), called (calling),
and every exception it raises tagged with the step and when (StudentError); a gated step waits for "go" first.
Keras's global settings are the same after student code as before it, or it fails (ChangedSetting), and they are
put back (grader/backend/config.py): in the program, every later step would run with them."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.backend import config
from grader.backend.quiet import silenced_stderr
from grader.workers import protocol

if TYPE_CHECKING:
    from grader.course.steps import Step


class MissingFunction(Exception):
    """The student's file does not define the step's function."""


class Stopped(Exception):
    """The grading process closed stdin instead of letting a gated step start."""


class ChangedSetting(Exception):
    """Student code changed one of Keras's global settings: `change` is config.changed()'s, which setting, to what."""

    def __init__(self, change):
        super().__init__(change["setting"])
        self.change = change

def wait_for_go() -> None:
    """Block until the grading process writes a line: the steps before this one passed their checks."""
    if sys.stdin.readline().strip() != protocol.GO:
        raise Stopped()

class StudentError(Exception):
    """An exception raised by the student's code, tagged with the step and when: "import" or "call"."""

    def __init__(self, step, when, error):
        super().__init__(step.name)
        self.step, self.when, self.error = step, when, error
        self.given = None  # The program's input it failed on (protocol.SIZES) and its length, when not the sample.


def call(folder: Path, step: Step, *args: object) -> object:
    """Load the step's function from the student's file and call it; tag any failure with the step."""
    return calling(load(folder, step), step, *args)


def load(folder: Path, step: Step) -> Callable:
    """The step's function, from the student's file, imported once; an error tagged with the step."""
    try:
        # A student file that imports keras would start TensorFlow's log lines; its top level may set Keras's settings.
        with silenced_stderr(), settings_kept():
            return load_function(folder, step)
    except BaseException as error:
        raise StudentError(step, "import", error) from None


def load_function(folder: str | Path, step: Step) -> Callable[..., Any]:
    """Import the step's file from `folder` under a name no installed package uses; return its function.

    Raises whatever importing the student's file raises, and MissingFunction when the file does not
    define the function.
    """
    assert step.file is not None and step.function is not None  # A step with a file: the only ones a worker runs.
    path = Path(folder) / step.file
    name = f"mnist_submission_{step.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None  # A .py file's: Python's own loader.
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    function = getattr(module, step.function, None)
    if not callable(function):
        raise MissingFunction(f"{step.file} has no function {step.function}()")
    return function


def calling(function: Callable[..., Any], step: Step, *args: object) -> Any:
    """function(*args), what student code returns; an error tagged with the step."""
    try:
        with settings_kept():
            return function(*args)
    except BaseException as error:
        raise StudentError(step, "call", error) from None


@contextlib.contextmanager
def settings_kept():
    """Run student code, then raise ChangedSetting if it changed one of Keras's global settings, once they are put
    back: the step fails, and no later one runs with them. An exception of the code itself goes through as it is."""
    before = config.snapshot()
    yield
    change = config.changed(before)
    if change:
        config.restore(before)
        raise ChangedSetting(change)

KERAS_MODULES = ("keras", "tensorflow", "tf_keras")
KERAS_SCAN_LIMIT = 1 << 20  # Bytes: a step file is a few hundred; a larger one is taken to use Keras.


def uses_keras(steps: Iterable[str], folder: str | Path) -> bool:
    """Whether a worker running `steps` (names) of the submission `folder` uses Keras: a step's runner does
    (steps.toml), or a step's file imports it (one_hot's to_categorical), at its top or in a function. A file
    that cannot be read imports nothing; one that cannot be parsed (a syntax error, or nested past Python's
    limits) but names Keras is taken to import it."""
    import ast

    from grader.course.steps import STEPS

    if any(STEPS[step].keras for step in steps):
        return True
    for step in steps:
        try:
            path = Path(folder) / STEPS[step].file
            source = path.read_bytes() if path.stat().st_size <= KERAS_SCAN_LIMIT else None
        except OSError:
            continue
        if source is None:
            return True
        if not any(name.encode() in source for name in KERAS_MODULES):
            continue
        try:
            tree = ast.parse(source)
        except Exception:  # SyntaxError, RecursionError, MemoryError: what student code may be.
            return True
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name.partition(".")[0] in KERAS_MODULES for name in names):
                return True
    return False


def type_name(value: object) -> str:
    """What a function returned, as a student reads it: None, ndarray, list, Sequential…"""
    return "None" if value is None else type(value).__name__
