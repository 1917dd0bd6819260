"""`mnist-grade init [DIR]`: a student's course folder, from the installed grader alone: the six step stubs, the
course as a notebook and a short README. It never writes over a file that is there already."""

from pathlib import Path

from grader.course.code import stub
from grader.course.i18n import _
from grader.course.steps import FILE_STEPS

NOTEBOOK = "mnist.ipynb"
README = "README.md"


class FolderTaken(Exception):
    """The folder holds a file init would write; the message names them and what to do."""


def init(folder: str | Path, lang: str = "en") -> list[Path]:
    """Write the course into `folder` (made if need be); return the paths written. FolderTaken, with nothing
    written, when one of them exists."""
    import nbformat

    from grader.course.notebook import course, default_install

    folder = Path(folder)
    texts = {step.file: stub(step) for step in FILE_STEPS}
    texts[README] = readme(folder)
    targets = [folder / name for name in [*texts, NOTEBOOK]]
    if folder.exists() and not folder.is_dir():
        raise FolderTaken(_("{folder} is a file, not a folder. Give init a folder's name: mnist-grade init FOLDER.",
                            folder=folder))
    taken = [path.name for path in targets if path.exists() or path.is_symlink()]
    if taken:
        raise FolderTaken(_(
            "{folder} has {files} already, and init never writes over your files. Grade them with `mnist-grade "
            "{folder}`, or start afresh in another folder: mnist-grade init OTHER.",
            folder=folder, files=", ".join(taken)))
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    nbformat.write(course(lang, install=default_install()), folder / NOTEBOOK)
    return targets


def readme(folder):
    """The folder's README: what is in it and the commands that grade it, in the student's language."""
    steps = ", ".join(f"`{step.file}`" for step in FILE_STEPS)
    return "\n".join([
        _("# The Keras MNIST course"),
        "",
        _("Fill in the six step files, in order: {steps}. Each states its task in its first comment lines: replace "
          "`raise NotImplementedError` with your code.", steps=steps),
        "",
        "- " + _("`mnist-grade {folder}` grades them: what is right, what is wrong and which step to fix next.",
                 folder=folder),
        "- " + _("`mnist-grade {folder} --watch` grades again each time you save a file.", folder=folder),
        "- " + _("`mnist-grade hint STEP` gives the next hint for a step."),
        "- " + _("`{notebook}` is the same course as a notebook: open it with `jupyter lab {path}`.",
                 notebook=NOTEBOOK, path=folder / NOTEBOOK),
        "",
        _("MNIST comes by itself the first time it is needed; `mnist-grade data --help` tells how to get it offline."),
        "",
    ])
