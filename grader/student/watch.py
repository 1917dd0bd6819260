"""`mnist-grade --watch`: grade again each time a file of the submission is saved, until Ctrl-C.

A save grades again only the steps of the files saved and the steps that depend on them (saving normalize.py never
retrains: fit is given the grader's own data); the others keep their last result. Each grading is a process of
its own, so nothing a student's file does (a half-saved line, a syntax error, a crash) can stop the watching. Where
workers are forked (Linux, JAX: grader/workers/host.py), it is forked from a warm server that loaded the grader,
Keras and MNIST once (grader/engine/warm.py), and forks its workers itself: a data step's verdict comes a fraction
of a second after the save. File events come from the OS (watchfiles) where it is installed; elsewhere the folder is
polled.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.i18n import _
from grader.course.steps import FILE_STEPS, STEPS, prerequisites
from grader.engine.spawn import in_a_process

if TYPE_CHECKING:
    from grader.engine.options import GradingOptions

POLL = 0.05  # Seconds between looks at the files, where the OS gives no events.
SETTLE = 0.02  # Seconds between two looks that must agree before a save is graded.
STEP_MS, DEBOUNCE_MS = 30, 400  # watchfiles: a save is over once 30 ms pass without a change (an editor may write a
# file in several steps), and changes are grouped for 400 ms at most.
RULE = "─" * 60  # Above each grading, so that a new one never reads as part of the last.


def snapshot(folder):
    """The modification time and size of each .py file in `folder`; files that vanish meanwhile are skipped."""
    found = {}
    paths = [Path(folder)] if Path(folder).is_file() else sorted(Path(folder).glob("*.py"))  # A notebook, or a folder.
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        found[path.name] = (stat.st_mtime_ns, stat.st_size)
    return found


def watch(folder: str | Path, options: GradingOptions) -> int:
    """Grade `folder` now and after each save, with `options` (GradingOptions), each time in a process of its own."""
    shown = folder if Path(folder).is_file() else f"{folder}/"
    print(_("Watching {folder}: save a file to grade again; Ctrl-C stops.", folder=shown), flush=True)
    from grader.data import ensure
    from grader.engine.grading import fetch_data

    code, _found = fetch_data(lambda bar: ensure(progress=bar))  # Here, with its progress bar, if it downloads.
    if code:
        return code
    gradings, seen = Gradings(options), snapshot(folder)  # A save while the first grading runs grades again.
    try:
        last = grade(gradings, folder, options)
        for changed in saves(folder, seen):
            last = grade(gradings, folder, options, changed, last)
    except KeyboardInterrupt:
        print(_("Stopped watching."), flush=True)
        return 0
    return 0  # The file events ended: exit 0, as falling off the end here did (sys.exit(None)).


def saves(folder, seen):
    """Each save in `folder` since `seen` (a snapshot): the names of the files it changed, added or removed, once
    they have stopped changing (an editor may write a file in several steps)."""
    for event in events(folder):
        current = snapshot(folder) if event is not None else settled(folder)  # watchfiles waits for it itself.
        changed = sorted(name for name in set(current) | set(seen) if current.get(name) != seen.get(name))
        seen = current
        if changed:
            yield changed


def settled(folder):
    """snapshot(folder), once two looks SETTLE seconds apart agree (for a second at most)."""
    current = snapshot(folder)
    for _look in range(int(1 / SETTLE)):
        time.sleep(SETTLE)
        if (again := snapshot(folder)) == current:
            break
        current = again
    return current


def events(folder):
    """Something may have changed in `folder` (or the notebook): the OS's file events, and a look each second
    besides (a save made as the watching started), each a set; else None every POLL seconds."""
    try:
        import watchfiles
    except ImportError:
        watchfiles = None
    if watchfiles is not None:
        path = Path(folder)
        try:
            yield from watchfiles.watch(path.parent if path.is_file() else path, step=STEP_MS, debounce=DEBOUNCE_MS,
                                        recursive=False, raise_interrupt=True, rust_timeout=1000,
                                        yield_on_timeout=True)
            return
        except (OSError, RuntimeError):
            pass  # No events here (a file system without them): poll.
    while True:  # saves() looks at the files each time.
        time.sleep(POLL)
        yield None


def regraded(changed):
    """The steps a save of the files `changed` grades again: theirs and those that depend on them, in course
    order; None (every step) when a file is not one step's (a module of the student's own, a notebook)."""
    by_file = {step.file: step.name for step in FILE_STEPS}
    if any(name not in by_file for name in changed):
        return None
    saved = {by_file[name] for name in changed}
    return [step for step in STEPS if step in saved or saved & set(prerequisites(step))]


def grade(gradings, folder, options, changed=None, last=None):
    """Grade `folder` (the steps a save of `changed` changed, keeping `last`'s others) and show it as watch mode
    does; the Grade shown, or None when there was none (the grading said why)."""
    from grader.results import render

    steps = regraded(changed) if changed and last is not None and options.step is None else None
    stamp = datetime.now().strftime("%H:%M:%S")
    if not changed:
        heading = _("[{time}] grading", time=stamp)
    elif steps is None:
        heading = _("[{time}] {files} saved: grading again", time=stamp, files=", ".join(changed))
    else:
        heading = _("[{time}] {files} saved: grading {steps} again", time=stamp, files=", ".join(changed),
                    steps=", ".join(steps))
    print("\n" + RULE + "\n" + heading, flush=True)
    shown = last
    for phase in phases(steps):
        graded = gradings.run(replace(options, submission=str(folder), steps=phase, style="silent"))
        if graded is None or not graded.checks:
            return None
        shown = shown.merged(graded) if steps is not None else graded
        if phase != steps:  # What is known before training: at once.
            print("\n".join([*(render.step_block(shown, step) for step in phase),
                             _("{steps}: training again…", steps=", ".join(s for s in steps if s not in phase))]),
                  flush=True)
    print(render.compact(shown), flush=True)
    return shown


def phases(steps):
    """The gradings a save makes of `steps`: those that do not train first, their verdict shown at once, then those
    that do (and depend on them); one grading of every step when `steps` is None."""
    if steps is None:
        return [None]
    trains = [step for step in steps if any(STEPS[need].trains for need in (step, *prerequisites(step)))]
    quick = [step for step in steps if step not in trains]
    return [quick, steps] if quick and trains else [steps]


class Gradings:
    """Where watch's gradings run: each forked from a warm server where workers are forked, else a new process.
    The server starts with the first grading, in the background of its own process."""

    def __init__(self, options):
        from grader.workers.host import forking

        self.context = None
        if forking():
            from grader.backend import runtime
            from grader.backend.quiet import QUIET_ENV

            for key, value in {**QUIET_ENV, **runtime.environment(runtime.device(options.device))}.items():
                os.environ.setdefault(key, value)  # What the server's imports read.
            multiprocessing.set_forkserver_preload(["grader.engine.warm"])
            self.context = multiprocessing.get_context("forkserver")

    def run(self, options):
        """Grade with `options`; the Grade, or None when the grading made none."""
        from grader.results.grade import Grade

        with tempfile.TemporaryDirectory(prefix="mnist-watch-") as scratch:
            path = Path(scratch) / "grade.json"
            options = replace(options, grade_file=str(path))
            if not self._forked(options):
                in_a_process(options, stdin=subprocess.DEVNULL)
            try:
                return Grade.from_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None

    def _forked(self, options):
        """Grade `options` in a fork of the warm server; False where there is none."""
        if self.context is None:
            return False
        try:
            process = self.context.Process(target=forked_grading, args=(options.to_json(),), daemon=False)
            process.start()
        except (OSError, EOFError, ValueError, RuntimeError):
            self.context = None  # The server is gone (student code may kill it): new processes from now on.
            return False
        process.join()
        return True


def forked_grading(options):
    """In a fork of the warm server: grade the options (JSON), as `python -m grader.engine` would."""
    from grader.engine.grading import run
    from grader.engine.options import GradingOptions
    from grader.results.console import fit

    fit()  # What it says on stderr, on the watching console.
    sys.exit(run(GradingOptions.from_json(options))[0])
