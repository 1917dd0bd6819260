"""Start a batch's gradings: forked from a server that has imported the grader and Keras once, where that works.

A grading started as `python -m grader.engine OPTIONS` spends seconds of CPU before it grades anything
(INSTRUCTORS.md): Python, pytest and the grader, then Keras and JAX in the process its workers come from. On Linux,
with JAX, a batch instead asks a fork server (multiprocessing's) that imported all that once
(grader/engine/warm.py): each grading is a fork of it, in a session of its own, writing to its own file,
and forks its workers itself (grader/workers/host.py). Everything else is as with a new process: the same
options file, limits, files and exit code. Elsewhere, or when the server cannot start one, a
grading is a new process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import time
from typing import IO

from grader.workers import processes
from grader.workers.children import ProcessHandle, bootstrap, end
from grader.workers.users import grader_command, grader_environment

# What a grading prints is read back as UTF-8 (isolated.run_limited()): its streams' encoding, whatever the locale's.
PRINTED_IN_UTF8 = {"PYTHONIOENCODING": "utf-8:backslashreplace"}


def can_fork_gradings() -> bool:
    """Whether gradings can be forked from a server here: where workers are forked (grader/workers/host.py), unless
    the server could not start."""
    from grader.workers.host import forking

    return forking() and not UNAVAILABLE


def prepare(env: dict[str, str], clean: bool = False) -> None:
    """Set what the server's imports read once (backend, device, JAX's cache, thread pools); call before start().

    A `clean` server (for sandboxed gradings, whose workers start from their memory) starts now, with only the
    variables a sandboxed grading keeps (bubblewrap.grading_environment): none of this process's secrets.
    """
    for key, value in env.items():
        os.environ.setdefault(key, value)
    multiprocessing.set_forkserver_preload(["grader.engine.warm"])
    processes.become_subreaper()  # A grading whose server died comes back to this process (ForkedGrading).
    global CLEAN, UNAVAILABLE
    CLEAN, UNAVAILABLE = clean, not socket_fits()
    if clean and not UNAVAILABLE:
        from multiprocessing import forkserver

        with _environment():
            forkserver.ensure_running()


CLEAN = False  # Whether the server starts with a sandboxed grading's variables only (prepare()).
UNAVAILABLE = False  # Whether the server cannot start here (socket_fits()): each grading is then a new process.


def socket_fits() -> bool:
    """Whether the server's socket can be made: its path, in multiprocessing's folder in TMPDIR (which a test or a
    cluster's job may make deep), must fit a Unix socket's 107 bytes."""
    from multiprocessing import util

    return len(os.path.join(util.get_temp_dir(), "listener-12345678").encode()) <= 107


def _environment():
    """Within: the variables a new server starts with; for a clean one, only a sandboxed grading's.

    Each of a clean batch's gradings keeps those alone anyway, so a thread that reads them meanwhile reads the same.
    """
    from grader.workers.bubblewrap import only_grading_environment

    return only_grading_environment() if CLEAN else contextlib.nullcontext()


class ForkedGrading:
    """A grading forked by the server: a ProcessHandle (grader/workers/children.py), as run_limited() uses it.

    The server reaps the grading and reports its exit code. If the server has died (student code can
    kill it), the grading goes on as an orphan of the batch process, a subreaper (prepare()), which
    then reaps it itself; later gradings get a new server.
    """

    def __init__(self, process):
        self.process, self.pid, self.returncode = process, process.pid, None

    def poll(self):
        if self.returncode is None and self.process.exitcode is not None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)  # Ours only if the server died before it ended.
            except ChildProcessError:
                if not processes.running(self.pid):  # Reaped by the server, whose code is the code.
                    self.returncode = self.process.exitcode
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self):
        while self.poll() is None:
            time.sleep(0.05)
        return self.returncode


def start(options: str, output: IO[bytes], env: dict[str, str]) -> ProcessHandle:
    """Start `python -m grader.engine OPTIONS` (a grading's options, as JSON in the file `options`) with `env`, what
    it prints going to the open file `output`, in UTF-8 whatever the locale's encoding (GBK on Chinese Windows).

    Forked from the server when can_fork_gradings(), else a new process. Returns a Popen or a ForkedGrading.
    """
    if can_fork_gradings():
        try:
            process = multiprocessing.get_context("forkserver").Process(
                target=grading, args=(options, output.name, env), daemon=False)
            with _environment():  # A server started again, if the first has died, is as clean.
                process.start()
            return ForkedGrading(process)
        except (OSError, EOFError, ValueError, RuntimeError):
            pass  # The server is gone (student code may kill it): a new process, as elsewhere.
    return subprocess.Popen(grader_command("grader.engine", options), stdout=output, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env={**grader_environment(env), **PRINTED_IN_UTF8},
                            **processes.popen_options())


def grading(options, path, env):
    """In the forked child: what `python -m grader.engine OPTIONS` would do, printing into `path`. Never returns."""

    def run():
        output = os.open(path, os.O_WRONLY | os.O_APPEND)
        bootstrap(env={**env, **PRINTED_IN_UTF8}, stdio=(None, output, output))  # PRINTED_IN_UTF8: for what it starts.
        os.close(output)
        from grader.engine.grading import run_file

        return run_file(options)

    end(run, failed=1)
