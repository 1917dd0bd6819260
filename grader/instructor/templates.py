"""The scripts and manifests the instructor's commands write, as files beside this module (template-NAME): the
cluster templates (grader/instructor/clusters.py) and Gradescope's setup.sh and run_autograder
(grader/instructor/gradescope.py). They travel in the wheel, so a pip-installed grader has them. Placeholders are
@@name; a shell's own $ stays as it is."""

from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent


class Filled(Template):
    delimiter = "@@"


def fill(name: str, values: dict | None = None) -> str:
    """The template `name` (the file template-NAME here) with its placeholders filled from `values`; KeyError for
    a placeholder `values` lacks."""
    return Filled((HERE / f"template-{name}").read_text(encoding="utf-8")).substitute(values or {})


def bundled(grader: Path) -> list[Path]:
    """The files of the package folder `grader` that travel in the bundles that carry the grader's source
    (Gradescope's autograder.zip, Classroom 50's source/), by their path in it: its modules and data, and these
    templates; no compiled file."""
    found = (path.relative_to(grader) for path in sorted(grader.rglob("*")) if path.is_file())
    return [path for path in found if "__pycache__" not in path.parts
            and (path.suffix in (".py", ".toml", ".ini", ".txt") or path.name.startswith("template-"))]
