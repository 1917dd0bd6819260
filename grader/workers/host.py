"""Start a grading's workers from a process that has imported what they use: python -m grader.workers.host < SPECS.

Each worker is its own process either way (grader/workers/handle.py), but a new Python process spends
a second or more of CPU importing Keras and JAX (bench/loop.py), which only the workers whose steps use Keras need.
On Linux, with JAX, the grading process instead starts a host for them as it starts (Prestarted): it imports Keras
(JAX is not initialized by the import, so forking is safe) while the grading starts, then forks each such worker
with its own pipes, in its own session, before any student code runs, reports their process ids and exits. The
other workers are forked at once, from the grading process itself where it runs one thread, else from a host that
imports no Keras. The grading process, a subreaper,
becomes the workers' parent: it waits for them and reads their exit codes as it would a
subprocess's. A grading that a batch forked from its warm server (grader/instructor/gradings.py) has imported
Keras already: it is its own host. Elsewhere (macOS, Windows, TensorFlow, MNIST_PORTABLE=1) workers start as new
processes, which grade the same, a little slower.

In a sandbox (grader/workers/bubblewrap.py) the host is a fork of such a process that enters the sandbox
(grader/workers/namespaces.py) before it forks the workers there, and stays: their parent, it reports how
each one ends (Hosted). The sandbox's workers then start as warm as the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypedDict

from grader.backend import runtime
from grader.workers import processes
from grader.workers.children import Forked, bootstrap, end
from grader.workers.users import as_user, grader_command

if TYPE_CHECKING:
    import pwd

HOST_LIMIT = 120  # Seconds for the host to import Keras and fork: a few, unless the machine is swamping.
JOIN_LIMIT = 60  # Seconds for a host to enter a sandbox and fork its workers there: well under one.
REPORT_LIMIT = 1 << 16  # Bytes: a host's report line is a few dozen.


class WorkerSpec(TypedDict):
    """What a host needs to fork one worker (handle.Worker.spec()): its steps ("reshape,normalize"), the submission's
    copy, its inputs and scratch folders, its niceness and its variables."""

    steps: str
    folder: str
    inputs: str
    workdir: str
    niceness: int
    env: dict[str, str]


class Sandbox(Protocol):
    """What a host enters (bubblewrap.Sandbox, open): the namespaces of the process `pid`."""

    pid: int | None


class HostError(Exception):
    """A host could not enter the sandbox or start its workers there; the message says why."""


def forking() -> bool:
    """Whether workers and gradings are forked here at all: Linux, hardened, JAX (grader/instructor/gradings.py too)."""
    return processes.hardened() and sys.platform.startswith("linux") and runtime.backend() == "jax"


def can_fork_workers() -> bool:
    """Whether this grading process can fork its workers from a host."""
    return forking() and processes.is_subreaper()


def preload() -> None:
    """Import what workers use, Keras included, in a process they are forked from (a host, a batch's server).
    Keras first: it takes the longest, and a prestarted host is waited for until it has it."""
    runtime.import_keras()

    import grader.backend.reference  # noqa: F401
    import grader.workers.student_code  # noqa: F401
    import grader.workers.worker  # noqa: F401
    from grader.workers.runners import runner

    runner("build")  # Every runner's module.


class ForkedWorker(Forked):
    """A worker a host forked, now this process's child: the part of subprocess.Popen that a Worker uses."""

    def __init__(self, pid, stdin, stdout, stderr):
        super().__init__(pid)
        # Unbuffered, as a Worker's Popen pipes are: a line written is sent at once.
        self.stdin = os.fdopen(stdin, "wb", buffering=0)
        self.stdout = os.fdopen(stdout, "rb", buffering=0)
        self.stderr = os.fdopen(stderr, "rb", buffering=0)


class Hosted(ForkedWorker):
    """A worker that a host in the sandbox forked and waits for: how it ended comes from the host's reports."""

    def __init__(self, pid, stdin, stdout, stderr, reports):
        super().__init__(pid, stdin, stdout, stderr)
        self.reports = reports

    def _reap(self, flags):
        if self.returncode is None:
            self.returncode = self.reports.ended(self.pid, wait=not flags)
        return self.returncode


class Reports:
    """What a host in the sandbox says, read as it comes: that it entered the sandbox, its workers' process ids,
    and each one's exit code as it ends. When the host itself has ended, a worker it did not report is counted
    as killed: it is, with its sandbox, once the grading ends."""

    def __init__(self, descriptor):
        self.pipe = os.fdopen(descriptor, "rb", buffering=0)
        self.said, self.codes, self.done = {}, {}, False
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        unread = b""
        while chunk := processes.read_chunk(self.pipe):
            *lines, unread = (unread + chunk).split(b"\n")
            unread = unread[-REPORT_LIMIT:]
            for line in lines:
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    self._take(json.loads(line))
        with self.changed:
            self.done = True
            self.changed.notify_all()

    def _take(self, report):
        with self.changed:
            if "ended" in report:
                self.codes[int(report["ended"])] = int(report["code"])
            else:
                self.said.update(report)
            self.changed.notify_all()

    def wait_for(self, key, timeout):
        """What the host said for `key` ("joined", "pids"), once it has; None when it ended or timed out first.
        A host that failed says "error", which is returned instead."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while key not in self.said and "error" not in self.said and not self.done:
                if not self.changed.wait(max(0, deadline - time.monotonic())) and time.monotonic() > deadline:
                    break
            if "error" in self.said:
                return {"error": self.said["error"]}
            return self.said.get(key)

    def ended(self, pid, wait=False):
        """The exit code of the worker `pid`, once it has ended (os.waitstatus_to_exitcode's); else None."""
        with self.changed:
            while wait and pid not in self.codes and not self.done:
                self.changed.wait(1)
            if pid in self.codes:
                return self.codes[pid]
            return -9 if self.done else None

    def close(self):
        with contextlib.suppress(OSError):
            self.pipe.close()


class Prestarted:
    """A host that imports Keras from the start of a grading, while the grading process reads MNIST and starts
    pytest, then forks the `count` workers that use Keras when fork() gives their specs: the import costs
    the grading no time of its own. Made by prestart() (grader/workers/handle.py) where workers are forked and
    this process has not imported Keras itself."""

    def __init__(self, count, env, cwd):
        self.ends, kept, sent = _pipes([{}] * count)
        self.fds = [spec["fds"] for spec in sent]  # The workers' ends, as the host has them.
        try:
            self.process = subprocess.Popen(
                grader_command("grader.workers.host", "warm"), cwd=cwd, env=env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pass_fds=kept, start_new_session=True)
        except OSError:
            self.process = None
        finally:
            for fd in kept:
                os.close(fd)

    def fork(self, specs):
        """A ForkedWorker for each of `specs` (as many as it was made for), forked by the host once it has imported
        Keras; None when it failed: then they start otherwise."""
        if self.process is None or len(specs) != len(self.ends):
            return None
        sent = [{**spec, "fds": fds} for spec, fds in zip(specs, self.fds, strict=True)]
        try:
            out, _ = self.process.communicate(json.dumps({"specs": sent}).encode(), timeout=HOST_LIMIT)
            pids = json.loads(out)
        except (OSError, ValueError, subprocess.SubprocessError):
            pids = None
            processes.kill_tree(self.process)  # Stuck or gone: it forks nothing later onto pipes let go of.
        self.process = None
        if not (isinstance(pids, list) and len(pids) == len(specs)):
            return None
        ends, self.ends = self.ends, []
        return [ForkedWorker(pid, *trio) for pid, trio in zip(pids, ends, strict=True)]

    def close(self):
        """Stop the host if no worker was forked from it, and close what is left of its pipes."""
        if self.process is not None:
            processes.kill_tree(self.process)
            self.process = None
        _close(self.ends)
        self.ends = []


def fork(specs: Sequence[WorkerSpec], env: Mapping[str, str], cwd: str | os.PathLike[str],
         user: pwd.struct_passwd | None = None, keras: bool = True, prestarted: Prestarted | None = None
         ) -> list[ForkedWorker] | None:
    """Start a worker for each of `specs` ({"steps", "folder", "inputs", "workdir", "niceness", "env"}) from a host;
    workers whose steps use `keras` from one that imported it.

    The host is this process when it runs no other thread and has imported Keras already or the workers need
    none (a data step's, or a grading a batch forked from its fork server, grader/instructor/gradings.py), else a
    new process. Returns a ForkedWorker for each spec, in order, or None when the host failed: then start them
    otherwise.
    """
    if keras and user is None and prestarted is not None and (forked := prestarted.fork(specs)):
        return forked
    ends, kept, sent = _pipes(specs)
    try:
        if user is None and forks_here(keras):
            pids = fork_here(sent)
        else:
            pids = fork_in_host(sent, env, cwd, user, kept, keras)
    finally:
        for fd in kept:
            os.close(fd)
    if not (isinstance(pids, list) and len(pids) == len(specs)):
        _close(ends)
        return None
    return [ForkedWorker(pid, *trio) for pid, trio in zip(pids, ends, strict=True)]


def _pipes(specs):
    """For each spec, the pipes of its worker: (this process's ends, the worker's ends, the specs with them)."""
    ends, kept, sent = [], [], []
    for spec in specs:
        (stdin_read, stdin_write), (out_read, out_write), (err_read, err_write) = os.pipe(), os.pipe(), os.pipe()
        ends.append((stdin_write, out_read, err_read))  # This process's ends.
        kept += [stdin_read, out_write, err_write]  # The worker's: closed here once it is forked.
        sent.append({**spec, "fds": [stdin_read, out_write, err_write]})
    return ends, kept, sent


def _close(ends):
    for fd in (fd for trio in ends for fd in trio):
        os.close(fd)


def fork_in_sandbox(sandbox: Sandbox, specs: Sequence[WorkerSpec], env: Mapping[str, str], cwd: str,
                    user: pwd.struct_passwd | None = None, probe: bool = False) -> tuple[Reports, list[Hosted]]:
    """Start a worker for each of `specs` in `sandbox` (bubblewrap.Sandbox): from a host that enters it, forked from
    this process when forks_here(), else from a new process with `env` (a sandboxed worker's variables) that
    imports Keras first (not to `probe`, which only checks that a host can enter it and import the worker).

    Returns (the host's Reports, a Hosted for each spec); raises HostError when the host cannot enter it.
    """
    ends, kept, sent = _pipes(specs)
    report_read, report_write = os.pipe()
    kept.append(report_write)
    try:
        order = {"specs": sent, "sandbox": sandbox.pid, "report": report_write, "kept": kept, "probe": probe}
        failed = _start_sandbox_host(order, env, cwd, user)
    finally:
        for fd in kept:
            os.close(fd)
    reports = Reports(report_read)
    joined = reports.wait_for("joined", JOIN_LIMIT) if not failed else {"error": failed}
    pids = reports.wait_for("pids", JOIN_LIMIT) if joined is True else joined
    if not (isinstance(pids, list) and len(pids) == len(specs)):
        _close(ends)
        reports.close()
        raise HostError(pids["error"] if isinstance(pids, dict) else "the host in the sandbox did not say what "
                        "it started")
    return reports, [Hosted(pid, stdin, stdout, stderr, reports)
                     for pid, (stdin, stdout, stderr) in zip(pids, ends, strict=True)]


def _start_sandbox_host(order, env, cwd, user):
    """Fork the host that enters the sandbox of process order["sandbox"], here or from a new process (main(order));
    why it could not, or None."""
    if user is None and forks_here():
        if os.fork() == 0:
            sandbox_host(order["sandbox"], order["specs"], order["report"], order["kept"])
        return None
    try:
        started = subprocess.run(
            grader_command("grader.workers.host"), cwd=cwd, env=env, capture_output=True,
            input=json.dumps(order).encode(), pass_fds=order["kept"], timeout=HOST_LIMIT, start_new_session=True,
            **as_user(user))
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    if started.returncode != 0:
        return started.stderr.decode(errors="replace").strip() or f"the host ended with exit code {started.returncode}"
    return None


def sandbox_host(pid, specs, report, kept, probe=False):
    """In a fresh fork: enter the sandbox of process `pid`, fork the workers of `specs` there and stay their
    parent, writing on `report` how each one ends (or what failed). Only the descriptors in `kept` are kept. Never
    returns."""

    def host():
        try:
            bootstrap(stdio=(null, null, null), keep=kept)
            from grader.workers.namespaces import join

            join(pid)
            if probe:
                import grader.workers.worker  # noqa: F401  What a worker imports, read from the sandbox's files.
            _say(report, {"joined": True})
            pids = fork_here(specs)
            _say(report, {"pids": pids})
            left = set(pids)
            while left:
                ended, status = os.waitpid(-1, 0)
                if ended in left:
                    left.discard(ended)
                    _say(report, {"ended": ended, "code": os.waitstatus_to_exitcode(status)})
            return 0
        except BaseException:
            with contextlib.suppress(BaseException):
                _say(report, {"error": traceback.format_exc().strip().splitlines()[-1]})
            return 70

    null = os.open(os.devnull, os.O_RDWR)  # Nothing of the grading process's own output; closed by bootstrap.
    end(host)


def _say(descriptor, report):
    os.write(descriptor, json.dumps(report).encode() + b"\n")


def probe(sandbox: Sandbox, env: Mapping[str, str], user: pwd.struct_passwd | None = None) -> None:
    """Raise HostError unless a host started with `env` can enter `sandbox` and import the worker there."""
    reports, _workers = fork_in_sandbox(sandbox, [], env, "/", user, probe=True)
    reports.close()


def forks_here(keras: bool = True) -> bool:
    """Whether this process can fork workers itself: Keras is imported, or they need none (`keras` False), and no
    other thread runs."""
    return ((not keras or "keras" in sys.modules) and threading.active_count() == 1
            and len(os.listdir("/proc/self/task")) == 1)


def fork_here(specs):
    """Fork a worker for each spec from this process, with the spec's "env" as its environment; their pids."""
    pids = []
    for spec in specs:
        pid = os.fork()
        if pid == 0:
            become_worker(spec)
        pids.append(pid)
    return pids


def fork_in_host(specs, env, cwd, user, kept, keras=True):
    options = as_user(user)
    try:
        host = subprocess.run(grader_command("grader.workers.host"), cwd=cwd, env=env,
                              input=json.dumps({"specs": specs, "keras": keras}).encode(), capture_output=True,
                              pass_fds=kept,
                              timeout=HOST_LIMIT, start_new_session=True, **options)
        return json.loads(host.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def main(order):
    """In a new host: import what workers use, then fork one per spec and print their pids, or fork the host that
    enters the sandbox and print its pid; exit."""
    if not order.get("probe") and order.get("keras", True):
        try:
            preload()
        except BaseException:
            pass  # A worker imports it again, and reports what fails.
    if order.get("sandbox") is None:
        pids = fork_here(order["specs"])
    else:
        pids = [os.fork()]
        if pids[0] == 0:
            sandbox_host(order["sandbox"], order["specs"], order["report"], order["kept"], order.get("probe"))
    sys.stdout.write(json.dumps(pids) + "\n")
    sys.stdout.flush()
    os._exit(0)


def become_worker(spec):
    """In a forked child: take the worker's pipes as stdin, stdout and stderr, and run its steps. Never returns.

    Every other file the host had open is closed, as a new process would not have it: other workers'
    pipes, and in a grading process what it writes for the instructor. What fails here is printed into what the
    worker printed: a grader error, not the student's.
    """

    def worker():
        bootstrap(env=spec.get("env"), cwd=spec["workdir"], stdio=spec["fds"], keep=())
        sys.path[:] = [path for path in sys.path if path not in ("", ".")]  # As python -P: not the work folder.
        if hasattr(signal, "SIGALRM"):  # Not the grading process's time limit (pytest-timeout's), if forked from it.
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        if spec["niceness"]:
            os.nice(spec["niceness"])
        from grader.workers.worker import main as worker_main

        worker_main(spec["steps"], spec["folder"], spec["inputs"], spec["workdir"])  # Ends the process itself.

    end(worker)


if __name__ == "__main__":
    if sys.argv[1:] == ["warm"]:  # A Prestarted host: Keras first, then the order, whenever it comes.
        with contextlib.suppress(BaseException):
            preload()
        main({**json.loads(sys.stdin.read()), "keras": False})
    main(json.loads(sys.stdin.read()))
