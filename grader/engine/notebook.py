"""Notebooks as submissions: the six functions read out of a student's .ipynb into a folder of step files.

A notebook becomes a submission folder like any other: its imports, constants, functions and
classes, in the order they were last defined (as in Jupyter, the last definition wins), go into each
step's file; magics, shell lines and experiments are left out. Then it is graded as a folder is.
"""

import ast
import json
from collections.abc import Iterable
from pathlib import Path

from grader.course.i18n import _
from grader.course.steps import FILE_STEPS
from grader.engine.problems import CELLS


class NotebookError(Exception):
    """The file is not a notebook that can be read; the message says so and what to do."""


def code_cells(path: str | Path) -> list[tuple[str, str]]:
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

def cell_label(count: int | None, place: int) -> str:
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

def submission(cells: Iterable[tuple[str, str]], folder: str | Path) -> Path:
    """Write the module made from (label, source) cells as each step's file in `folder`, and where its lines came
    from as CELLS; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, lines = module(cells)
    for step in FILE_STEPS:
        (folder / step.file).write_text(text, encoding="utf-8")  # Python reads a module as UTF-8.
    (folder / CELLS).write_text(json.dumps(lines), encoding="utf-8")
    return folder


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
