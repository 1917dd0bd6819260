"""The sandbox's compiled programs (grader/workers/compiled.py), made by the grader's own code: a grading of the
seed's code for the model's steps (steps.toml's `reference`), outside the sandbox, once per machine and settings."""

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from grader.backend import runtime
from grader.course.i18n import _
from grader.course.steps import FILE_STEPS
from grader.engine.options import GradingOptions
from grader.engine.spawn import in_a_process
from grader.workers.compiled import folder, key

FILL_LIMIT = 600  # Seconds for the reference grading: 10 or so.



def fill(env: Mapping[str, str], device: str | None = "cpu", say: Callable[[str], object] | None = None) -> bool:
    """Compile the reference model's programs for workers that get `env` (a grading's environment), into
    folder(), unless done already (then say(what it does) first); return whether folder() holds them.
    Only where the backend is JAX. `device` is a settled one (GradingOptions.device); None is the CPU."""
    device = device or "cpu"
    env = {**env, **runtime.environment(device)}
    if runtime.backend() != "jax":
        return False
    done = folder() / f".filled-{key(env)}"
    if done.exists():
        return True
    folder().mkdir(parents=True, exist_ok=True)
    with one_at_a_time(folder() / ".filling"):  # Another grading filling it now: wait, then find it filled.
        return done.exists() or _fill(env, device, done, say)


@contextlib.contextmanager
def one_at_a_time(path: Path) -> Iterator[None]:
    """Within: this process alone of those that ask with the same `path` (a lock file; where the OS has fcntl)."""
    try:
        import fcntl
    except ImportError:  # Windows: no sandbox there, so nothing is filled.
        yield
        return
    try:
        lock = open(path, "a", encoding="utf-8")  # Closed below, once the lock is let go.
    except OSError:  # A folder this user cannot write: filling it fails anyway, and says so.
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _fill(env: dict[str, str], device: str, done: Path, say: Callable[[str], object] | None) -> bool:
    if say:
        say(_("Compiling the model's programs for the sandbox, once for this machine's settings (about 10 s)…"))
    with tempfile.TemporaryDirectory(prefix="mnist-reference-") as scratch:
        for step in FILE_STEPS:
            stub = f"def {step.function}(*args):\n    raise NotImplementedError\n"
            code = step.reference.lstrip() if step.reference else stub
            (Path(scratch) / step.file).write_text(code, encoding="utf-8")
        options = GradingOptions(scratch, step="fit", device=device)
        try:  # A grading of the grader's own code: no sandbox, no other user, the programs kept in folder().
            graded = in_a_process(options, env={**env, "MNIST_JAX_CACHE": str(folder()), "MNIST_WORKER_USER": ""},
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=FILL_LIMIT)
        except (OSError, subprocess.SubprocessError):
            return False
    if graded.returncode != 0:
        return False
    done.touch()
    os.chmod(folder(), 0o755)  # Readable by the user workers may run as (MNIST_WORKER_USER), writable by none.
    return True
