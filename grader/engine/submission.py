"""A submission: a folder with one module per step. Modules load by path, under unique names."""

import importlib.util
import sys
from pathlib import Path

from grader.course.i18n import _
from grader.course.steps import FILE_STEPS


class SubmissionError(Exception):
    """The folder is not a submission; the message says what is missing and what to do."""


class MissingFunction(Exception):
    """The student's file does not define the step's function."""


def check_folder(path, shown=None):
    """Return the submission folder as a Path, or raise SubmissionError saying what is wrong (naming the
    folder `shown`, when given, as the student knows it)."""
    folder, path = Path(path), shown or path
    if not folder.is_dir():
        raise SubmissionError(_(
            "There is no folder {path}. Give the folder that holds your six step files, "
            "for example: mnist-grade exercises", path=path)
        )
    missing = [step.file for step in FILE_STEPS if not (folder / step.file).is_file()]
    if missing:
        raise SubmissionError(_(
            "{path} is missing {missing}. A submission has one file per step ({files}); copy the missing ones "
            "back from the exercises folder.", path=path, missing=", ".join(missing),
            files=", ".join(step.file for step in FILE_STEPS))
        )
    return folder


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
