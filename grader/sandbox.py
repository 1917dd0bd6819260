"""Run one step of student code in a separate process, with a time limit, and read back what it did.

The student's code never runs in the process that decides the grade: whatever it raises, prints,
hangs on or kills, the grading process only sees files in a work folder, or their absence.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader import runtime
from grader.i18n import _
from grader.quiet import QUIET_ENV
from grader.steps import STEPS
from grader.worker import GATED

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    """What happened when one step's worker ran: its facts, or why there are none."""

    step: str
    folder: Path
    workdir: Path
    facts: dict = field(default_factory=dict)
    seconds: float = 0.0
    shown: str | None = None  # The notebook the folder was read from, named in messages instead of its files.
    printed: str = ""

    @property
    def status(self):
        return self.facts.get("status", "crashed")

    def array(self, name):
        """An array the worker saved, or None when the student's function returned no array."""
        path = self.workdir / f"{name}.npy"
        return np.load(path) if path.exists() else None

    def problem(self):
        """Why the student's code did not return normally, as a message with a help line; None if it did."""
        if self.status == "ok":
            return None
        step = STEPS[self.facts.get("step", self.step)]
        path = self.shown or self.folder / (step.file or "")
        function = f"{step.function}()"
        status = self.status
        if status == "not_attempted":
            return (
                _("not attempted yet: {function} in {path} still raises NotImplementedError", function=function, path=path)
                + "\n" + _("Help: open {path}, replace `raise NotImplementedError` with your code, and grade again.", path=path)
            )
        if status == "missing":
            return (
                _("{path} has no function {function}", path=path, function=function)
                + "\n" + _("Help: keep the name the exercise gives: def {function}(...).", function=step.function)
            )
        if status == "exit":
            return (
                _("{function} called sys.exit({code}), which would end the program", function=function, code=self.facts["code"])
                + "\n" + _("Help: return the result instead of exiting.")
            )
        if status == "error":
            where = "".join(
                "\n" + (_("  {path}, in {name}", path=self.shown, name=name) if self.shown else
                        _("  {path}, line {line}, in {name}", path=self.folder / file, line=line, name=name)) + f"\n    {code}"
                for file, line, name, code in self.facts.get("frames", [])
            )
            if self.facts.get("when") == "import":
                return (
                    _("importing {path} raised {exception}", path=path, exception=self.facts["exception"]) + where
                    + "\n" + _("Help: Python stops at the first error in a file; fix the line shown.")
                )
            return (_("{function} raised {exception}", function=function, exception=self.facts["exception"]) + where
                    + "\n" + _("Help: {help}", help=step.text("on_error")))
        if status == "timeout":
            return (
                _("{step} did not finish within {limit} s and was stopped", step=step.name, limit=f"{self.facts['limit']:g}")
                + "\n" + _("Help: look for a loop that never ends, or a call that waits for input.")
                + self._tail()
            )
        if status == "crashed":
            return (
                _("the process running {step} ended before your code returned ({ended})", step=step.name, ended=self.facts["ended"])
                + "\n" + _("Help: something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.")
                + self._tail()
            )
        return _("the grader itself failed; this is not your fault. Please report it:") + f"\n{self.facts.get('exception')}"

    def _tail(self, lines=8):
        tail = self.printed.strip().splitlines()[-lines:]
        if not tail:
            return ""
        return "\n" + _("Your code printed (last lines):") + "".join(f"\n  | {line}" for line in tail)


class Worker:
    """A worker process running one or more steps of the submission in `folder`, in order, started at once.

    result(step) waits for that step's facts and returns its Run. Each step has its time limit,
    counted from when it could start: when the worker started, or when the step before it ended, or
    for a gated step (fit) when it was let go.
    """

    def __init__(self, steps, folder, workdir, inputs=None, timeout=None, niceness=0, shown=None):
        self.steps, self.folder, self.workdir, self.timeout = list(steps), Path(folder), workdir, timeout
        self.shown = shown
        workdir.mkdir(parents=True, exist_ok=True)
        for name, array in (inputs or {}).items():
            np.save(workdir / f"{name}.npy", array)
        env = {
            **os.environ,
            **QUIET_ENV,
            **runtime.environment(),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
        }
        for variable in ("MNIST_DATA", "MNIST_CACHE", "KERAS_HOME"):  # The worker runs in another folder.
            if env.get(variable):
                env[variable] = str(Path(env[variable]).resolve())
        command = [sys.executable, "-m", "grader.worker", ",".join(self.steps), str(self.folder.resolve()), str(workdir)]
        self.clock = time.monotonic()  # When the step being waited for could start.
        with open(workdir / "printed.txt", "wb") as printed:
            self.process = subprocess.Popen(
                command, cwd=workdir, env=env, stdin=subprocess.PIPE, stdout=printed,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
            )
        self.runs = {}

    def result(self, step, watch=None):
        """The Run of `step`: its facts once the worker writes them, or why there are none.

        While waiting for `step` itself, watch(what the worker printed so far) is called now and then.
        """
        if step not in self.runs:
            for earlier in self.steps[: self.steps.index(step) + 1]:
                if earlier not in self.runs:
                    self.runs[earlier] = self._wait(earlier, watch if earlier == step else None)
        return self.runs[step]

    def _wait(self, step, watch=None):
        if step in GATED:
            self._let_go()
        limit = self.timeout or STEPS[step].timeout
        path = self.workdir / f"result-{step}.json"
        facts, code, watched = None, None, 0.0
        while facts is None:
            if path.exists():
                facts = json.loads(path.read_text())
            elif (code := self.process.poll()) is not None:
                facts = json.loads(path.read_text()) if path.exists() else {"status": "crashed", "ended": _ended(code)}
            elif time.monotonic() - self.clock > limit:
                facts = {"status": "timeout", "limit": limit}
            else:
                time.sleep(0.01)
                if watch and time.monotonic() - watched > 0.25:
                    watched = time.monotonic()
                    watch((self.workdir / "printed.txt").read_text(errors="replace"))
        if facts["status"] != "ok" or step == self.steps[-1]:
            self.stop()
        run = Run(step, self.folder, self.workdir, facts, seconds=time.monotonic() - self.clock, shown=self.shown)
        run.printed = (self.workdir / "printed.txt").read_text(errors="replace")
        self.clock = time.monotonic()
        return run

    def _let_go(self):
        try:
            self.process.stdin.write(b"go\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # The worker has ended; _wait reports how.
        self.clock = time.monotonic()

    def stop(self):
        """Stop the worker and anything it started, whether it finished or not."""
        _kill_group(self.process)
        if self.process.stdin:
            self.process.stdin.close()


def _kill_group(process):
    """Stop the worker and anything it started, whether it finished or not."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _ended(code):
    if code is not None and code < 0:
        return _("killed by signal {signal}", signal=signal.Signals(-code).name)
    return _("exit code {code}", code=code)
