"""One isolated grading: a submission (a folder, a .zip of one, or a notebook) graded in a process of its own,
stopped at a wall-clock and a memory limit, with its points kept; an Outcome out: how it ended, what it printed and
the Grade. The batch (and its shards), Gradescope and Classroom 50 call grade(), the CI jobs' commands (actions,
gitlab) graded_in_isolation(); each renders the Outcome its own way and reads back nothing it wrote.

An Isolation is the one settings object every such grading crosses its process boundary with: the limits, and the
GradingOptions that each grading's are made from, settled once (settled(), through options.settle(): the worker
user, the device, the sandbox and how workers start).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Callable

from grader.course.i18n import _
from grader.engine import compiling, limits
from grader.engine.limits import Limits
from grader.engine.options import GradingOptions, settle
from grader.engine.submission import holding_steps
from grader.instructor import gradings
from grader.instructor.statuses import BatchStatus
from grader.results.console import asked_language
from grader.results.grade import Grade
from grader.workers import bubblewrap
from grader.workers.processes import kill_tree, pin, thread_environment, tree_memory_over

POLL = 0.5  # Seconds between looks at a grading's time and memory.


@dataclass(frozen=True)
class Isolation:
    """How each grading is isolated: stopped past `timeout` seconds or `memory_mb` of memory, and graded with
    `options` (settled), of which each grading takes its own copy with its submission."""

    timeout: float = 900
    memory_mb: int = 4096
    options: GradingOptions = field(default_factory=lambda: GradingOptions(settled=True))

    @property
    def sandboxed(self):
        return self.options.sandboxed

    @property
    def device(self):
        return self.options.device or "cpu"

    @property
    def limits(self):
        return self.options.limits


def settled(timeout: float = 900, memory_mb: int = 4096, within: Limits | None = None, device: str | None = None,
            sandbox: str = "auto", say: Callable[[str], object] | None = None) -> Isolation:
    """The Isolation of gradings with these limits (`within`: Limits), `device` and `sandbox` ("on", "off",
    "auto"), settled here as every grading is (options.settle()); OptionsError saying why they cannot run here.
    say(text) is told a note: that --sandbox auto found no sandbox."""
    options = settle(GradingOptions(device=device, sandbox=sandbox, limits=within or Limits()), say)
    return Isolation(timeout, memory_mb, options)


def prepare(isolation: Isolation, say: Callable[[str], object] | None = None) -> None:
    """Before a grading that is not a batch's (which prepares once for all): the sandbox's compiled programs, when it
    is sandboxed."""
    if isolation.sandboxed:
        compiling.fill(os.environ, isolation.device, say)


@dataclass(frozen=True)
class Outcome:
    """How one isolated grading ended (a BatchStatus), what it printed (feedback.txt: what the student sees), its
    Grade (None when there is none: an error, a refusal) and mnist-grade's exit code for it: 0 when every check
    passed, 1 when one did not (or the grading was stopped), 2 when there is no grade."""

    status: BatchStatus
    printed: str
    grade: Grade | None
    code: int = 2


def grade(path: str | Path, isolation: Isolation, shown: str | None = None, cores: list[int] | None = None,
          echo: Callable[[str], object] | None = None) -> Outcome:
    """Grade the submission `path` in its own process, within `isolation`'s limits; messages name it `shown`
    (by default its name or, in a zip, the folder of the step files in it). With `cores`, the grading runs on those
    alone; with `echo`, echo(text) is given what it prints as it comes (a job's log). One past a limit of
    isolation.limits is refused before anything of it is copied or unpacked. An Outcome."""
    with tempfile.TemporaryDirectory(prefix="mnist-batch-") as scratch:
        os.chmod(scratch, 0o711)  # Workers of MNIST_WORKER_USER pass through to their own folders.
        return graded(Path(path), Path(scratch), isolation, shown, cores, echo)


def grade_in_checkout(path: str | Path, isolation: Isolation, echo: Callable[[str], object] | None = None) -> Outcome:
    """grade() for a job that grades one submission in the student's own checkout, the working folder (Classroom 50,
    Actions): from a folder of its own, since every process the grading starts (the batch's fork server is started
    with `python -c`) has its working folder on sys.path, and a grader/ of the student's must never be imported.
    Messages name the submission `path`, as given. Not from a thread: it changes this process's working folder."""
    from grader.workers.users import with_absolute_folders

    os.environ.update(with_absolute_folders(os.environ))  # Folders named from the checkout, kept.
    submission = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="mnist-checkout-") as scratch, contextlib.chdir(scratch):
        return grade(submission, isolation, shown=str(path), echo=echo)


def graded(path, scratch, isolation, shown, cores, echo=None):
    """grade(), working in `scratch`."""
    try:
        limits.check(path, isolation.limits)
        target = unpacked(path, scratch / "unpacked", isolation.limits) if path.suffix == ".zip" else path
    except limits.TooLarge as error:
        return refused(f"{error}\n", echo)
    except (zipfile.BadZipFile, OSError) as error:
        return refused(_("{path} is not a readable zip file ({reason}).", path=path.name, reason=error) + "\n", echo)
    shown = shown or (target.relative_to(scratch / "unpacked").as_posix() if target != path else path.name)
    saved = scratch / "grade.json"  # Saved after each check: a stopped grading keeps its points.
    options = replace(isolation.options, submission=str(target), named_path=shown, grade_file=str(saved),
                      time_budget=time_budget(isolation.timeout))
    temporary = scratch / "tmp"  # The grading's temporary files, gone with it even when it is killed.
    temporary.mkdir(mode=0o711)
    # Feedback in the language asked for, even where this console shows English (grader/results/console.py).
    env = {**os.environ, "MNIST_LANG": asked_language(), "TMPDIR": str(temporary),
           **(thread_environment(len(cores)) if cores else {})}
    status, printed, code = run_limited(options, isolation, env=bubblewrap.grading_environment(env)
                                        if isolation.sandboxed else env, cores=cores, echo=echo)
    found = Grade.from_json(saved.read_text(encoding="utf-8")) if saved.exists() and status != BatchStatus.ERROR \
        else None
    if found and status.stopped(isolation):
        found.stop(_("stopped: {why}", why=status.stopped(isolation)))
    elif status == BatchStatus.GRADED and found is None:
        status = BatchStatus.ERROR
    if found is None:
        code = 2
    elif code not in (0, 1):  # Stopped, with the points it had.
        code = 1
    return Outcome(status, printed, found, code)


def refused(printed: str, echo: Callable[[str], object] | None) -> Outcome:
    """The Outcome of a submission refused before grading, which printed `printed` (given to echo())."""
    if echo is not None:
        echo(printed)
    return Outcome(BatchStatus.ERROR, printed, None)


def time_budget(timeout: float) -> float:
    """What a grading may take so that it ends by itself, with its grade, before the wall-clock stop."""
    return timeout - max(10, timeout * 0.2)


def unpacked(path, scratch, within):
    """Extract a .zip into `scratch`, within limits; return the folder in it that holds the step files."""
    scratch.mkdir(exist_ok=True)
    limits.extract(path, scratch, within)  # Every member inside `scratch`.
    return holding_steps(scratch) or scratch


def run_limited(options: GradingOptions, isolation: Isolation, env: dict[str, str] | None = None,
                cores: list[int] | None = None, echo: Callable[[str], object] | None = None
                ) -> tuple[BatchStatus, str, int | None]:
    """Grade `options` in a process of its own (grader/instructor/gradings.py); stop it when it passes the wall-clock
    or memory limit of `isolation`; give echo(text) what it prints, as it comes. Return (status, what it printed,
    its exit code: None when it was stopped)."""
    started, timeout = time.monotonic(), isolation.timeout
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # A character may be split between reads.
    with (tempfile.NamedTemporaryFile() as printed,
          tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as given,
          open(printed.name, "rb") as reading):  # Its own offset: the grading may write through `printed`'s.
        given.write(options.to_json())
        given.flush()
        process = gradings.start(given.name, printed, env or dict(os.environ))
        if cores:
            pin(process.pid, cores)
        status = None
        while process.poll() is None:
            if time.monotonic() - started > timeout:
                status = BatchStatus.TIMEOUT
            elif tree_memory_over(process.pid, isolation.memory_mb * 1024):
                status = BatchStatus.MEMORY
            if status:
                kill_tree(process)
                break
            time.sleep(POLL)
            passed_on(reading, echo, decoder)
        passed_on(reading, echo, decoder)
        reading.seek(0)
        text = reading.read().decode("utf-8", errors="replace")  # What gradings.start() has it write.
    if status:
        stop = "\n" + _("Stopped: {why}.", why=status.stopped(isolation)) + "\n"
        text += stop
        if echo is not None:
            echo(decoder.decode(b"", final=True) + stop)
        return status, text, None
    return (BatchStatus.GRADED if process.returncode in (0, 1) else BatchStatus.ERROR), text, process.returncode


def passed_on(reading: IO[bytes], echo: Callable[[str], object] | None, decoder: codecs.IncrementalDecoder) -> None:
    """Give echo(text) what has come in `reading` since last time, decoded."""
    if echo is not None and (chunk := reading.read()):
        echo(decoder.decode(chunk))


def graded_in_isolation(path: str, timeout: float, memory_mb: int) -> tuple[int, Grade | None]:
    """A CI job's grading (GitHub Actions, GitLab, Jenkins): grade `path`, in the student's checkout, as mnist-grade
    does, in a process of its own stopped past `timeout` seconds or `memory_mb` of memory (grade_in_checkout()), what
    it prints passed on to stdout (the job's log) as it comes; return (mnist-grade's exit code, the Grade or None). A
    folder mnist-grade would refuse is refused here first, with its message."""
    from grader.engine.grading import say
    from grader.engine.options import OptionsError, check

    try:
        options = check(GradingOptions(path, named_path=path), say=lambda text: say(_("Note: {note}", note=text)))
    except OptionsError as error:
        say(str(error))
        return 2, None
    outcome = grade_in_checkout(path, Isolation(timeout, memory_mb, options),
                                echo=lambda text: print(text, end="", flush=True))
    return outcome.code, outcome.grade
