"""`mnist-grade assign`: the exercises, made from the solutions, so that the two never drift apart.

In solutions/, each answer stands between `# BEGIN SOLUTION` and `# END SOLUTION` (nbgrader's
convention). Inside a function, the region becomes `# TODO: <what the BEGIN line says>` and
`raise NotImplementedError`; at the top of a file (names the answer defines), it is left out. The
imports a step needs stay outside the markers, so that the exercise has them too.
Everything else is kept as it is.
"""

import re
from pathlib import Path

from grader.course.steps import FILE_STEPS

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::\s*(?P<todo>.*))?$")
END = re.compile(r"^\s*# END SOLUTION$")


class MarkerError(Exception):
    """A solution file's markers do not pair up; the message names the file and line."""


def exercise(source: str, name: str = "<solution>") -> str:
    """The exercise made from one solution file's text."""
    out, region = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        if region is None:
            begin = BEGIN.match(line)
            if begin:
                region = (number, begin)
            elif END.match(line):
                raise MarkerError(f"{name}, line {number}: # END SOLUTION without # BEGIN SOLUTION")
            else:
                out.append(line)
            continue
        if BEGIN.match(line):
            raise MarkerError(f"{name}, line {number}: # BEGIN SOLUTION inside another, opened on line {region[0]}")
        if END.match(line):
            indent, todo = region[1].group("indent"), region[1].group("todo")
            if indent:
                out += [f"{indent}# TODO: {todo or 'your code here.'}", f"{indent}raise NotImplementedError"]
            region = None
    if region is not None:
        raise MarkerError(f"{name}, line {region[0]}: # BEGIN SOLUTION is never closed")
    return re.sub(r"\n{4,}", "\n\n\n", "\n".join(out) + "\n")  # A region left out leaves no gap wider than PEP 8's.


def solution(source: str) -> str:
    """A solution file's text without its markers: what the solutions notebook shows."""
    return "\n".join(line for line in source.splitlines() if not (BEGIN.match(line) or END.match(line))) + "\n"


def assign(solutions: str | Path, exercises: str | Path) -> list[Path]:
    """Write each step's exercise into `exercises` from `solutions`; return the files that changed."""
    changed = []
    for step in FILE_STEPS:
        made = exercise((Path(solutions) / step.file).read_text(encoding="utf-8"), f"{solutions}/{step.file}")
        target = Path(exercises) / step.file
        if not target.exists() or target.read_text(encoding="utf-8") != made:
            target.write_text(made, encoding="utf-8")
            changed.append(target)
    return changed
