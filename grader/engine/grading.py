"""Grading one submission: grade(options) runs the checks and returns the Grade; run(options) is what every command
does around it (check the options, read a notebook, get MNIST, compile the sandbox's programs), saying why not.

`python -m grader.engine OPTIONS.json` is run(options) in a process of its own: what --watch, a notebook's check
cells, a batch's gradings and the sandbox's compiled programs start.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from grader.course.i18n import _
from grader.engine.options import GradingOptions, OptionsError, check

if TYPE_CHECKING:
    from grader.results.grade import Grade

CHECKS = Path(__file__).resolve().parent.parent / "checks"


def pytest_arguments() -> list[str]:
    """pytest's command line for a grading: the checks, with the grader's own settings and nothing of the folder
    it runs in. The grading's options are not on it: grade() hands them over, `--grading FILE` reads them."""
    return [str(CHECKS), "-c", str(CHECKS / "pytest.ini"), f"--rootdir={CHECKS}", "-p", "no:cacheprovider",
            "-p", "no:terminal"]


def grade(options: GradingOptions, arrays=None, prestarted=None) -> tuple[int, Grade]:
    """Grade with checked `options` (GradingOptions) and MNIST's `arrays` when they are loaded already; the workers
    that use Keras come from `prestarted` when there is one (prestart()).

    Returns (mnist-grade's exit code: 0 when every check passed, 1 when one did not, 2 when there is no grade;
    the Grade).
    """
    import pytest
    import pytest_timeout

    from grader.engine.plugin import Session

    session = Session(options, arrays, prestarted)
    with only_our_plugins():
        code = pytest.main(pytest_arguments(), plugins=[session, pytest_timeout])
    return (code if code in (0, 1) else 2), session.grade


@contextlib.contextmanager
def only_our_plugins():
    """Within: pytest loads only the plugins grade() gives it, none that happens to be installed (anyio's, a
    student's own): a third of a second saved, and nothing else in the grading."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        yield


def run(options: GradingOptions) -> tuple[int, Grade | None]:
    """Grade `options` as mnist-grade does: a notebook is read into a folder first; the options are checked, MNIST
    fetched and checked, the sandbox's compiled programs made; what fails is said on stderr. Returns grade()'s
    (exit code, Grade), with no Grade when grading could not start."""
    if options.submission.endswith(".ipynb"):
        return run_notebook(options)
    try:
        options = check(options, say=lambda text: say(_("Note: {note}", note=text)))
    except OptionsError as error:
        say(str(error))
        return 2, None
    from grader.data import ensure

    prestarted = prestart(options)
    try:
        code, found = fetch_data(lambda bar: ensure(progress=bar))  # Fetch and check MNIST before grading.
        if code:
            return code, None
        if options.sandboxed:
            from grader.engine import compiling

            compiling.fill(os.environ, options.device, say=lambda text: print(text, file=sys.stderr))
        return grade(options, found[1], prestarted)
    finally:
        if prestarted is not None:
            prestarted.close()


def prestart(options):
    """Start importing Keras for the steps to grade that use it, in a host of its own, while this process reads
    MNIST and starts pytest (grader/workers/host.py); None where it cannot help (workers that are not forked, a
    sandbox's, or a process that imported Keras, which forks them itself)."""
    from grader.course.steps import STEPS
    from grader.workers.handle import Launch
    from grader.workers.handle import prestart as prestart_host

    if options.workers_start != Launch.FORK:
        return None

    return prestart_host(options.wanted or set(STEPS), options.submission, options.device)


def run_notebook(options):
    """run() for a notebook: its six functions, read out into a submission folder of their own."""
    from grader.engine.notebook import NotebookError, code_cells, submission

    if not Path(options.submission).is_file():
        say(_("There is no notebook {path}.", path=options.submission))
        return 2, None
    try:
        sources = code_cells(options.submission)
    except NotebookError as error:
        say(str(error))
        return 2, None
    shown = options.named_path or options.submission
    with tempfile.TemporaryDirectory(prefix="mnist-notebook-") as scratch:
        folder = submission(sources, Path(scratch) / "notebook")
        return run(replace(options, submission=str(folder), named_notebook=shown, named_path=None))


def say(text: str) -> None:
    print(f"mnist-grade: {text}", file=sys.stderr)


def fetch_data(fetch: Callable[..., Any]) -> tuple[int, Any]:
    """Return (0, fetch(progress_bar)); or (2, None) after saying why MNIST is unavailable; (130, None) on Ctrl-C."""
    from grader.data import DataError
    from grader.data.progress import Bar

    try:
        with Bar() as bar:
            return 0, fetch(bar)
    except DataError as error:
        print(_("MNIST data unavailable: {error}", error=error), file=sys.stderr)
        return 2, None
    except KeyboardInterrupt:
        print(_("mnist-grade: interrupted; nothing half-downloaded was kept."), file=sys.stderr)
        return 130, None


def run_file(path: str) -> int:
    """run() with the options in the JSON file `path`; its exit code."""
    return run(GradingOptions.from_json(Path(path).read_text(encoding="utf-8")))[0]
