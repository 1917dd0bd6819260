"""The instructor's commands: `mnist-grade batch`, `gradescope`, `classroom` and `assign`, each declared by its
add_NAME(commands) (grader/cli.py) beside what it runs."""

import sys
from pathlib import Path

from grader.course.i18n import _
from grader.engine.arguments import add_command, device_option, sandbox_option


def add_batch(commands):
    """`mnist-grade batch SUBMISSIONS --out RESULTS [--jobs N] [--force]`: grade a whole class."""
    parser = add_command(commands, "batch", _(
        "Grade every submission in a folder (folders, .zip files, notebooks), several at a time."))
    parser.add_argument("submissions", help=_("the folder with one entry per student"))
    parser.add_argument("--out", required=True, metavar="RESULTS",
                        help=_("where grades.csv and each student's results go"))
    parser.add_argument("--jobs", type=int, metavar="N",
                        help=_("submissions graded at once (default: the number of cores)"))
    parser.add_argument("--force", action="store_true",
                        help=_("grade every entry again, not only those new or changed since they were graded"))
    parser.add_argument("--only", nargs="+", metavar="NAME", help=_("grade only these students again"))
    parser.add_argument("--assignment", default="MNIST", metavar="NAME",
                        help=_("the assignment's column in canvas.csv, as it is named in Canvas (default: MNIST)"))
    parser.add_argument("--timeout", type=float, default=900, metavar="SECONDS",
                        help=_("wall-clock limit per submission"))
    parser.add_argument("--memory", type=int, default=4096, metavar="MB", help=_("memory limit per submission"))
    device_option(parser)
    sandbox_option(parser, "auto")
    from grader.engine.limits import add_options

    add_options(parser)
    parser.set_defaults(run=batch)


def batch(args):
    """Grade the class: once the folder, the students asked for, the machine's settings and MNIST are known to be
    good (each once, rather than as every student's error), then every entry, with a progress bar."""
    settings = batch_settings(args)
    if settings is None:
        return 2
    from grader.data import ensure
    from grader.engine.grading import fetch_data

    code, _found = fetch_data(lambda bar: ensure(progress=bar))  # Fetch MNIST once, not once per student.
    if code:
        return code
    rows = grade_with_a_bar(args.submissions, args.out, settings)
    counts = {status: sum(row["status"] == status for row in rows)
              for status in ("graded", "error", "timeout", "memory")}
    print(_("{count} submissions in {path}: {graded} graded, {error} errors, {timeout} timeouts, {memory} over memory.",
            count=len(rows), path=Path(args.out) / "grades.csv", **counts))
    failed = [row["student"] for row in rows if row["status"] != "graded"]
    if failed:
        print(_("Not graded in full: {students} (their feedback.txt says why).", students=", ".join(failed)))
    return 0


def batch_settings(args):
    """The BatchSettings of `mnist-grade batch`'s command line, the device and the sandbox settled; None after
    saying why the batch cannot start."""
    from grader.engine.limits import from_args
    from grader.engine.options import GradingOptions, OptionsError, settle
    from grader.instructor.batch import BatchError, BatchSettings, checked_entries

    def say(text):
        print("mnist-grade batch: " + text, file=sys.stderr)

    if not Path(args.submissions).is_dir():
        say(_("There is no folder {path}.", path=args.submissions))
        return None
    try:
        checked_entries(args.submissions, args.only)  # Before anything is graded.
        settled = settle(GradingOptions(args.submissions, device=args.device, sandbox=args.sandbox),
                         say=lambda text: say(_("Note: {note}", note=text)))
    except (BatchError, OptionsError) as error:
        say(str(error))
        return None
    return BatchSettings(args.timeout, args.memory, from_args(args), settled.device, settled.sandboxed, args.jobs,
                         args.force, tuple(args.only) if args.only else None, args.assignment)


def grade_with_a_bar(submissions, out, settings):
    """grade_all(), with a progress bar on stderr; its rows."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from grader.instructor.batch import grade_all

    with Progress(TextColumn(_("grading")), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True)) as bar:
        task = bar.add_task("batch", total=None)

        def progress(total=None):
            bar.update(task, total=total) if total is not None else bar.advance(task)

        return grade_all(submissions, out, settings, progress=progress, say=lambda text: print(text, file=sys.stderr))


def add_gradescope(commands):
    """`mnist-grade gradescope [--out FILE]`: write the autograder.zip to upload to Gradescope."""
    parser = add_command(commands, "gradescope", _(
        "Write autograder.zip for a Gradescope programming assignment: it grades each submission with this "
        "grader, the package versions pinned in grader/constraints.txt and MNIST, which it carries."))
    parser.add_argument("--out", default="autograder.zip", metavar="FILE",
                        help=_("where to write it (default: autograder.zip)"))
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS", help=_(
        "the autograder timeout set in Gradescope for the assignment (default: 600); grading stops 2 minutes "
        "before it, keeping the points already earned"))
    sandbox_option(parser, "auto")
    from grader.engine.limits import add_options

    add_options(parser)
    parser.set_defaults(run=gradescope)


def gradescope(args):
    from grader.course.i18n import lang
    from grader.data import ensure
    from grader.engine.grading import fetch_data
    from grader.engine.limits import from_args
    from grader.instructor.gradescope import write_zip

    code, found = fetch_data(lambda bar: ensure(progress=bar))
    if code:
        return code
    write_zip(args.out, args.lang or lang(), found[1], args.timeout, args.sandbox, from_args(args))
    print(_("wrote {path}: upload it as the autograder of a Gradescope programming assignment.", path=args.out))
    return 0


def add_classroom(commands):
    """`mnist-grade classroom [PATH]`: grade PATH and hand the points to GitHub Classroom's grading reporter."""
    parser = add_command(commands, "classroom", _(
        "Grade a submission in a GitHub Actions workflow: show the report, and write the points as the step "
        "output `result` that GitHub Classroom's grading reporter reads."))
    parser.add_argument("path", nargs="?", default="exercises",
                        help=_("the folder with your six step files (default: exercises)"))
    parser.set_defaults(run=classroom)


def classroom(args):
    from grader.engine.grading import run
    from grader.engine.options import GradingOptions
    from grader.instructor.classroom import classroom

    return classroom(args.path, lambda path: run(GradingOptions(path)))


def add_assign(commands):
    """`mnist-grade assign [SOLUTIONS] [EXERCISES]`: make the exercises from the marked solutions."""
    parser = add_command(commands, "assign", _(
        "Write the exercises from the solutions: each # BEGIN SOLUTION … # END SOLUTION region becomes a stub."))
    parser.add_argument("solutions", nargs="?", default="solutions")
    parser.add_argument("exercises", nargs="?", default="exercises")
    parser.set_defaults(run=assign)


def assign(args):
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
