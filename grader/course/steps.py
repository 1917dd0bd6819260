"""The course's steps, read from steps.toml: one source for order, files and dependencies."""

import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Step:
    """One step of the course; its texts are {"en": ..., "zh": ...} tables, read through text()."""

    name: str
    title: dict
    needs: tuple[str, ...]
    timeout: float
    file: str | None = None
    function: str | None = None
    on_error: dict | None = None
    explain: dict | None = None
    hints: tuple = ()
    input: str | None = None  # The array a data step is given: "images" or "labels" (grader/workers/protocol.py).
    worker: str | None = None  # Steps with the same worker run in one process, in order; by default each its own.
    trains: bool = False  # It trains a model: it starts only once the steps before it passed.
    keras: bool = False  # Its runner uses Keras: its worker starts from a process that imported it.
    reference: str | None = None  # The seed's own code for the step (grader/workers/compiled.py).

    def text(self, field):
        """A text of this step (title, on_error, explain) in the student's language."""
        from grader.course.i18n import pick

        return pick(getattr(self, field))


def _load():
    with open(HERE / "steps.toml", "rb") as f:
        meta = tomllib.load(f)
    steps = {}
    for raw in meta.pop("steps"):
        raw["needs"] = tuple(raw.get("needs", ()))
        raw["hints"] = tuple(raw.get("hints", ()))
        steps[raw["name"]] = Step(**raw)
    return steps, meta


STEPS, _META = _load()
SEED: int = _META["seed"]
ACCURACY_BAR: float = _META["accuracy_bar"]
REFERENCE_ACCURACY: float = _META["reference_accuracy"]  # About: what messages quote.
REFERENCE_BAND: tuple[float, float] = tuple(_META["reference_band"])  # Where every measured reference run lies.
INTRO: dict[str, str] = _META["intro"]
COMMENTS_ZH: dict[str, str] = _META["comments_zh"]  # The step files' comment blocks in Chinese.


# The steps a student writes a file for, in order.
FILE_STEPS = [step for step in STEPS.values() if step.file]


def worker_groups() -> list[tuple[str, ...]]:
    """The steps each worker process runs, as tuples in course order: those of one `worker` together. A worker
    whose steps train comes first: it is the longest, so it starts first."""
    groups: dict[str, list[str]] = {}
    for step in FILE_STEPS:
        groups.setdefault(step.worker or step.name, []).append(step.name)
    return sorted((tuple(names) for names in groups.values()), key=lambda names: not any(
        STEPS[name].trains for name in names))


def prerequisites(name: str) -> list[str]:
    """The steps `name` needs, directly or through others, in course order."""
    needs, todo = set(), list(STEPS[name].needs)
    while todo:
        need = todo.pop()
        needs.add(need)
        todo.extend(STEPS[need].needs)
    return [step for step in STEPS if step in needs]
