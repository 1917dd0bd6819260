"""Run steps of a student's code in a process of their own: python -m grader.workers.worker STEPS FOLDER INPUTS WORKDIR.

STEPS is one step, or several that build on each other ("build,compile,fit": one model, one import of Keras),
each run by its runner (grader/workers/runners/). The worker reads what it is given in INPUTS and works in
WORKDIR, its scratch folder. It calls the student's functions and writes down what came back: plain facts, one
JSON line per step on its stdout as each step ends, signed with the token the grading process sent as the first
line on stdin, and arrays (.npy, .npz) in WORKDIR. What student code prints goes to stderr, never among the
reports. It decides nothing: the grading process reads these and checks them itself. Before a step that trains
(protocol.GATED) it waits for a line on stdin, so that a model trains only once the grading process has found
the steps before it right.
"""

import faulthandler
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from grader.backend.quiet import quiet
from grader.backend.runtime import import_keras
from grader.workers import protocol
from grader.workers.protocol import StepStatus
from grader.workers.runners import runner
from grader.workers.student_code import ChangedSetting, MissingFunction, Stopped, StudentError, uses_keras


def main(step_names: str, folder: str | Path, inputs: str | Path, workdir: str | Path) -> NoReturn:
    token = sys.stdin.readline().strip()  # Read before any student code runs; every report carries it.
    quiet()
    compilation_cache()
    small_pages()
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")  # The reports keep stdout's pipe to themselves;
    os.dup2(2, 1)  # what anything prints from now on goes to stderr.
    if hasattr(signal, "SIGUSR1"):  # At a time limit, the grading process asks where the code was.
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=False)
    sys.dont_write_bytecode = True  # Never write __pycache__ into the student's folder.
    sys.path.append(str(Path(folder).resolve()))  # Let a step file import its siblings.
    from grader.course.steps import STEPS

    ready: protocol.Facts = {}
    try:
        if uses_keras(step_names.split(","), Path(folder)):  # Imported now, the grader's time, not a step's.
            import_keras()
    except BaseException as error:  # The grader's environment, not the student's code: its first step says so.
        ready = {"status": StepStatus.GRADER_ERROR, "exception": "".join(traceback.format_exception(error))}
    step = step_names.split(",")[0] if ready else protocol.READY
    report.write(json.dumps(protocol.Report(token=token, step=step, facts=ready)) + "\n")
    report.flush()
    if ready:
        os._exit(0)
    workdir, state = Path(workdir), {"inputs": Path(inputs)}
    for name in step_names.split(","):
        try:
            facts: protocol.Facts = {"status": StepStatus.OK,
                                     **runner(name).run(STEPS[name], Path(folder), workdir, state)}
        except BaseException as error:  # Student code may raise anything, SystemExit included.
            facts = failure(error, Path(folder))
        sys.stdout.flush()
        report.write(json.dumps(protocol.Report(token=token, step=name, facts=facts)) + "\n")
        report.flush()
        if facts["status"] != StepStatus.OK:
            break
    os._exit(0)  # Skip interpreter teardown: student threads or atexit hooks cannot hang us.

def compilation_cache():
    """Where JAX keeps compiled programs, as this worker's variables say: a worker forked from a process that
    imported JAX already (grader/workers/host.py) would otherwise use that process's folder, which it may not reach."""
    if "jax" not in sys.modules:
        return
    import jax

    jax.config.update("jax_compilation_cache_dir", os.environ.get("JAX_COMPILATION_CACHE_DIR"))

def small_pages():
    """numpy asks Linux for huge pages for large arrays; where memory is fragmented, faulting them in can stall for
    most of a second (a data step's 60,000 images: 0.05 to 0.75 s measured, where small pages took 0.16 to 0.19 s).
    A step's time should not depend on the machine's memory that much."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            return
    _set_madvise_hugepage(False)


def failure(error, folder):
    """Turn an exception into facts: was it a stub, a missing function, an exit, a change of Keras's global settings,
    or an error in student code?"""
    if isinstance(error, Stopped):
        return {"status": StepStatus.STOPPED}
    if not isinstance(error, StudentError):
        return {"status": StepStatus.GRADER_ERROR, "exception": "".join(traceback.format_exception(error))}
    inner = error.error
    where = {"step": error.step.name, "when": error.when, **(error.given or {})}
    if isinstance(inner, NotImplementedError):
        return {"status": StepStatus.NOT_ATTEMPTED, **where}
    if isinstance(inner, MissingFunction):
        return {"status": StepStatus.MISSING, **where}
    if isinstance(inner, SystemExit):
        return {"status": StepStatus.EXIT, **where, "code": "" if inner.code is None else repr(inner.code)}
    if isinstance(inner, ChangedSetting):
        return {"status": StepStatus.CHANGED, **where, **inner.change}
    return {
        "status": StepStatus.ERROR,
        **where,
        "exception": exception_line(inner),
        "frames": student_frames(inner, folder),
        **undefined_name(inner),
    }

def undefined_name(error):
    """For a NameError: the name, and the closest name the code could see there (a typo's fix), if any."""
    if not isinstance(error, NameError) or not getattr(error, "name", None):
        return {}
    import builtins
    import difflib

    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    known = set(dir(builtins))
    if tb is not None:
        known |= set(tb.tb_frame.f_locals) | set(tb.tb_frame.f_globals)
    close = difflib.get_close_matches(error.name, sorted(known), n=1, cutoff=0.75)
    return {"name": error.name, "suggestion": close[0] if close else None}

def exception_line(error):
    """ValueError: the message (for a SyntaxError without the code it quotes: the frames show it)."""
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error.msg}"
    return "".join(traceback.format_exception_only(error)).strip()

def student_frames(error, folder):
    """The traceback frames that are in the student's files, as [file, line, function, code]."""
    folder = folder.resolve()
    frames = []
    tb = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        tb.append(traceback.FrameSummary(error.filename, error.lineno or 0, "<module>", line=error.text))
    for frame in tb:
        path = Path(frame.filename).resolve()
        if path.parent == folder:
            frames.append([path.name, frame.lineno, frame.name, (frame.line or "").strip()])
    return frames


if __name__ == "__main__":
    main(*sys.argv[1:5])
