"""The course written out as a notebook (`mnist-grade notebook`): per step its explanation, the code to fill in
(or the answer) and a check cell, in English or in Chinese."""

from pathlib import Path

from grader.course.assign import exercise, solution
from grader.course.i18n import _
from grader.course.steps import COMMENTS_ZH, FILE_STEPS, INTRO

ROOT = Path(__file__).resolve().parent.parent.parent


def course(lang="en", solutions=False):
    """The course as a notebook: an introduction, then per step its explanation, its code and a check."""
    import nbformat
    from nbformat import v4

    cells = [
        v4.new_markdown_cell(pick_lang(INTRO, lang)),
        v4.new_code_cell("from grader import check, run_all"),
    ]
    for number, step in enumerate(FILE_STEPS, start=1):
        source = (ROOT / "solutions" / step.file).read_text()
        code = solution(source) if solutions else exercise(source)
        if lang == "zh":
            code = in_chinese(code)
        cells += [
            v4.new_markdown_cell(f"## {number}. {pick_lang(step.title, lang)}\n\n{pick_lang(step.explain, lang)}"),
            v4.new_code_cell(code.strip()),
            v4.new_code_cell(f'check("{step.name}")'),
        ]
    cells += [
        v4.new_markdown_cell(
            _(
                (
                    "## The whole program\n"
                    "\n"
                    "Train the network with your six functions and test it on the 10,000 test images."
                )
            )
        ),
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
