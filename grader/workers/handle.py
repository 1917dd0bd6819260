"""Run one step of student code in a separate process, with a time limit, and read back what it did.

The student's code never runs in the process that decides the grade: whatever it raises, prints,
hangs on or kills, the grading process only sees what the worker reports on a pipe, the arrays it
saved, or their absence. There are no result files for student code to write: a step's facts come
only through the worker's stdout, with a token the worker read before any student code ran. Student code
shares its worker's process, so code written against the grader could still make its worker
misreport; what the checks can compute again (arrays, the built model's outputs, accuracy), they do.

Workers read a copy of the student's .py files, made once per grading (grader/engine/limits.py), so nothing
they run can change the student's own. When MNIST_WORKER_USER names a user (the grader runs as root, as on Gradescope),
workers run as that user: student code can then touch neither the grader, nor the results, nor the
grading process, and every process of that user is stopped when grading ends. With --sandbox, a
grading's workers run in one sandbox that bubblewrap holds (grader/workers/bubblewrap.py), forked there by a host that
imported Keras (grader/workers/host.py):
no network, nothing of the machine to see, a scratch folder of limited size each.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader.backend import runtime
from grader.backend.quiet import QUIET_ENV
from grader.course.i18n import _
from grader.course.steps import STEPS, worker_groups
from grader.workers import bubblewrap, compiled, processes, protocol
from grader.workers.protocol import StepStatus
from grader.workers.student_code import uses_keras
from grader.workers.users import (
    as_user,
    grader_command,
    grader_environment,
    hand_over,
    with_absolute_folders,
    worker_user,
)

if TYPE_CHECKING:
    import pwd

    from grader.workers import host
    from grader.workers.children import PipedHandle

MAX_REPORTS = 1 << 20  # Bytes: a step's report is a few kilobytes.
POLL = 0.1  # Seconds between looks at a worker that neither reports nor ends: a report or its end wakes at once.
START_LIMIT = 120  # Seconds a worker may take to start (Python, the grader, Keras) before its first step's own limit.
STILL_RUNNING = 5  # Seconds after which a step that is still running is said to be (a correct quick one ends sooner).
# How faulthandler starts a thread's stack (grader/workers/worker.py asks for it on SIGUSR1), and prints a frame.
STACK_START = "(most recent call first):"
STACK_FRAME = re.compile(r'^\s*File "(.+)", line (\d+) in (\S+)\n', re.MULTILINE)  # Whole lines only.
PRINTED_KEPT = 1 << 20  # Bytes of what a worker prints that are kept: its last.
SCRATCH_ROOM = 1 << 20  # Bytes: a scratch folder with less room left is full (a write that failed filled it).


@dataclass
class Run:
    """What happened when one step's worker ran: its facts, or why there are none."""

    step: str
    named_folder: Path  # The submission, as messages name it.
    saved: int | Path | None  # The worker's scratch folder, open (open_folder()): where it saved what code returned.
    facts: dict = field(default_factory=dict)
    seconds: float = 0.0
    named_notebook: str | None = None  # The notebook the folder was read from, named in messages instead of its files.
    printed: str = ""
    given: dict = field(default_factory=dict)  # The grading process's own copies of the arrays the worker was given.

    @property
    def status(self) -> StepStatus:
        try:
            return StepStatus(self.facts.get("status", StepStatus.CRASHED))
        except ValueError:  # Not a status: a report the worker's code forged (it shares its process).
            return StepStatus.CRASHED

    def array(self, name):
        """An array the worker saved, or None when the student's function returned no array."""
        if self.saved is None:  # Its worker never started.
            return None
        with opened(f"{name}.npy", self.saved) as file:
            return None if file is None else np.load(file)

    def arrays(self, name):
        """The arrays of an .npz file the worker saved, in order; None when there is none."""
        if self.saved is None:
            return None
        with opened(f"{name}.npz", self.saved) as file:
            if file is None:
                return None
            with np.load(file) as saved:
                return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def prestart(steps: Collection[str], folder: str | Path, device: str | None) -> host.Prestarted | None:
    """A host that starts importing Keras now for the workers of `steps` of the submission `folder` that use it
    (host.Prestarted), where workers are forked from a new host; None elsewhere, or when none of them uses Keras."""
    from grader.workers import host

    processes.become_subreaper()
    groups = [group for group in worker_groups() if set(group) & set(steps) and uses_keras(group, folder)]
    if not groups or worker_user() is not None or not host.can_fork_workers() or host.forks_here():
        return None
    return host.Prestarted(len(groups), worker_environment(None, device, None, False, None), tempfile.gettempdir())


class Launch(StrEnum):
    """How a grading starts its workers: chosen once, when its options settle (launch()), and the same for every
    worker of the grading. Each is its own process whichever way it starts, with the same limits and verdicts."""

    PROCESS = "process"  # Each a new Python process: on every OS, and with MNIST_PORTABLE=1 or TensorFlow.
    FORK = "fork"  # Forked from a host that imported what they use (Linux, JAX): a new process where that fails.
    SANDBOX = "sandbox"  # Forked by a host in one bubblewrap sandbox of the grading's own (--sandbox).


def launch(sandboxed: bool) -> Launch:
    """How a grading started here, sandboxed or not, starts its workers."""
    from grader.workers import host

    if sandboxed:
        return Launch.SANDBOX
    return Launch.FORK if host.forking() else Launch.PROCESS


def start(workers: list[Worker], how: str, prestarted: host.Prestarted | None = None
          ) -> contextlib.ExitStack:
    """Start `workers` together, in order, as `how` (a Launch) says; the Keras workers of FORK from `prestarted`
    (prestart()) when there is one. Returns what to close() once they are done (an ExitStack): their sandbox, when
    they have one."""
    if not workers:
        return contextlib.ExitStack()
    return STARTS[Launch(how)](workers, prestarted)


def start_processes(workers, prestarted=None):
    """Start each of `workers` as a new process."""
    for worker in workers:
        worker.launch()
    return contextlib.ExitStack()


def start_forked(workers, prestarted=None):
    """Fork `workers` where this process can (grader/workers/host.py): those that need no Keras at once, those that
    do from `prestarted` as soon as it has imported it (in a thread, while the others run) or from a host; each as
    a new process where forking failed."""
    from grader.workers import host

    if not host.can_fork_workers():  # Not a subreaper: what workers leave behind would not come back here.
        return start_processes(workers)
    forked, later = {}, []
    for keras in (False, True):  # Those that need no Keras first, at once: they never wait for its import.
        group = [worker for worker in workers if worker.place.keras == keras]
        if group and keras and prestarted is not None:
            later = group  # Forked as soon as the host has imported Keras, while the others run.
        elif group:
            forked.update(zip(group, _fork(group, keras) or [], strict=False))
    for worker in workers:  # Launched once all are forked: a host forks only while this process has one thread.
        if worker not in later:
            worker.launch(forked.get(worker))
    if later:
        launching = threading.Thread(target=_fork_later, args=(later, prestarted), daemon=True)
        for worker in later:
            worker.launched_by(launching)
        launching.start()
    return contextlib.ExitStack()


def _fork(group, keras, prestarted=None):
    """A host's forks of the workers `group` (host.fork), or None."""
    from grader.workers import host

    first = group[0].place
    return host.fork([worker.place.spec() for worker in group], first.env, first.root, first.user, keras=keras,
                     prestarted=prestarted)


def _fork_later(group, prestarted):
    """In a thread of its own: launch the workers `group` that use Keras, forked by `prestarted` (host.Prestarted)
    once it has imported Keras; each a new process where it failed. Every way ends within the hosts' time limits."""
    try:
        forked = _fork(group, True, prestarted) or [None] * len(group)
    except Exception:  # Whatever went wrong, they start as new processes.
        forked = [None] * len(group)
    for worker, process in zip(group, forked, strict=True):
        try:
            worker.launch(process)
        except Exception as error:  # No process could start: each of its steps says why, as the grader's error.
            worker.cannot_start(str(error) or type(error).__name__)


def start_sandboxed(workers, prestarted=None):
    """Start `workers` in one sandbox of their own (grader/workers/bubblewrap.py), forked there from a host that
    imported Keras: this process, when it has (a batch's grading), else a new one. Each worker's scratch folder is a
    tmpfs of its own. Where the sandbox cannot be made, each of their steps says why, as the grader's error."""
    from grader.workers import host

    first, closing = workers[0].place, contextlib.ExitStack()
    sandbox = bubblewrap.Sandbox(first.folder, [worker.place.inputs for worker in workers],
                                 [worker.place.scratch for worker in workers], workers[0].shared.scratch_mb,
                                 first.cache, first.user)
    try:
        closing.callback(sandbox.close)
        sandbox.open()
        home = first.root.parent / "host"  # The new host's, outside the sandbox: where it reads Keras's settings.
        home.mkdir(exist_ok=True)
        env = {**first.env, "HOME": str(home), "TMPDIR": str(home), "KERAS_HOME": str(home / ".keras"),
               **own_home(home)}
        hand_over([home, *home.rglob("*")], first.user)
        reports, hosted = host.fork_in_sandbox(sandbox, [worker.place.spec() for worker in workers], env, str(home),
                                               first.user)
        closing.callback(reports.close)
    except (bubblewrap.SandboxError, host.HostError) as error:
        closing.close()
        for worker in workers:
            worker.cannot_start(_("the sandbox could not start ({error})", error=error))
        return contextlib.ExitStack()
    for worker, process in zip(workers, hosted, strict=True):
        worker.launch(process, sandbox.scratch(worker.place.scratch))
    return closing


STARTS = {Launch.PROCESS: start_processes, Launch.FORK: start_forked, Launch.SANDBOX: start_sandboxed}


def shared_input(folder: Path, name: str, array: np.ndarray) -> Path:
    """Write `array` once as folder/name.npy, for several workers' inputs: pass the path to Worker in `inputs`."""
    path = Path(folder) / f"{name}.npy"
    np.save(path, array)
    return path


def link(source, target):
    """`target` as another name of the file `source`; a copy where the file system has no links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


@dataclass(frozen=True)
class Shared:
    """What the workers of one grading share: the submission's copy (`folder`, limits.copy_modules), what messages
    call it, the device they train on, the sandbox and its scratch folders' size, and the time limits."""

    folder: Path
    named_folder: Path  # The submission as messages name it.
    named_notebook: str | None = None  # The notebook the folder was read from, named in messages instead of its files.
    device: str = "cpu"
    sandboxed: bool = False
    scratch_mb: float = 256
    timeout: float | None = None  # A time limit for every step, instead of each step's own.
    deadline: float | None = None  # time.monotonic() by which every step must have ended, whatever its own limit.


@dataclass(frozen=True)
class Place:
    """A worker's own folder, `root`, made before it starts (place()), and how it runs there.

    root/inputs/ holds the arrays it is given (written here, read there); root/scratch/ is its working folder, home
    and TMPDIR, where it saves what the student's functions returned. It reads the submission's copy, `folder`, which
    the grading's workers share."""

    steps: tuple[str, ...]
    root: Path
    folder: Path
    given: dict[str, np.ndarray]  # The grading process's own copies of the arrays in inputs/.
    env: dict[str, str]  # Its variables.
    user: pwd.struct_passwd | None  # The user it runs as (MNIST_WORKER_USER), or None: the grading's.
    cache: Path | None  # The sandbox's compiled programs, readable by `user`; None outside the sandbox.
    keras: bool  # Whether its steps use Keras: started warm, from a process that imported it.
    niceness: int = 0

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def scratch(self) -> Path:
        return self.root / "scratch"

    def command(self) -> list[str]:
        """The command that starts it as a new process."""
        return grader_command("grader.workers.worker", ",".join(self.steps), self.folder, self.inputs, self.scratch)

    def spec(self) -> host.WorkerSpec:
        """What grader.workers.host needs to fork it."""
        return {"steps": ",".join(self.steps), "folder": str(self.folder), "inputs": str(self.inputs),
                "workdir": str(self.scratch), "niceness": self.niceness, "env": self.env}


def place(steps: Collection[str], root: str | Path, shared: Shared,
          inputs: Mapping[str, np.ndarray | Path] | None = None, niceness: int = 0) -> Place:
    """Make the folder `root` of a worker that runs `steps` with the settings `shared`: its inputs/, each of `inputs`
    written there (a path, written once for the grading's workers by shared_input(), is linked, not copied), and its
    scratch/, both handed over to the user it runs as."""
    root = Path(root)
    (root / "inputs").mkdir(parents=True, exist_ok=True)
    (root / "scratch").mkdir(exist_ok=True)
    given = {}
    for name, array in (inputs or {}).items():
        if isinstance(array, Path):
            link(array, root / "inputs" / f"{name}.npy")
        else:
            given[name] = array
            np.save(root / "inputs" / f"{name}.npy", array)
    user = worker_user()
    cache = compiled.readable_folder(user) if shared.sandboxed else None  # The compiled programs no submission writes.
    env = worker_environment(root / "scratch", shared.device, user, shared.sandboxed, cache)
    hand_over([root, *root.rglob("*")], user)
    return Place(tuple(steps), root, Path(shared.folder), given, bubblewrap.environment(env) if shared.sandboxed
                 else env, user, cache, uses_keras(steps, shared.folder), niceness)


class Heard:
    """What a worker has said: its reports, one per finished step (by step), whether it said it is ready (when), and
    what it printed (its last PRINTED_KEPT bytes). Two threads read its stdout and stderr as they come, so the same
    pipes serve on every OS and neither can fill up and stall the worker."""

    def __init__(self, token: str):
        self.token = token  # Reports without it are not the worker's.
        self.reports: dict[str, dict] = {}
        self.ready_at: float | None = None  # time.monotonic() when it said it is ready (protocol.READY).
        self.printed = bytearray()
        self.dumped = False  # Whether the grader asked it for its stack (then printed_text() leaves that out).
        self.news = threading.Event()  # Set when a report comes, or the reports' pipe ends.
        self.readers: list[threading.Thread] = []

    def listen(self, process: PipedHandle) -> None:
        self.readers = [threading.Thread(target=target, args=(pipe,), daemon=True) for target, pipe in
                        ((self._read_reports, process.stdout), (self._read_printed, process.stderr))]
        for reader in self.readers:
            reader.start()

    def printed_text(self, dump: bool = False) -> str:
        """What the worker printed so far; without the stack the grader asked for at a time limit, unless `dump`."""
        text = bytes(self.printed).decode(errors="replace")
        if self.dumped and not dump and STACK_START in text:
            text = text[:text.rfind("\n", 0, text.rfind(STACK_START)) + 1]
        return text

    def _read_printed(self, pipe):
        """Keep the last PRINTED_KEPT bytes of what the worker prints, however much it prints."""
        while chunk := processes.read_chunk(pipe):
            self.printed += chunk
            del self.printed[:-PRINTED_KEPT]

    def _read_reports(self, pipe, limit=MAX_REPORTS):
        """Take in the lines the worker writes on stdout: one JSON object per finished step.

        A line longer than `limit` is dropped unread: whoever floods the pipe cannot fill this
        process's memory, and lines without the token are ignored.
        """
        unread = bytearray()
        while chunk := processes.read_chunk(pipe):
            unread += chunk
            *lines, rest = bytes(unread).split(b"\n")
            unread = bytearray(rest if len(rest) <= limit else b"")
            for line in lines:
                try:
                    report = json.loads(line)
                    if report["token"] == self.token and report["step"] == protocol.READY:
                        self.ready_at = self.ready_at or time.monotonic()  # Its first step could start now.
                    elif report["token"] == self.token:
                        self.reports.setdefault(report["step"], report["facts"])  # A second report is ignored.
                        self.news.set()
                except (ValueError, KeyError, TypeError):
                    pass  # Not the worker's writing.
        self.news.set()

    def done(self) -> None:
        """Let the readers finish what is left in the pipes."""
        for reader in self.readers:
            reader.join(timeout=1)


class Worker:
    """A worker process running the steps of its Place, in order, started by start(); settings it shares with the
    grading's other workers in `shared` (Shared).

    result(step) waits for that step's facts and returns its Run. Each step has its time limit, counted from when
    it could start: when the worker said it was ready (protocol.READY, its imports done), or when the step before
    it ended, or for a gated step (fit) when it was let go.

    The worker's stdout carries its reports and nothing else (the worker moves what student code
    prints to stderr before any of it runs); its stderr is what it printed: both are Heard.
    """

    def __init__(self, place: Place, shared: Shared):
        self.place, self.shared = place, shared
        self.steps = list(place.steps)
        self.heard = Heard(secrets.token_hex(16))
        # Its scratch folder, open before any of its code runs (open_folder()): what it saves is read there, whatever
        # it moves. Set by launch().
        self.saved: int | Path | None = None
        self.process: PipedHandle | None = None
        self.runs: dict[str, Run] = {}
        self.clock = time.monotonic()  # When the step being waited for could start, once the worker is ready.
        self.unstarted: str | None = None  # Why it could not start, if it could not (cannot_start()).
        self.launching: threading.Thread | None = None  # The thread that launches it (launched_by()).

    def launch(self, process: PipedHandle | None = None, saved: int | None = None) -> Worker:
        """Start the worker as a new process, or take `process`, the worker a host forked, whose scratch folder in
        its sandbox is `saved` (open) when it has one; then send the token."""
        self.saved = saved if saved is not None else open_folder(self.place.scratch)
        if process is None:
            process = subprocess.Popen(
                self.place.command(), cwd=self.place.scratch, env=self.place.env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, **processes.popen_options(),
                **as_user(self.place.user),
            )
            processes.lower_priority(process.pid, self.place.niceness)
        self.process = process
        self.clock = time.monotonic()  # A step's time counts from here: a host's imports are the grader's.
        self.heard.listen(process)
        self._send(self.heard.token)
        return self

    def cannot_start(self, why: str) -> None:
        """No process can start for it: each of its steps reports `why`, as the grader's error."""
        self.unstarted = why

    def launched_by(self, thread: threading.Thread) -> None:
        """It is launched by `thread` (start()), which result() waits for."""
        self.launching = thread

    def result(self, step, watch=None, slow=None, meanwhile=None) -> Run:
        """The Run of `step`: its facts once the worker writes them, or why there are none.

        While waiting for `step` itself, watch(what the worker printed so far) is called now and then,
        and slow(step, seconds, limit) once, when it has run STILL_RUNNING seconds; meanwhile() once, as it starts:
        work of the grading's own that would otherwise wait until the step is done.
        """
        self._launched()
        if step not in self.runs:
            for earlier in self.steps[: self.steps.index(step) + 1]:
                if earlier not in self.runs:
                    mine = earlier == step
                    self.runs[earlier] = self._wait(earlier, *((watch, slow, meanwhile) if mine else ()))
        return self.runs[step]

    def _wait(self, step, watch=None, slow=None, meanwhile=None):
        if step in protocol.GATED:
            self._let_go()
        if meanwhile is not None:
            meanwhile()
        limit = self.shared.timeout or STEPS[step].timeout
        if self.shared.deadline is not None:  # Within the grading's time budget, so that it ends with a grade.
            limit = max(1, min(limit, int(self.shared.deadline - time.monotonic())))
        facts, code, watched = None, None, 0.0
        if self.unstarted:
            facts = {"status": StepStatus.GRADER_ERROR, "exception": self.unstarted}
        while facts is None:
            self.heard.news.clear()  # Before looking: what comes after the look wakes the wait below.
            if step in self.heard.reports:
                facts = self.heard.reports[step]
            elif (code := self.process.poll()) is not None:
                self.heard.done()  # What it reported and printed before it ended.
                facts = self.heard.reports.get(step) or {"status": StepStatus.CRASHED, "ended": _ended(code)}
            elif self._overdue(limit):
                facts = {"status": StepStatus.TIMEOUT, "limit": limit, "where": self._where_stuck()}
            else:
                self.heard.news.wait(POLL)  # Not a busy loop: the grading process leaves the processors to the worker.
                if watch and time.monotonic() - watched > 0.25:
                    watched = time.monotonic()
                    watch(self.heard.printed_text())
                if slow and time.monotonic() - self._since() > STILL_RUNNING:
                    slow(step, STILL_RUNNING, limit)
                    slow = None
        if self.shared.sandboxed and self.scratch_full(facts):
            facts = {"status": StepStatus.SCRATCH_FULL, "limit": self.shared.scratch_mb}
        if facts["status"] != StepStatus.OK or step == self.steps[-1]:
            self.stop()
        run = Run(step, self.shared.named_folder, self.saved, facts, seconds=time.monotonic() - self._since(),
                  named_notebook=self.shared.named_notebook, printed=self.heard.printed_text(), given=self.place.given)
        self.clock = time.monotonic()
        return run

    def _since(self) -> float:
        """When the step waited for could start: the later of the clock and when the worker said it is ready."""
        ready_at = self.heard.ready_at
        return self.clock if ready_at is None else max(self.clock, ready_at)

    def scratch_full(self, facts):
        """Whether the step filled its scratch folder: no room is left in it, or its code ran out of room."""
        if not isinstance(self.saved, int):
            return False
        try:
            room = os.fstatvfs(self.saved)
        except OSError:
            return False
        return room.f_bavail * room.f_frsize < SCRATCH_ROOM or "[Errno 28]" in facts.get("exception", "")

    def _where_stuck(self):
        """The student's frames the worker's main thread was in when its step ran out of time, innermost last, as
        [file, line, function, code]: the worker's faulthandler prints its stack on SIGUSR1 (POSIX only)."""
        if not hasattr(signal, "SIGUSR1") or self.process.poll() is not None:
            return []
        try:
            os.kill(self.process.pid, signal.SIGUSR1)
        except OSError:
            return []
        self.heard.dumped, waited, size = True, time.monotonic(), -1
        while time.monotonic() - waited < 2:  # Until the dump has come and stopped growing.
            time.sleep(0.25)
            text = self.heard.printed_text(dump=True)
            if STACK_START in text and len(text) == size:
                break
            size = len(text)
        dump = text[text.rfind(STACK_START):] if STACK_START in text else ""
        copy = self.place.folder.resolve()
        frames = []
        for path, line, name in STACK_FRAME.findall(dump):
            if Path(path).parent == copy:
                with opened(copy / Path(path).name) as file:
                    lines = file.read().decode(errors="replace").splitlines() if file else []
                code = lines[int(line) - 1].strip() if 0 < int(line) <= len(lines) else ""
                frames.append([Path(path).name, int(line), name, code])
        return frames[::-1]  # faulthandler lists the innermost first.

    def _overdue(self, limit: float) -> bool:
        """Whether the step waited for has run past `limit`, counted from when it could start. Before the worker said
        it is ready, its start-up gets START_LIMIT more; never past the grading's deadline, so that it ends with a
        grade."""
        ready, since = self.heard.ready_at is not None, self._since()
        allowed = limit if ready else limit + START_LIMIT
        if self.shared.deadline is not None:
            allowed = min(allowed, max(1, self.shared.deadline - since))
        return time.monotonic() - since > allowed

    def _let_go(self):
        self._send(protocol.GO)
        self.clock = time.monotonic()

    def _send(self, line):
        try:
            self.process.stdin.write(line.encode() + b"\n")  # Unbuffered: nothing is left to flush later.
        except OSError:
            pass  # The worker has ended; _wait reports how.

    def _launched(self):
        """Wait until the worker is launched, when a thread launches it (start())."""
        if self.launching is not None:
            self.launching.join()
            self.launching = None

    def stop(self) -> None:
        """Stop the worker and anything it started, whether it finished or not. Safe to call again."""
        self._launched()
        if self.process is None:
            return
        processes.kill_tree(self.process)
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass  # The worker ended before it read what was sent.

    def close(self) -> None:
        """stop(), let the readers finish what is left in the pipes, and let go of the scratch folder."""
        self.stop()
        self.heard.done()
        if not self.shared.sandboxed and isinstance(self.saved, int):  # A sandbox's are its own to close.
            os.close(self.saved)
        self.saved = None


def worker_environment(workdir, device, user, sandboxed, cache):
    """A worker's variables: the grader's own for Keras, on `device`; as another `user` or in the sandbox, nothing
    of the grading user's (its home, caches and compiled programs), and the sandbox's compiled programs, `cache`."""
    env = {
        **with_absolute_folders(os.environ),  # The worker runs in another folder.
        **QUIET_ENV,
        **runtime.environment(device),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8:backslashreplace",  # What student code prints, as the grading reads it.
        "PYTHONPATH": grader_environment()["PYTHONPATH"],
    }
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)  # The grading's own (grader/engine/grading.py), not student code's.
    if not (user or sandboxed):
        return env
    scratch = str(workdir)
    env.update(HOME=scratch, TMPDIR=scratch, KERAS_HOME=str(workdir / ".keras"))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    if not sandboxed:  # In the sandbox the host has read the font list already, before any worker forks.
        env.update(own_home(workdir))
    else:
        env["MPLCONFIGDIR"] = str(workdir / ".matplotlib")
    if cache:
        env["JAX_COMPILATION_CACHE_DIR"] = str(cache)
    return env


def own_home(workdir):
    """Matplotlib's settings for a worker whose home is `workdir`, with a copy of the grading user's font list: Keras
    imports matplotlib where it is installed, which otherwise lists the system's fonts again (seconds)."""
    home, own = Path.home(), workdir / ".matplotlib"
    found = [Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib", home / ".matplotlib"]
    if os.environ.get("MPLCONFIGDIR"):
        found.insert(0, Path(os.environ["MPLCONFIGDIR"]))
    own.mkdir(exist_ok=True)
    for font_list in next((lists for folder in found if (lists := sorted(folder.glob("fontlist-*.json")))), []):
        shutil.copyfile(font_list, own / font_list.name)
    return {"MPLCONFIGDIR": str(own)}


def open_folder(path):
    """The folder at `path`, open (a file descriptor) where the OS can open one (POSIX); else `path` itself."""
    if not hasattr(os, "O_DIRECTORY"):
        return Path(path)
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def opened(path, folder=None):
    """A context with the regular file at `path` open for reading, or None when there is none; `path` is a name in
    `folder` when it is given: an open folder (open_folder()) or its path.

    Never a link or a FIFO: the folder is the student code's, and the grading process may have more rights.
    """
    if isinstance(folder, Path):
        path, folder = folder / path, None
    try:
        if stat.S_ISLNK(os.lstat(path, dir_fd=folder).st_mode):  # Where the OS has no O_NOFOLLOW: the flag below
            return contextlib.nullcontext(None)  # is the guard elsewhere.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_BINARY", 0), dir_fd=folder)
    except OSError:
        return contextlib.nullcontext(None)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        return contextlib.nullcontext(None)
    return os.fdopen(descriptor, "rb")


def stop_escaped() -> None:
    """Stop the processes student code left behind: every descendant of the grading process.

    A worker's tree is killed when its steps end, but student code can start a process in a session
    of its own; on Linux such orphans come back to the grading process (a subreaper), elsewhere
    they may escape (the README says what that allows).
    """
    processes.stop_descendants()


def _ended(code):
    if code is not None and code < 0:
        return _("killed by signal {signal}", signal=signal.Signals(-code).name)
    return _("exit code {code}", code=code)
