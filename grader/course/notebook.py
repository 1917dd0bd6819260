"""The course written out as a notebook (`mnist-grade notebook`): per step its explanation, the code to fill in
(or the answer) and a check cell, in English or in Chinese; for nbgrader, its source notebook.

The first code cell works in any kernel: where the grader is missing (Colab, a hosted Jupyter) it installs it
from the source the notebook was made with, or says how to install it. An nbgrader notebook marks each answer cell
as an autograded answer and each step's check as a locked test cell worth the step's points (assert_step()).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from grader.course import i18n
from grader.course.code import answer, nbgrader_answer, points, stub
from grader.course.i18n import N_, _, in_language
from grader.course.steps import COMMENTS_ZH, FILE_STEPS, INTRO, STEPS

if TYPE_CHECKING:
    from nbformat import NotebookNode

NBGRADER_SCHEMA = 3  # The version of nbgrader's cell metadata.


def course(lang: str = "en", solutions: bool = False, install: str | None = None, nbgrader: bool = False
           ) -> NotebookNode:
    """The course as a notebook: an introduction, the grader's cell, then per step its explanation, its code and a
    check. `install`: what the first cell installs where the grader is missing (a pip requirement), or None.
    `nbgrader`: nbgrader's source notebook, with the answers and its cell metadata. CourseError where the answers
    are asked for and the grader has none (an installed wheel)."""
    import nbformat
    from nbformat import v4

    cells = [v4.new_markdown_cell(pick_lang(INTRO, lang)), v4.new_code_cell(setup_cell(install, nbgrader, lang))]
    for number, step in enumerate(FILE_STEPS, start=1):
        code = nbgrader_answer(step) if nbgrader else answer(step) if solutions else stub(step)
        cells += [
            v4.new_markdown_cell(f"## {number}. {pick_lang(step.title, lang)}\n\n{pick_lang(step.explain, lang)}"),
            v4.new_code_cell((in_chinese(code) if lang == "zh" else code).strip()),
            v4.new_code_cell(f'assert_step("{step.name}")' if nbgrader else f'check("{step.name}")'),
        ]
    if nbgrader:
        accuracy = STEPS["accuracy"]
        cells += [v4.new_markdown_cell(f"## {len(FILE_STEPS) + 1}. {pick_lang(accuracy.title, lang)}\n\n"
                                       f"{pick_lang(accuracy.explain, lang)}"),
                  v4.new_code_cell('assert_step("accuracy")')]
        mark_for_nbgrader(cells)
    else:
        cells += [
            v4.new_markdown_cell(_("## The whole program\n\n"
                                   "Train the network with your six functions and test it on the 10,000 test images.")),
            v4.new_code_cell("run_all()"),
        ]
    notebook = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return notebook


def setup_cell(install, nbgrader=False, lang="en"):
    """The first code cell: import what the check cells call; where the grader is missing, install `install` with
    %pip and import again, or, with no `install`, stop saying how to install it."""
    names = "assert_step, check, run_all" if nbgrader else "check, run_all"
    if install:
        missing = f"    %pip install --quiet {shlex.quote(install)}\n    from grader import {names}"
    else:
        missing = f"    raise ModuleNotFoundError({how_to_install(lang)!r}) from None"
    comment = in_language(lang, N_("The course grader. Where this kernel lacks it (Colab, a hosted Jupyter), this "
                                   "cell installs it."))
    return (f"# {comment}"
            f"\ntry:\n    from grader import {names}\nexcept ModuleNotFoundError:\n{missing}")


def default_install() -> str | None:
    """What a notebook's first cell installs by default: the repository of pyproject.toml's [project.urls]
    (Repository, Source or Homepage), as pip's git+URL; None when it names none."""
    from importlib import metadata

    try:
        urls = metadata.metadata("mnist-grade").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    found = dict(entry.split(",", 1) for entry in urls if "," in entry)
    found = {label.strip().lower(): url.strip() for label, url in found.items()}
    url = next((found[label] for label in ("repository", "source", "homepage") if found.get(label)), None)
    return None if url is None else url if url.startswith("git+") else f"git+{url}"


def how_to_install(language=None):
    """What a kernel without the grader says, in `language` (by default the student's)."""
    return in_language(language or i18n.lang(), N_(
        "This notebook needs the MNIST course's grader, which this kernel does not have. Run `%pip install SOURCE` "
        "in a cell of its own, SOURCE being the grader your instructor gives (its wheel, or git+https://... of its "
        "repository), then run this cell again."))


def mark_for_nbgrader(cells):
    """nbgrader's metadata on the code cells of an nbgrader notebook: the first locked, each answer an autograded
    answer, each check a locked autograder test worth its step's points; every grade_id unique."""
    code = [cell for cell in cells if cell.cell_type == "code"]
    _mark(code[0], "setup", locked=True)
    for step, answer_cell, check_cell in zip(FILE_STEPS, code[1::2], code[2::2], strict=False):
        _mark(answer_cell, f"{step.name}_answer", solution=True)
        _mark(check_cell, f"{step.name}_check", locked=True, points=points(step.name))
    _mark(code[-1], "accuracy_check", locked=True, points=points("accuracy"))


def _mark(cell, grade_id, locked=False, solution=False, points=None):
    cell.metadata["nbgrader"] = {"grade": points is not None, "grade_id": grade_id, "locked": locked,
                                 "schema_version": NBGRADER_SCHEMA, "solution": solution, "task": False}
    if points is not None:
        cell.metadata["nbgrader"]["points"] = points


def in_chinese(code):
    """A step file with its comments in Chinese: each run of comment lines that steps.toml's comments_zh
    translates, joined with spaces, becomes its translation; a comment without one stays as it is."""
    out, pending = [], []  # pending: (indent, text) of comment lines not translated yet.

    def keep_pending():
        out.extend(f"{indent}# {text}" for indent, text in pending)
        pending.clear()

    for line in code.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if not stripped.startswith("# "):
            keep_pending()
            out.append(line)
            continue
        pending.append((indent, stripped[2:]))
        joined = " ".join(text for _indent, text in pending)
        if joined in COMMENTS_ZH:
            out.append(f"{pending[0][0]}# {COMMENTS_ZH[joined]}")
            pending.clear()
    keep_pending()
    return "\n".join(out) + "\n"

def pick_lang(texts, lang):
    return texts.get(lang) or texts["en"]
