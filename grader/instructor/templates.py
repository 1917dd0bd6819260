"""The scripts and manifests the instructor's commands write, as files beside this module (template-NAME): the
cluster templates (grader/instructor/clusters.py) and Gradescope's setup.sh and run_autograder
(grader/instructor/gradescope.py). They travel in the wheel, so a pip-installed grader has them. Placeholders are
@@name; a shell's own $ stays as it is."""

from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent


class Filled(Template):
    delimiter = "@@"


def fill(name, values=None):
    """The template `name` (the file template-NAME here) with its placeholders filled from `values`; KeyError for
    a placeholder `values` lacks."""
    return Filled((HERE / f"template-{name}").read_text(encoding="utf-8")).substitute(values or {})
