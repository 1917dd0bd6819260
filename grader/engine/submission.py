"""A submission: a folder with one module per step (a worker imports them: grader/workers/student_code.py). This
module is where the grader finds them: check_folder() for a folder given to grade, holding_steps() in an unpacked zip
or any folder, find_work() in what a student uploaded (the six files, a zip or a notebook)."""

from pathlib import Path

from grader.course.i18n import _
from grader.course.steps import FILE_STEPS


class SubmissionError(Exception):
    """The folder is not a submission; the message says what is missing and what to do."""


def check_folder(path: str | Path, shown: str | None = None) -> Path:
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


def holding_steps(folder: str | Path) -> Path | None:
    """The shallowest folder in `folder` (itself included) that holds all the step files; None if there is none."""
    folder = Path(folder)
    for candidate in [folder, *sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: (len(p.parts), p))]:
        if all((candidate / step.file).is_file() for step in FILE_STEPS):
            return candidate
    return None


def has_step_files(folder: str | Path) -> bool:
    """Whether `folder` holds any of the step files: a student's work begun, to grade even when some are missing."""
    return Path(folder).is_dir() and any((Path(folder) / step.file).is_file() for step in FILE_STEPS)


def find_work(folder: Path) -> tuple[Path, None] | tuple[None, str]:
    """(what to grade in an uploaded submission `folder`: the folder of the six files, or its one zip or notebook,
    None) or (None, why nothing can be graded)."""
    found = holding_steps(folder)
    if found:
        return found, None
    for pattern in ("*.ipynb", "*.zip"):
        candidates = sorted(p for p in Path(folder).rglob(pattern) if ".ipynb_checkpoints" not in p.parts)
        if len(candidates) == 1:
            return candidates[0], None
        if candidates:
            return None, _(
                "Your submission has several {kind} files ({names}); submit only one.",
                kind=pattern[1:],
                names=", ".join(str(p.relative_to(folder)) for p in candidates),
            )
    files = ", ".join(step.file for step in FILE_STEPS)
    return None, _(
        "Your submission has none of the work to grade: the six files ({files}) in one folder, "
        "a .zip of them, or a notebook. Submit them again.",
        files=files,
    )
