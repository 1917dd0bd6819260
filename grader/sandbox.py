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

from grader.quiet import QUIET_ENV
from grader.steps import STEPS

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    """What happened when one step's worker ran: its facts, or why there are none."""

    step: str
    folder: Path
    workdir: Path
    facts: dict = field(default_factory=dict)
    seconds: float = 0.0
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
        path = self.folder / (step.file or "")
        function = f"{step.function}()"
        status = self.status
        if status == "not_attempted":
            return (
                f"not attempted yet: {function} in {path} still raises NotImplementedError\n"
                f"Help: open {path}, replace `raise NotImplementedError` with your code, and grade again."
            )
        if status == "missing":
            return (
                f"{path} has no function {function}\n"
                f"Help: keep the name the exercise gives: def {step.function}(...)."
            )
        if status == "exit":
            return (
                f"{function} called sys.exit({self.facts['code']}), which would end the program\n"
                f"Help: return the result instead of exiting."
            )
        if status == "error":
            where = "".join(
                f"\n  {self.folder / file}, line {line}, in {name}\n    {code}"
                for file, line, name, code in self.facts.get("frames", [])
            )
            if self.facts.get("when") == "import":
                return (
                    f"importing {path} raised {self.facts['exception']}{where}\n"
                    f"Help: Python stops at the first error in a file; fix the line shown."
                )
            return f"{function} raised {self.facts['exception']}{where}\nHelp: {step.on_error}"
        if status == "timeout":
            return (
                f"{step.name} did not finish within {self.facts['limit']:g} s and was stopped\n"
                f"Help: look for a loop that never ends, or a call that waits for input."
                + self._tail()
            )
        if status == "crashed":
            return (
                f"the process running {step.name} ended before your code returned "
                f"({self.facts['ended']})\n"
                f"Help: something in your code ended Python (os._exit, os.kill, a crash in a "
                f"library); remove it." + self._tail()
            )
        return f"the grader itself failed; this is not your fault. Please report it:\n{self.facts.get('exception')}"

    def _tail(self, lines=8):
        tail = self.printed.strip().splitlines()[-lines:]
        if not tail:
            return ""
        return "\nYour code printed (last lines):" + "".join(f"\n  | {line}" for line in tail)


def run_step(step, folder, workdir, inputs=None, timeout=None):
    """Run `step` of the submission in `folder` in a worker process; return its Run."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name, array in (inputs or {}).items():
        np.save(workdir / f"{name}.npy", array)
    limit = timeout or STEPS[step].timeout
    env = {
        **os.environ,
        **QUIET_ENV,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
    }
    for variable in ("MNIST_DATA", "MNIST_CACHE", "KERAS_HOME"):  # The worker runs in another folder.
        if env.get(variable):
            env[variable] = str(Path(env[variable]).resolve())
    command = [sys.executable, "-m", "grader.worker", step, str(Path(folder).resolve()), str(workdir)]
    started = time.monotonic()
    with open(workdir / "printed.txt", "wb") as printed:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=printed,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            code = process.wait(limit)
            facts = None
        except subprocess.TimeoutExpired:
            code, facts = None, {"status": "timeout", "limit": limit}
        finally:
            _kill_group(process)
    run = Run(step, Path(folder), workdir, seconds=time.monotonic() - started)
    run.printed = (workdir / "printed.txt").read_text(errors="replace")
    result = workdir / "result.json"
    if facts is None and result.exists():
        try:
            facts = json.loads(result.read_text())
        except ValueError:
            facts = None
    run.facts = facts or {"status": "crashed", "ended": _ended(code)}
    return run


def _kill_group(process):
    """Stop the worker and anything it started, whether it finished or not."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _ended(code):
    if code is not None and code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit code {code}"
