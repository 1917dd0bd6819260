"""Student code as a worker runs it: a step's function imported from the student's file (load), called (calling),
and every exception it raises tagged with the step and when (StudentError); a gated step waits for "go" first."""

import importlib.util
import sys
from pathlib import Path

from grader.backend.quiet import silenced_stderr
from grader.workers import protocol


class MissingFunction(Exception):
    """The student's file does not define the step's function."""


class Stopped(Exception):
    """The grading process closed stdin instead of letting a gated step start."""

def wait_for_go():
    """Block until the grading process writes a line: the steps before this one passed their checks."""
    if sys.stdin.readline().strip() != protocol.GO:
        raise Stopped()

class StudentError(Exception):
    """An exception raised by the student's code, tagged with the step and when: "import" or "call"."""

    def __init__(self, step, when, error):
        super().__init__(step.name)
        self.step, self.when, self.error = step, when, error
        self.given = None  # The program's input it failed on (protocol.SIZES) and its length, when not the sample.


def call(folder, step, *args):
    """Load the step's function from the student's file and call it; tag any failure with the step."""
    return calling(load(folder, step), step, *args)


def load(folder, step):
    """The step's function, from the student's file, imported once; an error tagged with the step."""
    try:
        with silenced_stderr():  # A student file that imports keras would start TensorFlow's log lines.
            return load_function(folder, step)
    except BaseException as error:
        raise StudentError(step, "import", error) from None


def load_function(folder, step):
    """Import the step's file from `folder` under a name no installed package uses; return its function.

    Raises whatever importing the student's file raises, and MissingFunction when the file does not
    define the function.
    """
    path = Path(folder) / step.file
    name = f"mnist_submission_{step.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    function = getattr(module, step.function, None)
    if not callable(function):
        raise MissingFunction(f"{step.file} has no function {step.function}()")
    return function


def calling(function, step, *args):
    """function(*args), what student code returns; an error tagged with the step."""
    try:
        return function(*args)
    except BaseException as error:
        raise StudentError(step, "call", error) from None

def type_name(value):
    """What a function returned, as a student reads it: None, ndarray, list, Sequential…"""
    return "None" if value is None else type(value).__name__
