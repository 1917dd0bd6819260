"""What every process the grader forks has in common: one way to become a child as a new process would start
(bootstrap, then ending with os._exit), and one interface for its parent to follow it (ProcessHandle), which
subprocess.Popen has too.

The grader forks workers from a host (grader/workers/host.py), a host into a sandbox, and a batch's gradings from a
warm server (grader/instructor/gradings.py): each such child leaves the parent's session, takes its own
environment, folder and standard streams, closes every other descriptor it inherited (other workers' pipes, what
the parent writes for the instructor), and never returns into the parent's code: it ends with os._exit, so that no
atexit hook or thread of the parent's, nor of student code, can hang it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import traceback
from typing import IO, TYPE_CHECKING, Callable, Collection, NoReturn, Protocol

if TYPE_CHECKING:
    from pathlib import Path


class ProcessHandle(Protocol):
    """The part of subprocess.Popen that the grader uses to follow a process it started: a worker, a host's fork,
    a sandbox's, a forked grading."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None:
        """The exit code once the process has ended (os.waitstatus_to_exitcode's), else None."""
        ...

    def wait(self) -> int | None:
        """Wait for the process to end; its exit code."""
        ...


class PipedHandle(ProcessHandle, Protocol):
    """A ProcessHandle with the pipes a worker is followed by: its stdin (the token, GO), its stdout (its reports)
    and its stderr (what it printed). Popen's may be None; a worker's never are."""

    stdin: IO[bytes] | None
    stdout: IO[bytes] | None
    stderr: IO[bytes] | None


class Forked:
    """A process forked by this one or, through a subreaper, come back to it: a ProcessHandle that reaps it."""

    def __init__(self, pid):
        self.pid, self.returncode = pid, None

    def poll(self):
        return self._reap(os.WNOHANG)

    def wait(self):
        while self._reap(0) is None:
            time.sleep(0.01)
        return self.returncode

    def _reap(self, flags):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # Reaped already, by stop_descendants() at the end of grading.
                pid, status = self.pid, 9  # As if killed: it was, or it had ended.
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def bootstrap(env: dict | None = None, cwd: str | Path | None = None,
              stdio: tuple[int | None, ...] = (None, None, None), keep: Collection[int] | None = None) -> None:
    """In a fresh fork: become a process of its own as a new one would start. A session of its own (killed as a
    group); `env`, when given, as its whole environment (and TMPDIR read again); `cwd`; the descriptors `stdio` as
    its stdin, stdout and stderr (None: that one kept); and, when `keep` is given, every other descriptor closed but
    those in it. Python's own streams on the new descriptors write UTF-8 whatever the locale, as the grader reads
    them."""
    os.setsid()
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
        tempfile.tempdir = None
    if cwd is not None:
        os.chdir(cwd)
    for target, fd in enumerate(stdio):
        if fd is not None:
            os.dup2(fd, target)
    if keep is not None:
        for fd in map(int, os.listdir("/proc/self/fd")):  # Read before a sandbox is entered: its /proc has no self.
            if fd > 2 and fd not in keep:
                with contextlib.suppress(OSError):
                    os.close(fd)
    # Python's streams on the new descriptors (a fork server's child has stdin on os.devnull).
    streams = [sys.stdin, sys.stdout, sys.stderr]
    for target, mode in ((0, "r"), (1, "w"), (2, "w")):
        if stdio[target] is not None:
            streams[target] = os.fdopen(target, mode, buffering=1, closefd=False, encoding="utf-8",
                                        errors="backslashreplace")
    sys.stdin, sys.stdout, sys.stderr = streams


def end(main: Callable[[], object], failed: int = 70) -> NoReturn:
    """Run main() in a child and end the process with the exit code it returns, never returning: what it raises is
    printed on stderr (the grader's error, not the student's) and ends it with `failed`; SystemExit with its
    code."""
    code: object = failed
    try:
        code = main()
    except SystemExit as exit:
        code = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else failed
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code if isinstance(code, int) and 0 <= code <= 255 else failed)
