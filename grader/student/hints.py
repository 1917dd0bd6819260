"""`mnist-grade hint STEP`: the step's next hint each time it is asked, never its solution.

How many hints each step has shown is kept in a small JSON file outside the submission: in
$MNIST_STATE, by default the user's state folder.
"""

import json

from grader.course.i18n import _, again, pick
from grader.course.steps import STEPS
from grader.data.files import write_whole
from grader.data.folders import user_folder


def state_file():
    return user_folder("MNIST_STATE", "state") / "hints.json"


def shown():
    """How many hints each step has shown; a missing or damaged file counts as none."""
    try:
        levels = json.loads(state_file().read_text(encoding="utf-8"))
        return {step: int(level) for step, level in levels.items() if step in STEPS}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def remember(levels):
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, json.dumps(levels, indent=1))


def next_hint(name: str, reset: bool = False, lang: str | None = None) -> str:
    """The text `mnist-grade hint NAME` prints: its next hint, after the step's explanation the first time. The
    commands it suggests carry `lang`, the --lang it was given."""
    step = STEPS[name]
    levels = shown()
    if reset:
        levels.pop(name, None)
        remember(levels)
        return _("Hints for {step} start again from the first.", step=name)
    level = min(levels.get(name, 0) + 1, len(step.hints))
    levels[name] = level
    remember(levels)
    # The step's explanation comes with the first hint only: each later one shows just what is new.
    lines = [f"{name}: {step.text('title')}", step.text("explain"), ""] if level == 1 else []
    lines += [
        _("Hint {level} of {count}: {hint}", level=level, count=len(step.hints), hint=pick(step.hints[level - 1])),
        "",
    ]
    if level < len(step.hints):
        lines.append(_("Ask again for the next hint: {command}", command=again(f"mnist-grade hint {name}", lang)))
    else:
        lines.append(_("That was the last hint. `{command}` shows what is still wrong.",
                       command=again(f"mnist-grade --step {name}", lang)))
    return "\n".join(lines)
