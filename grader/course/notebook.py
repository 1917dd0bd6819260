"""Notebooks: the six functions read out of a student's .ipynb, and the course written out as notebooks.

A notebook becomes a submission folder like any other: its imports, constants, functions and
classes, in the order they were last defined (as in Jupyter, the last definition wins), go into each
step's file; magics, shell lines and experiments are left out. Then it is graded as a folder is.
"""

import ast
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.course.assign import exercise, solution
from grader.course.i18n import _
from grader.course.steps import COMMENTS_ZH, FILE_STEPS, INTRO

ROOT = Path(__file__).resolve().parent.parent.parent


class NotebookError(Exception):
    """The file is not a notebook that can be read; the message says so and what to do."""


CELLS = ".cells.json"  # Beside the step files: which cell and line each line of them came from.


def code_cells(path):
    """The code cells of a notebook, in order, as (label, source): the label names the cell as Jupyter numbers
    it ("cell [5]") when it has run, else by its place among the code cells ("code cell 3"). NotebookError when
    it is not a valid notebook."""
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises JSON, schema and OS errors alike.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NotebookError(_(
            "{path} is not a valid notebook ({reason}). Save it again from Jupyter, or grade a folder of .py files.",
            path=path, reason=reason,
        )) from None
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return [(cell_label(cell.get("execution_count"), place), cell.source) for place, cell in enumerate(code, 1)]


def cell_label(count, place):
    return _("cell [{count}]", count=count) if count else _("code cell {place}", place=place)


def module(cells):
    """One module from (label, source) cells: the imports, simple constants, functions and classes, each as
    last defined; and for each of its lines, [label, line] of where it came from."""
    functions = {step.function for step in FILE_STEPS}
    kept = {}  # What a piece defines -> (its source, its cell, its first line there); the last definition wins.
    for label, source in cells:
        code = _without_magics(source)  # Line for line: magics become empty lines.
        try:
            tree = ast.parse(code)
        except SyntaxError:
            # An experiment that does not parse is left out, unless it is where a step's function is.
            for name in functions:
                if f"def {name}(" in code:
                    kept.pop(name, None)
                    kept[name] = (code, label, 1)
            continue
        for node in tree.body:
            key = _defines(node)
            if key is not None:
                kept.pop(key, None)
                first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
                kept[key] = (_source(code, node), label, first)
    text, lines = "", []
    for piece, label, first in kept.values():
        if text:
            text += "\n\n\n"
            lines += [None, None]
        text += piece
        lines += [[label, first + i] for i in range(len(piece.splitlines()))]
    return text + "\n", lines


def submission(cells, folder):
    """Write the module made from (label, source) cells as each step's file in `folder`, and where its lines came
    from as CELLS; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, lines = module(cells)
    for step in FILE_STEPS:
        (folder / step.file).write_text(text)
    (folder / CELLS).write_text(json.dumps(lines))
    return folder


def cells_of(folder):
    """For each line of the step files in `folder`, [label, line] of the cell it came from (None between
    pieces); None when that is not known."""
    try:
        found = json.loads((Path(folder) / CELLS).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, list) else None


def _without_magics(source):
    """The cell without IPython's magics (%line, %%cell) and shell lines (!cmd)."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _defines(node):
    """What a top-level statement defines, as a key; None for statements that do things (experiments)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.Import | ast.ImportFrom):
        return ast.unparse(node)
    if isinstance(node, ast.Assign) and all(isinstance(target, ast.Name) for target in node.targets):
        if all(isinstance(part, CONSTANT_PARTS) for part in ast.walk(node.value)):
            return tuple(target.id for target in node.targets)
    return None


# What a constant may be made of: numbers, strings, tuples and lists of them, arithmetic, other names
# (num_classes = 10, image_size = 28 * 28); a call or a loop is an experiment.
CONSTANT_PARTS = (
    ast.Constant,
    ast.Tuple,
    ast.List,
    ast.UnaryOp,
    ast.BinOp,
    ast.Name,
    ast.operator,
    ast.unaryop,
    ast.Load,
)


def _source(code, node):
    """A statement's source, with its decorators."""
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        return "\n".join(code.splitlines()[decorators[0].lineno - 1 : node.end_lineno])
    return ast.get_source_segment(code, node, padded=True)


# Writing the course as notebooks.


def course(lang="en", solutions=False):
    """The course as a notebook: an introduction, then per step its explanation, its code and a check."""
    import nbformat
    from nbformat import v4

    cells = [
        v4.new_markdown_cell(pick_lang(INTRO, lang)),
        v4.new_code_cell("from grader.student.jupyter import check, run_all"),
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


# What a notebook's check cells call, inside Jupyter.


def check(step):
    """Grade one step (and the steps it needs) with the functions this notebook has defined so far."""
    _in_a_submission(["-m", "grader.cli", "{folder}", "--step", step, "--shown-as", _("this notebook")])


def run_all():
    """Run the whole program with this notebook's functions and print the test accuracy."""
    _in_a_submission(["-m", "grader.student.program", "{folder}"])


def _in_a_submission(command):
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
        args = [arg.format(folder=folder) for arg in command]
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)
    print((done.stdout + done.stderr).replace(str(folder), _("this notebook")).rstrip("\n"))
