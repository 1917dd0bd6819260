"""`mnist-grade --watch`: grade again each time a file of the submission is saved, until Ctrl-C.

Each grading runs in a process of its own, so nothing a student's file does (a half-saved line, a
syntax error, a crash) can stop the watching.
"""

import subprocess
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from grader.course.i18n import _
from grader.engine.spawn import in_a_process

POLL, SETTLE = 0.3, 0.3  # Seconds between looks at the files; seconds a save is given to finish.


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


def watch(folder, options):
    """Grade `folder` now and after each save, with `options` (GradingOptions), each time in a process of its own."""
    shown = folder if Path(folder).is_file() else f"{folder}/"
    print(_("Watching {folder}: save a file to grade again; Ctrl-C stops.", folder=shown), flush=True)
    seen, changed = None, []
    try:
        while True:
            current = snapshot(folder)
            if current != seen:
                time.sleep(SETTLE)  # An editor may write a file in several steps.
                current = snapshot(folder)
                changed = [name for name in current if seen is not None and current[name] != seen.get(name)]
                seen = current
                grade(folder, options, changed)
            time.sleep(POLL)
    except KeyboardInterrupt:
        print(_("Stopped watching."), flush=True)
        return 0


RULE = "─" * 60  # Above each grading, so that a new one never reads as part of the last.


def grade(folder, options, changed):
    stamp = datetime.now().strftime("%H:%M:%S")
    if changed:
        print("\n" + RULE + "\n" + _("[{time}] {files} saved: grading again", time=stamp, files=", ".join(changed)),
              flush=True)
    else:
        print("\n" + RULE + "\n" + _("[{time}] grading", time=stamp), flush=True)
    in_a_process(replace(options, submission=str(folder), style="compact"), stdin=subprocess.DEVNULL)
