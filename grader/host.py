"""Start a grading's workers from one process that has imported Keras once: python -m grader.host SPECS.

Each worker is its own process either way (grader/sandbox.py), but a new Python process spends
about 1.5 s of CPU importing Keras and JAX, and a grading has two workers that need them. On Linux,
with JAX, the grading process instead starts one host: it imports Keras (JAX is not initialized by
the import, so forking is safe), forks every worker with its own pipes, in its own session, before
any student code runs, reports their process ids and exits. The grading process, a subreaper,
becomes the workers' parent: it waits for them and reads their exit codes as it would a
subprocess's. A grading that a batch forked from its warm server (grader/gradings.py) has imported
Keras already: it is its own host. Elsewhere (macOS, Windows, TensorFlow, MNIST_PORTABLE=1) workers start as new
processes, which grade the same, a little slower.
"""

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import traceback

from grader import processes, runtime

HOST_LIMIT = 120  # Seconds for the host to import Keras and fork: a few, unless the machine is swamping.


def forking():
    """Whether workers and gradings are forked here at all: Linux, hardened, JAX (grader/gradings.py too)."""
    return processes.hardened() and sys.platform.startswith("linux") and runtime.backend() == "jax"


def usable():
    """Whether this grading process can fork its workers from a host."""
    return forking() and processes.is_subreaper()


def preload():
    """Import what workers use, Keras included, in a process they are forked from (a host, a batch's server)."""
    from grader.quiet import quiet

    quiet()
    import numpy  # noqa: F401

    import grader.network  # noqa: F401
    import grader.submission  # noqa: F401
    import grader.worker  # noqa: F401

    runtime.import_keras()


class Forked:
    """A worker the host forked, now this process's child: the part of subprocess.Popen that a Worker uses."""

    def __init__(self, pid, stdin, stdout, stderr):
        self.pid, self.returncode = pid, None
        # Unbuffered, as a Worker's Popen pipes are: a line written is sent at once.
        self.stdin = os.fdopen(stdin, "wb", buffering=0)
        self.stdout = os.fdopen(stdout, "rb", buffering=0)
        self.stderr = os.fdopen(stderr, "rb", buffering=0)

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


def fork(specs, env, cwd, user=None):
    """Start a worker for each of `specs` ({"steps", "folder", "workdir", "niceness"}) from a host.

    The host is this process when it has imported Keras already and runs no other thread (a grading
    a batch forked from its fork server, grader/gradings.py), else a new process. Returns a Forked
    for each spec, in order, or None when the host failed: then start them otherwise.
    """
    ends, kept, sent = [], [], []
    for spec in specs:
        (stdin_read, stdin_write), (out_read, out_write), (err_read, err_write) = os.pipe(), os.pipe(), os.pipe()
        ends.append((stdin_write, out_read, err_read))  # This process's ends.
        kept += [stdin_read, out_write, err_write]  # The worker's: closed here once it is forked.
        sent.append({**spec, "fds": [stdin_read, out_write, err_write]})
    try:
        pids = fork_here(sent, env) if user is None and forks_here() else fork_in_host(sent, env, cwd, user, kept)
    finally:
        for fd in kept:
            os.close(fd)
    if not (isinstance(pids, list) and len(pids) == len(specs)):
        for fd in (fd for trio in ends for fd in trio):
            os.close(fd)
        return None
    return [Forked(pid, *trio) for pid, trio in zip(pids, ends, strict=True)]


def forks_here():
    """Whether this process can fork workers itself: Keras is imported and no other thread runs."""
    return "keras" in sys.modules and threading.active_count() == 1 and len(os.listdir("/proc/self/task")) == 1


def fork_here(specs, env=None):
    """Fork a worker for each spec from this process, with `env` as its environment when given; their pids."""
    pids = []
    for spec in specs:
        pid = os.fork()
        if pid == 0:
            if env is not None:
                os.environ.clear()
                os.environ.update(env)
            become_worker(spec)
        pids.append(pid)
    return pids


def fork_in_host(specs, env, cwd, user, kept):
    options = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
    try:
        host = subprocess.run([sys.executable, "-P", "-m", "grader.host", json.dumps(specs)], cwd=cwd, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, pass_fds=kept, timeout=HOST_LIMIT,
                              start_new_session=True, **options)
        return json.loads(host.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def main(specs):
    """In the host: import what workers use, fork one per spec, print their pids, exit."""
    try:
        preload()
    except BaseException:
        pass  # A worker imports it again, and reports what fails.
    pids = fork_here(specs)  # The environment is the host's own: the grading process gave it.
    sys.stdout.write(json.dumps(pids) + "\n")
    sys.stdout.flush()
    os._exit(0)


def become_worker(spec):
    """In a forked child: take the worker's pipes as stdin, stdout and stderr, and run its steps. Never returns.

    Every other file the host had open is closed, as a new process would not have it: other workers'
    pipes, and in a grading process what it writes for the instructor.
    """
    try:
        os.setsid()  # A session of its own, as start_new_session gives: killed as a group.
        os.chdir(spec["workdir"])
        for target, fd in enumerate(spec["fds"]):
            os.dup2(fd, target)
        for fd in map(int, os.listdir("/proc/self/fd")):
            if fd > 2:
                with contextlib.suppress(OSError):
                    os.close(fd)
        sys.path[:] = [path for path in sys.path if path not in ("", ".")]  # As python -P: not the work folder.
        # Python's own streams on the pipes (a fork server's child has stdin on os.devnull).
        sys.stdin, sys.stdout, sys.stderr = (os.fdopen(fd, mode, buffering=1, closefd=False)
                                             for fd, mode in ((0, "r"), (1, "w"), (2, "w")))
        if spec["niceness"]:
            os.nice(spec["niceness"])
        from grader.worker import main as worker_main

        worker_main(spec["steps"], spec["folder"], spec["workdir"])
    except BaseException:
        traceback.print_exc()  # Into what the worker printed: a grader error, not the student's.
    finally:
        os._exit(70)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
