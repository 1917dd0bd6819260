"""A submission: a folder with one module per step (a worker imports them: grader/workers/student_code.py)."""

from pathlib import Path

from grader.course.i18n import _
from grader.course.steps import FILE_STEPS


class SubmissionError(Exception):
    """The folder is not a submission; the message says what is missing and what to do."""


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
