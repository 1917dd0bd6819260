"""What the grading shows on the terminal while it runs: lines in colour, and a progress bar while fit trains."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from grader.course.i18n import _

if TYPE_CHECKING:
    import pytest
    from _pytest.capture import CaptureManager

STYLES = {"✓": "green", "✗": "bold red", "–": "yellow"}


def write(config: pytest.Config, text: str) -> None:
    """Print to the terminal at once, past pytest's capture, in colour when it is one (and NO_COLOR is not set)."""
    capture = cast("CaptureManager", config.pluginmanager.get_plugin("capturemanager"))  # pytest's own plugin.
    with capture.global_and_fixture_disabled():
        console = _console()
        for line in text.split("\n"):
            console.print(_painted(line))


@contextlib.contextmanager
def training(config: pytest.Config, shown: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar for the epochs while fit trains, when `shown` and on a terminal; yields what to call
    with what the worker printed so far."""
    capture = cast("CaptureManager", config.pluginmanager.get_plugin("capturemanager"))  # pytest's own plugin.
    with capture.global_and_fixture_disabled():
        console = _console()
        if not (shown and console.is_terminal):
            yield lambda printed: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn(_("training")), BarColumn(), MofNCompleteColumn(), TextColumn(_("epochs")),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("fit", total=None)

            def update(printed):
                done, total = epochs(printed)
                bar.update(task, completed=done, total=total)

            yield update


def epochs(printed):
    """(epochs finished, epochs in all) from Keras's output ("Epoch 3/5" starts the third); (0, None) before."""
    found = re.findall(r"^Epoch (\d+)/(\d+)", printed, re.MULTILINE)
    if not found:
        return 0, None
    started, total = map(int, found[-1])
    return started - 1, total


def live() -> bool:
    """Whether the grading is watched as it runs, on a terminal: then notices that only matter meanwhile are shown."""
    return _console().is_terminal


def _console():
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=True, emoji=False, markup=False)


def _painted(line):
    """A report line with its mark coloured; rich drops the colour when it is not a terminal or NO_COLOR is set."""
    from rich.text import Text

    text = Text(line)
    mark = line.strip()[:1]
    if mark in STYLES:
        start = line.index(mark)
        text.stylize(STYLES[mark], start, start + 1)
        if not line.startswith(" "):
            text.stylize("bold", start + 2, start + 12)
    elif line and not line.startswith(" "):  # The total, the next step, the heading.
        text.stylize("bold")
    return text
