"""mnist-grade: grade a submission of the MNIST course; `mnist-grade data` gets and checks MNIST;
`mnist-grade hint STEP` gives the next hint for a step; `batch`, `gradescope` and `classroom` are
for instructors grading a class.

Exit 0 when all passes, 1 when not, 2 on bad usage or when MNIST cannot be had.
"""

import argparse
import os
import sys
from pathlib import Path

from grader import __version__
from grader.course.i18n import FLAG, LANGUAGES, _
from grader.course.steps import STEPS
from grader.engine.submission import SubmissionError, check_folder

CHECKS_DIR = Path(__file__).resolve().parent / "checks"


def parse(argv):
    parser = argparse.ArgumentParser(
        parents=[language()], prog="mnist-grade",
        description=_("Grade the six steps of the Keras MNIST course in a folder."),
        epilog=_("`mnist-grade hint STEP` gives the next hint for a step; `mnist-grade data --help` tells how "
                 "to get MNIST offline or on a flaky link."),
    )
    parser.add_argument("path", nargs="?", default="exercises",
                        help=_("the folder with your six step files (default: exercises)"))
    parser.add_argument("--step", choices=list(STEPS), metavar="NAME",
                        help=_("grade only this step and the steps it needs ({steps})", steps=", ".join(STEPS)))
    parser.add_argument("--watch", action="store_true", help=_("grade again each time you save a file of the folder"))
    parser.add_argument("--compact", action="store_true", help=argparse.SUPPRESS)  # What --watch shows.
    parser.add_argument("--json", metavar="FILE", help=_("also write the grade as Gradescope results.json"))
    parser.add_argument("--grade", metavar="FILE", help=argparse.SUPPRESS)  # The Grade as JSON, for batch.
    parser.add_argument("--time-budget", type=float, help=argparse.SUPPRESS)  # Batch's limit, less a margin.
    parser.add_argument("--shown-path", help=argparse.SUPPRESS)  # PATH as the student knows it (batch, Gradescope).
    parser.add_argument("--shown-as", help=argparse.SUPPRESS)  # A notebook's name for PATH (its check cells).
    parser.add_argument("--step-timeout", type=float, metavar="SECONDS",
                        help=_("a time limit for every step, instead of each step's own"))
    device_option(parser)
    sandbox_option(parser, "off")
    from grader.engine.limits import add_options

    # Batch's limits for the copy each grading makes, hidden; the sandbox's scratch, shown with --sandbox.
    add_options(parser, hidden=("--max-size", "--max-files", "--max-ratio"))
    parser.add_argument("--version", action="version", version=f"mnist-grade {__version__}")
    return parser.parse_args(argv)


def device_option(parser):
    from grader.backend.runtime import DEVICES

    parser.add_argument("--device", choices=DEVICES,
                        help=_("train on the CPU (the default) or a GPU; MNIST_DEVICE sets the default"))


def sandbox_option(parser, default):
    from grader.workers.bubblewrap import MODES

    parser.add_argument("--sandbox", choices=MODES, default=default, help=_(
        "run student code under bubblewrap, with no network and nothing of this machine to see: on, off, or "
        "auto, where it works (default: {default})", default=default))


def checked_sandbox(mode, device, prog="mnist-grade"):
    """Whether workers run under bubblewrap for --sandbox MODE (bubblewrap.use); None after saying why it
    cannot be had. What --sandbox auto says, once, when there is none goes to stderr too."""
    from grader.workers import bubblewrap
    from grader.workers.handle import worker_user

    def note(text):
        print(f"{prog}: " + _("Note: {note}", note=text), file=sys.stderr)

    try:
        return bubblewrap.use(mode, device, worker_user(), say=note)
    except bubblewrap.SandboxError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return None


def checked_device(chosen, prog="mnist-grade"):
    """The device to train on, once it is known to work; None after saying why it cannot be used."""
    from grader.backend import runtime

    try:
        device = runtime.device(chosen)
        runtime.check_device(device)
    except runtime.DeviceError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return None
    os.environ["MNIST_DEVICE"] = device  # For the processes grading starts.
    return device


def main(argv=None):
    argv = choose_language(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["data"]:
        return data_command(argv[1:])
    if argv[:1] == ["hint"]:
        return hint_command(argv[1:])
    if argv[:1] == ["assign"]:
        return assign_command(argv[1:])
    if argv[:1] == ["notebook"]:
        return notebook_command(argv[1:])
    if argv[:1] == ["batch"]:
        return batch_command(argv[1:])
    if argv[:1] == ["gradescope"]:
        return gradescope_command(argv[1:])
    if argv[:1] == ["classroom"]:
        return classroom_command(argv[1:])
    args = parse(argv)  # argparse exits with 2 on bad usage.
    if args.watch:
        from grader.student.watch import watch

        return watch(args.path, pass_on(args))
    return grade_path(args)


def grade_path(args, handover=None):
    """Grade args.path, a notebook or a folder; return mnist-grade's exit code. `handover` gets the Grade."""
    if args.path.endswith(".ipynb"):
        return grade_notebook(args, handover)
    from grader.engine import limits

    try:
        check_folder(args.path, args.shown_path)
        limits.modules(args.path, limits.from_args(args))  # What grading copies, within the limits.
    except (SubmissionError, limits.TooLarge) as error:
        print(f"mnist-grade: {error}", file=sys.stderr)
        return 2
    return grade(args.path, args, handover=handover)


def grade(folder, args, shown=None, handover=None):
    """Grade a submission folder; `shown` names it in messages when it was made from a notebook.

    Return mnist-grade's exit code; `handover` (a Handover) gets the Grade.
    """
    from grader.data import ensure

    shown = shown or getattr(args, "shown_as", None)
    device = checked_device(args.device)
    if device is None:
        return 2
    sandboxed = checked_sandbox(args.sandbox, device)
    if sandboxed is None:
        return 2
    code, found = get_data(lambda bar: ensure(progress=bar))  # Fetch and check MNIST before grading.
    if code:
        return code
    if sandboxed:
        from grader.workers import compiled

        compiled.fill(os.environ, device, say=lambda text: print(text, file=sys.stderr))
    import pytest

    options = pytest_options(str(folder), args.json, args.step_timeout)
    options += [f"--step={args.step}"] * bool(args.step) + ["--compact"] * args.compact
    options += [f"--shown-as={shown}"] if shown else []
    options += [f"--shown-folder={args.shown_path}"] if getattr(args, "shown_path", None) and not shown else []
    options += [f"--grade={args.grade}"] if getattr(args, "grade", None) else []
    options += [f"--time-budget={args.time_budget}"] if getattr(args, "time_budget", None) else []
    options += [f"--sandbox={'on' if sandboxed else 'off'}", f"--max-size={args.max_size:g}",
                f"--max-files={args.max_files}", f"--max-scratch={args.max_scratch:g}"]
    handover = handover or Handover()
    handover.arrays = found[1]
    code = pytest.main(options, plugins=[handover])
    return code if code in (0, 1) else 2


def grade_notebook(args, handover=None):
    """Grade a notebook: its six functions, read out into a submission folder of their own."""
    import tempfile

    from grader.course.notebook import NotebookError, code_cells, submission

    if not Path(args.path).is_file():
        print("mnist-grade: " + _("There is no notebook {path}.", path=args.path), file=sys.stderr)
        return 2
    try:
        sources = code_cells(args.path)
    except NotebookError as error:
        print(f"mnist-grade: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mnist-notebook-") as scratch:
        return grade(submission(sources, Path(scratch) / "notebook"), args, shown=args.shown_path or args.path,
                     handover=handover)


def notebook_command(argv):
    """`mnist-grade notebook [--out FILE] [--lang en|zh] [--solutions]`: write the course as a notebook."""
    parser = command_parser("notebook", _(
        "Write the course as a Jupyter notebook: per step an explanation, the code to fill in and a check."))
    parser.add_argument("--out", metavar="FILE",
                        help=_("where to write it (default: exercises.ipynb or solutions.ipynb)"))
    parser.add_argument("--solutions", action="store_true", help=_("the instructors' notebook, with the answers"))
    args = parser.parse_args(argv)
    import nbformat

    from grader.course.i18n import lang
    from grader.course.notebook import course

    out = Path(args.out or ("solutions.ipynb" if args.solutions else "exercises.ipynb"))
    nbformat.write(course(args.lang or lang(), solutions=args.solutions), out)
    print(_("wrote {path}", path=out))
    print(_("Next: open it with `jupyter lab {path}`, fill in each step's code cell and run the check cell below it.",
            path=out))
    return 0


def command_parser(name, description, epilog=None):
    """The parser of `mnist-grade NAME`, with the --lang option every command takes."""
    return argparse.ArgumentParser(parents=[language()], prog=f"mnist-grade {name}", description=description,
                                   epilog=epilog)


def language():
    """The --lang option every command takes (choose_language has applied it already)."""
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument("--lang", choices=LANGUAGES, help=_("the language of every message (default: from the locale)"))
    return option


def choose_language(argv):
    """Apply --lang, wherever it is on the command line, for this command and the processes it starts (as
    MNIST_LANG); return argv without it. A value that is not a language stays, for argparse to refuse."""
    rest, i = [], 0
    while i < len(argv):
        arg = argv[i]
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.partition("=")[2] if arg.startswith(
            "--lang=") else None
        if value in LANGUAGES:
            os.environ["MNIST_LANG"] = FLAG["lang"] = value
            i += 2 if arg == "--lang" else 1
            continue
        rest.append(arg)
        i += 1
    return rest


def pass_on(args):
    """The options of this run that each grading in watch mode is given too."""
    return [
        *(["--step", args.step] if args.step else []),
        *(["--json", args.json] if args.json else []),
        *(["--step-timeout", str(args.step_timeout)] if args.step_timeout else []),
        *(["--device", args.device] if args.device else []),
        "--sandbox", args.sandbox, "--max-scratch", f"{args.max_scratch:g}",
    ]


def hint_command(argv):
    """`mnist-grade hint STEP [--reset]`: the step's next hint."""
    parser = command_parser("hint", _("Show the next hint for a step, one more each time."))
    parser.add_argument("step", choices=list(STEPS), metavar="STEP", help=", ".join(STEPS))
    parser.add_argument("--reset", action="store_true", help=_("start this step's hints again from the first"))
    args = parser.parse_args(argv)
    from grader.student.hints import next_hint

    print(next_hint(args.step, reset=args.reset))
    return 0


def assign_command(argv):
    """`mnist-grade assign [SOLUTIONS] [EXERCISES]`: make the exercises from the marked solutions."""
    parser = command_parser("assign", _(
        "Write the exercises from the solutions: each # BEGIN SOLUTION … # END SOLUTION region becomes a stub."))
    parser.add_argument("solutions", nargs="?", default="solutions")
    parser.add_argument("exercises", nargs="?", default="exercises")
    args = parser.parse_args(argv)
    from grader.course.assign import MarkerError, assign

    try:
        changed = assign(args.solutions, args.exercises)
    except (MarkerError, OSError) as error:
        print(f"mnist-grade assign: {error}", file=sys.stderr)
        return 2
    for path in changed:
        print(_("wrote {path}", path=path))
    print(_("{folder} is up to date with {solutions}.", folder=args.exercises, solutions=args.solutions))
    return 0


def batch_command(argv):
    """`mnist-grade batch SUBMISSIONS --out RESULTS [--jobs N] [--force]`: grade a whole class."""
    parser = command_parser("batch", _(
        "Grade every submission in a folder (folders, .zip files, notebooks), several at a time."))
    parser.add_argument("submissions", help=_("the folder with one entry per student"))
    parser.add_argument(
        "--out", required=True, metavar="RESULTS", help=_("where grades.csv and each student's results go")
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help=_("submissions graded at once (default: the number of cores)")
    )
    parser.add_argument("--force", action="store_true",
                        help=_("grade every entry again, not only those new or changed since they were graded"))
    parser.add_argument("--only", nargs="+", metavar="NAME", help=_("grade only these students again"))
    parser.add_argument("--assignment", default="MNIST", metavar="NAME",
                        help=_("the assignment's column in canvas.csv, as it is named in Canvas (default: MNIST)"))
    parser.add_argument(
        "--timeout", type=float, default=900, metavar="SECONDS", help=_("wall-clock limit per submission")
    )
    parser.add_argument("--memory", type=int, default=4096, metavar="MB", help=_("memory limit per submission"))
    device_option(parser)
    sandbox_option(parser, "auto")
    from grader.engine.limits import add_options, from_args

    add_options(parser)
    args = parser.parse_args(argv)
    if not Path(args.submissions).is_dir():
        print("mnist-grade batch: " + _("There is no folder {path}.", path=args.submissions), file=sys.stderr)
        return 2
    from grader.instructor.batch import BatchError, checked_entries

    try:
        checked_entries(args.submissions, args.only)  # Before anything is graded.
    except BatchError as error:
        print(f"mnist-grade batch: {error}", file=sys.stderr)
        return 2
    device = checked_device(args.device, "mnist-grade batch")  # Once, rather than as every student's error.
    if device is None:
        return 2
    from grader.workers.handle import WorkerUserError, check_worker_user

    try:
        check_worker_user()  # Once, rather than as every student's error.
    except WorkerUserError as error:
        print(f"mnist-grade batch: {error}", file=sys.stderr)
        return 2
    sandboxed = checked_sandbox(args.sandbox, device, "mnist-grade batch")  # Once: each grading is told on or off.
    if sandboxed is None:
        return 2
    from grader.data import ensure

    code, _found = get_data(lambda bar: ensure(progress=bar))  # Fetch MNIST once, not once per student.
    if code:
        return code
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from grader.instructor.batch import grade_all

    with Progress(
        TextColumn(_("grading")), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True)
    ) as bar:
        task = bar.add_task("batch", total=None)
        rows = grade_all(args.submissions, args.out, args.jobs, args.force, args.timeout, args.memory,
                         progress=lambda total=None: bar.update(task, total=total) if total is not None
                         else bar.advance(task), only=args.only, assignment=args.assignment, sandboxed=sandboxed,
                         within=from_args(args), say=lambda text: print(text, file=sys.stderr))
    counts = {
        status: sum(row["status"] == status for row in rows) for status in ("graded", "error", "timeout", "memory")
    }
    print(_("{count} submissions in {path}: {graded} graded, {error} errors, {timeout} timeouts, {memory} over memory.",
            count=len(rows), path=Path(args.out) / "grades.csv", **counts))
    failed = [row["student"] for row in rows if row["status"] != "graded"]
    if failed:
        print(_("Not graded in full: {students} (their feedback.txt says why).", students=", ".join(failed)))
    return 0


def gradescope_command(argv):
    """`mnist-grade gradescope [--out FILE]`: write the autograder.zip to upload to Gradescope."""
    parser = command_parser("gradescope", _(
        "Write autograder.zip for a Gradescope programming assignment: it grades each submission with this "
        "grader, the package versions pinned in grader/constraints.txt and MNIST, which it carries."))
    parser.add_argument(
        "--out", default="autograder.zip", metavar="FILE", help=_("where to write it (default: autograder.zip)")
    )
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS", help=_(
        "the autograder timeout set in Gradescope for the assignment (default: 600); grading stops 2 minutes "
        "before it, keeping the points already earned"))
    sandbox_option(parser, "auto")
    from grader.engine.limits import add_options, from_args

    add_options(parser)
    args = parser.parse_args(argv)
    from grader.course.i18n import lang
    from grader.data import ensure
    from grader.instructor.gradescope import write_zip

    code, found = get_data(lambda bar: ensure(progress=bar))
    if code:
        return code
    write_zip(args.out, args.lang or lang(), found[1], args.timeout, args.sandbox, from_args(args))
    print(_("wrote {path}: upload it as the autograder of a Gradescope programming assignment.", path=args.out))
    return 0


def classroom_command(argv):
    """`mnist-grade classroom [PATH]`: grade PATH and hand the points to GitHub Classroom's grading reporter."""
    parser = command_parser("classroom", _(
        "Grade a submission in a GitHub Actions workflow: show the report, and write the points as the step "
        "output `result` that GitHub Classroom's grading reporter reads."))
    parser.add_argument(
        "path", nargs="?", default="exercises", help=_("the folder with your six step files (default: exercises)")
    )
    args = parser.parse_args(argv)
    from grader.instructor.classroom import classroom

    def graded(path):
        """(mnist-grade's exit code, the Grade or None) for `path`, graded as mnist-grade PATH grades it."""
        handover = Handover()
        return grade_path(parse([path]), handover), handover.grade

    return classroom(args.path, graded)


def pytest_options(path, json=None, step_timeout=None):
    """The pytest command line that grades `path` as mnist-grade shows it."""
    options = [
        str(CHECKS_DIR),
        f"--submission={path}",
        "--live",
        "-c",
        str(CHECKS_DIR / "pytest.ini"),
        f"--rootdir={CHECKS_DIR}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
    ]
    if json:
        options.append(f"--json={json}")
    if step_timeout:
        options.append(f"--step-timeout={step_timeout}")
    return options


def data_command(argv):
    """`mnist-grade data [--from PATH]`: make sure MNIST is here and verifies, and say where it comes from."""
    parser = command_parser(
        "data", _("Make sure MNIST is here (downloading it if needed), check it, and say where it comes from."),
        epilog=_("Sources, in order: MNIST_DATA (a folder with mnist.npz or the four IDX files), the cache "
                 "(MNIST_CACHE, by default in your user cache folder), Keras's cache (~/.keras/datasets), "
                 "then the mirrors (MNIST_MIRROR replaces them: base URLs serving the four *-ubyte.gz files)."))
    parser.add_argument(
        "--from",
        dest="copy",
        metavar="PATH",
        help=_(
            "import a local copy into the cache: an npz file like Keras's mnist.npz, "
            "or a folder with it or the four IDX files"
        ),
    )
    args = parser.parse_args(argv)
    from grader.data import ARRAYS, ensure, import_from

    code, source = get_data(lambda bar: import_from(args.copy) if args.copy else ensure(progress=bar)[0])
    if code:
        return code
    train, test = (ARRAYS[key].shape[0] for key in ("x_train", "x_test"))
    print(
        _(
            "MNIST is ready: {train} training and {test} test images, all four arrays matching their SHA-256.",
            train=f"{train:,}",
            test=f"{test:,}",
        )
    )
    print(_("From {source}.", source=source.describe()))
    if args.copy and os.environ.get("MNIST_DATA"):
        print(
            _(
                "Note: MNIST_DATA is set, so grading reads {folder}; unset it to use the cache.",
                folder=os.environ["MNIST_DATA"],
            )
        )
    return 0


class Handover:
    """A plugin for one grading session: it hands over MNIST as mnist-grade loaded and checked it (loaded
    once per grading), and takes back the Grade."""

    def __init__(self):
        self.arrays, self.grade = None, None

    def pytest_configure(self, config):
        from grader.checks.plugin import PRELOADED

        config.stash[PRELOADED] = self.arrays

    def pytest_sessionfinish(self, session):
        from grader.checks.plugin import GRADE

        self.grade = session.config.stash.get(GRADE, None)


def get_data(fetch):
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


if __name__ == "__main__":
    sys.exit(main())
