"""Process control on Linux, macOS and Windows, built on psutil: process trees, kill, priority, memory.

Where the OS has them (POSIX), workers also run in sessions of their own, and on Linux the grading
process is a subreaper, so that what student code leaves behind, even double-forked into a new
session, comes back to it and is stopped. Elsewhere, and with MNIST_PORTABLE=1 (how the tests try
the other code path on Linux), only what every OS has is used: a process and its descendants as
psutil finds them. Verdicts are the same either way; only what is left running can differ.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import IO, TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from grader.workers.children import ProcessHandle


def read_chunk(pipe: IO[bytes]) -> bytes:
    """A chunk from a pipe (a file object): b"" at its end, or when it was closed."""
    try:
        return os.read(pipe.fileno(), 1 << 16)
    except (OSError, ValueError):
        return b""


def hardened() -> bool:
    """Whether the POSIX-only hardening is used: sessions, process groups and (Linux) the subreaper."""
    return os.name == "posix" and os.environ.get("MNIST_PORTABLE") != "1"


def popen_options() -> dict:
    """The keyword arguments of subprocess.Popen that put a worker apart from the grading process."""
    if hardened():
        return {"start_new_session": True}
    if os.name == "nt":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}  # Windows has it.
    return {}


def become_subreaper() -> None:
    """Make processes orphaned under this one its children again, so stop_descendants() finds them (Linux)."""
    if not (hardened() and sys.platform.startswith("linux")):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def is_subreaper() -> bool:
    """Whether orphans of this process's descendants come back to it (become_subreaper() worked; Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        flag = ctypes.c_int(0)
        return ctypes.CDLL(None, use_errno=True).prctl(37, ctypes.byref(flag), 0, 0, 0) == 0 and flag.value == 1
    except (OSError, AttributeError):  # PR_GET_CHILD_SUBREAPER
        return False


def tree(pid):
    """The process `pid` and all its descendants (psutil.Process objects), the process first; [] if it is gone."""
    try:
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []
    except (IndexError, ValueError):
        # psutil reads every process's /proc/PID/stat at once, and one that exits while it reads can come back
        # cut short: psutil then raises IndexError. Look again, one process at a time, skipping such ones.
        return _tree_one_by_one(pid)


def _tree_one_by_one(pid):
    """tree(), where a process that cannot be read is left out rather than failing the whole look."""
    children = {}
    for other in psutil.pids():
        try:
            children.setdefault(psutil.Process(other).ppid(), []).append(other)
        except (psutil.Error, IndexError, ValueError):
            pass
    found, queue, seen = [], [pid], {pid}
    while queue:
        current = queue.pop(0)
        try:
            found.append(psutil.Process(current))
        except psutil.Error:
            if current == pid:
                return []
            continue
        for child in children.get(current, []):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return found


def kill(processes):
    """Kill each process (and, hardened, the process group it leads); those already gone are skipped."""
    for process in processes:
        if hardened():
            try:
                os.killpg(process.pid, signal.SIGKILL)  # Its group too: members psutil no longer links to it.
            except (ProcessLookupError, PermissionError):
                pass
        try:
            process.kill()
        except psutil.Error:
            pass


def kill_tree(process: ProcessHandle) -> None:
    """Stop a subprocess.Popen and everything under it, and reap it."""
    kill(tree(process.pid))
    process.wait()


def stop_descendants(rounds: int = 10) -> None:
    """Stop every descendant of this process: what student code left running. Again until none is left."""
    for _round in range(rounds):
        left = tree(os.getpid())[1:]
        if not left:
            return
        kill(left)
        psutil.wait_procs(left, timeout=1)  # Reaps those that are this process's children.


def lower_priority(pid: int, niceness: int) -> None:
    """Give a process a lower CPU priority (a higher nice value; below normal on Windows)."""
    if not niceness:
        return
    try:
        psutil.Process(pid).nice(psutil.BELOW_NORMAL_PRIORITY_CLASS if os.name == "nt" else niceness)
    except psutil.Error:
        pass


def usable_cores() -> list[int]:
    """The cores this process may run on (its affinity where the OS has one), in order."""
    try:
        return sorted(psutil.Process().cpu_affinity())
    except (AttributeError, psutil.Error):  # macOS has no affinity.
        return list(range(os.cpu_count() or 1))


def share_cores(jobs: int, cores: list[int] | None = None) -> list[list[int]]:
    """The cores of each of `jobs` slots: disjoint, as even as can be, every core used; one core each when
    there are more jobs than cores (then slots share them round the table)."""
    cores = usable_cores() if cores is None else list(cores)
    if jobs >= len(cores):
        return [[cores[slot % len(cores)]] for slot in range(jobs)]
    size, extra = divmod(len(cores), jobs)
    slots, start = [], 0
    for slot in range(jobs):
        end = start + size + (slot < extra)
        slots.append(cores[start:end])
        start = end
    return slots


def thread_environment(threads: int) -> dict[str, str]:
    """Variables that size a grading's thread pools to `threads`: OpenMP and the BLAS libraries, TensorFlow's
    intra- and inter-op pools, and XLA's CPU runtime (single-threaded Eigen when there is one thread)."""
    env = {name: str(threads) for name in (
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")}
    env["TF_NUM_INTEROP_THREADS"] = "1"
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        env["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()
    return env


def pin(pid: int, cores: list[int]) -> None:
    """Keep a process (and what it starts from now on) to `cores`, where the OS allows it."""
    try:
        psutil.Process(pid).cpu_affinity(cores)
    except (AttributeError, ValueError, psutil.Error):
        pass


def tree_memory_kb(pid: int) -> int:
    """The memory of a process and all its descendants, in kB: PSS where the OS has it, else USS."""
    total = 0
    for process in tree(pid):
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        total += getattr(info, "pss", None) or info.uss
    return total // 1024


def tree_memory_over(pid: int, limit_kb: int) -> bool:
    """Whether a process tree uses more than `limit_kb` of memory, as tree_memory_kb() counts it.

    The resident sizes come first: they cost little to read and their sum is never below PSS or USS
    (shared pages count once per process), so the costly count is needed only above the limit.
    """
    resident = 0
    for process in tree(pid):
        try:
            resident += process.memory_info().rss
        except psutil.Error:
            continue
    return resident > limit_kb * 1024 and tree_memory_kb(pid) > limit_kb


def running(pid: int) -> bool:
    """Whether a process is alive: not gone, and not a zombie that has ended and awaits its parent."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def command_line(pid: int) -> list[str]:
    """A process's command line as a list, or [] when it is gone."""
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []
