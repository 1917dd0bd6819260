"""The instructor's commands: `mnist-grade batch`, `gradescope`, `classroom50`, `actions`, `gitlab` and `assign` (and
`classroom`, retired), each declared by its add_NAME(commands) (grader/cli.py) beside what it runs."""

import contextlib
import sys
import time
from pathlib import Path

from grader.course.i18n import _
from grader.engine.arguments import add_command, device_option, sandbox_option, text
from grader.instructor.statuses import BatchStatus


def add_batch(commands):
    """`mnist-grade batch SUBMISSIONS --out RESULTS [--jobs N] [--force] [--shard I/N | --merge]`: grade a whole
    class, on one machine or as the shards of a cluster's job array."""
    parser = add_command(commands, "batch", _(
        "Grade every submission in a folder (folders, .zip files, notebooks), several at a time."))
    parser.add_argument("submissions", help=_("the folder with one entry per student"))
    parser.add_argument("--out", required=True, metavar="RESULTS",
                        help=_("where grades.csv, checks.csv, canvas.csv, moodle.csv, report.html (the class report) "
                               "and each student's results go"))
    parser.add_argument("--jobs", type=int, metavar="N",
                        help=_("submissions graded at once (default: the number of cores)"))
    parser.add_argument("--force", action="store_true",
                        help=_("grade every entry again, not only those new or changed since they were graded"))
    parser.add_argument("--only", nargs="+", metavar="NAME", help=_("grade only these students again"))
    parser.add_argument("--assignment", default="MNIST", metavar="NAME", type=text,
                        help=_("the assignment's column in canvas.csv and moodle.csv, as it is named in Canvas or "
                               "Moodle (default: MNIST)"))
    parser.add_argument("--timeout", type=float, default=900, metavar="SECONDS",
                        help=_("wall-clock limit per submission"))
    parser.add_argument("--memory", type=int, default=4096, metavar="MB", help=_("memory limit per submission"))
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument("--shard", type=shard, metavar="I/N", help=_(
        "grade only share I of N (0 <= I < N; a student's share depends on their name alone) into RESULTS, and no "
        "class-wide file: one task of a cluster's job array. Then --merge."))
    cluster.add_argument("--merge", action="store_true", help=_(
        "grade nobody: write grades.csv, checks.csv, canvas.csv, moodle.csv, identical.txt, failures.csv and "
        "report.html from the results the shards stored in RESULTS, naming every student who has none"))
    from grader.instructor.clusters import TEMPLATES

    cluster.add_argument("--template", choices=TEMPLATES, help=_(
        "grade nobody: print a job script (slurm, parallel) or manifest (kubernetes) that grades the class as --shards "
        "shards of --jobs cores each (default 4), then merges them"))
    parser.add_argument("--shards", type=int, metavar="N", help=_("with --template: how many shards"))
    device_option(parser)
    sandbox_option(parser, "auto")
    from grader.engine.limits import add_options

    add_options(parser)
    parser.set_defaults(run=batch)


def shard(text):
    """argparse's type of --shard: a batch.Shard."""
    import argparse

    from grader.instructor.batch import Shard

    try:
        return Shard.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def batch(args):
    """Grade the class: once the folder, the students asked for, the machine's settings and MNIST are known to be
    good (each once, rather than as every student's error), then every entry, with a progress bar. A shard grades its
    share only, never downloading MNIST; --merge grades nobody."""
    if args.merge:
        return merge(args)
    if args.template:
        return template(args)
    settings = batch_settings(args)
    if settings is None:
        return 2
    from grader.data import ensure
    from grader.engine.grading import fetch_data

    # Fetch MNIST once, not once per student; a shard on a compute node, often offline, only finds it.
    code, _found = fetch_data(lambda bar: ensure(progress=bar, offline=settings.shard is not None))
    if code:
        return code
    with shown_progress(_("grading")) as progress:
        from grader.instructor.batch import grade_all

        rows = grade_all(args.submissions, args.out, settings, progress=progress,
                         say=lambda text: print(text, file=sys.stderr))
    counts = counted(rows)
    if settings.shard is None:
        print(_("{count} submissions in {path}: {graded} graded, {error} errors, {timeout} timeouts, {memory} over "
                "memory.", count=len(rows), path=Path(args.out) / "grades.csv", **counts))
    else:
        print(_("Shard {shard}: {count} submissions stored in {path}: {graded} graded, {error} errors, {timeout} "
                "timeouts, {memory} over memory.", shard=settings.shard, count=len(rows), path=args.out, **counts))
    failed = [row["student"] for row in rows if row["status"] != BatchStatus.GRADED]
    if failed:
        print(_("Not graded in full: {students} (their feedback.txt says why).", students=", ".join(failed)))
    if settings.shard is not None:
        print(_("Once every shard is done: mnist-grade batch {submissions} --out {out} --merge",
                submissions=args.submissions, out=args.out))
    return 0


def merge(args):
    """`batch --merge`: the class-wide files from the stored results; exit 1, naming them, while a student has none."""
    from grader.instructor.batch import BatchError
    from grader.instructor.batch import merge as merged

    if not Path(args.submissions).is_dir():
        print("mnist-grade batch: " + _("There is no folder {path}.", path=args.submissions), file=sys.stderr)
        return 2
    try:
        with shown_progress(_("merging")) as progress:
            rows, missing = merged(args.submissions, args.out, args.assignment, progress)
    except BatchError as error:
        print("mnist-grade batch: " + str(error), file=sys.stderr)
        return 2
    print(_("{count} submissions in {path}: {graded} graded, {error} errors, {timeout} timeouts, {memory} over memory, "
            "{missing} missing.", count=len(rows), path=Path(args.out) / "grades.csv", **counted(rows)))
    if missing:
        print("mnist-grade batch: " + _(
            "no stored result for {count} students: {students}. Their shards did not finish: run them again (or "
            "`mnist-grade batch --only` them), then merge again.", count=len(missing), students=", ".join(missing)),
            file=sys.stderr)
        return 1
    return 0


def template(args):
    """`batch --template KIND --shards N`: the filled-in template on stdout; exit 2, saying why, when it cannot be."""
    from grader.engine.limits import Limits, from_args
    from grader.instructor.batch import BatchError, entries
    from grader.instructor.clusters import Cluster, TemplateError, render

    def say(text):
        print("mnist-grade batch: " + text, file=sys.stderr)

    if not Path(args.submissions).is_dir():
        say(_("There is no folder {path}.", path=args.submissions))
        return 2
    if not args.shards or args.shards < 1:
        say(_("--template needs --shards N, how many shards to grade the class in (1 or more)."))
        return 2
    options = ["--timeout", f"{args.timeout:g}", "--memory", str(args.memory), "--sandbox", args.sandbox]
    options += ["--device", args.device] if args.device else []
    default, given = Limits(), from_args(args)
    for flag, name in (("--max-size", "size_mb"), ("--max-files", "files"), ("--max-ratio", "ratio"),
                       ("--max-scratch", "scratch_mb")):
        if getattr(given, name) != getattr(default, name):
            options += [flag, f"{getattr(given, name):g}"]
    language = ["--lang", args.lang] if args.lang else []
    try:
        cluster = Cluster(args.template, Path(args.submissions).resolve(), Path(args.out).resolve(), args.shards,
                          len(entries(args.submissions)), args.jobs or 4, args.timeout, args.memory,
                          (*options, *language), ("--assignment", args.assignment, *language))
        print(render(cluster), end="")
    except (BatchError, TemplateError) as error:
        say(str(error))
        return 2
    return 0


def counted(rows):
    """How many `rows` have each status a batch gives."""
    return {str(status): sum(row["status"] == status for row in rows) for status in BatchStatus}


def batch_settings(args):
    """The BatchSettings of `mnist-grade batch`'s command line, settled as every grading is (isolated.settled()); None
    after saying why the batch cannot start."""
    from grader.engine.limits import from_args
    from grader.engine.options import OptionsError
    from grader.instructor.batch import BatchError, BatchSettings, checked_entries
    from grader.instructor.isolated import settled

    def say(text):
        print("mnist-grade batch: " + text, file=sys.stderr)

    if not Path(args.submissions).is_dir():
        say(_("There is no folder {path}.", path=args.submissions))
        return None
    try:
        checked_entries(args.submissions, args.only)  # Before anything is graded.
        isolation = settled(args.timeout, args.memory, from_args(args), args.device, args.sandbox,
                            say=lambda text: say(_("Note: {note}", note=text)))
    except (BatchError, OptionsError) as error:
        say(str(error))
        return None
    return BatchSettings(isolation, args.jobs, args.force, tuple(args.only) if args.only else None, args.assignment,
                         args.shard)


@contextlib.contextmanager
def shown_progress(label):
    """A progress(total=None) to call with the count of the work, then once per piece done: a bar on stderr where it
    is a terminal; elsewhere (a Slurm log, `kubectl logs`) a line such as "grading 40/400" every tenth of the work and
    at least every minute, so that a log says how far it is."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield LoggedProgress(label)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(label, total=None)

        def progress(total=None):
            bar.update(task, total=total) if total is not None else bar.advance(task)

        yield progress


class LoggedProgress:
    """shown_progress()'s lines for a log."""

    EVERY = 60  # Seconds: a line at least this often.

    def __init__(self, label):
        self.label, self.total, self.done, self.said = label, None, 0, time.monotonic()

    def __call__(self, total=None):
        if total is not None:
            self.total = total
            return
        self.done += 1
        step = max(1, (self.total or 0) // 10)
        if self.done % step == 0 or self.done == self.total or time.monotonic() - self.said >= self.EVERY:
            self.said = time.monotonic()
            print(f"{self.label} {self.done}/{self.total if self.total is not None else '?'}", file=sys.stderr,
                  flush=True)


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
    from grader.data import ensure
    from grader.engine.grading import fetch_data
    from grader.engine.limits import from_args
    from grader.instructor.gradescope import write_zip
    from grader.results.console import asked_language

    code, found = fetch_data(lambda bar: ensure(progress=bar))
    if code:
        return code
    write_zip(args.out, args.lang or asked_language(), found[1], args.timeout, args.sandbox, from_args(args))
    print(_("wrote {path}: upload it as the autograder of a Gradescope programming assignment.", path=args.out))
    return 0


def add_classroom(commands):
    """`mnist-grade classroom`: what GitHub Classroom's command did, retired with it."""
    parser = add_command(commands, "classroom", _("GitHub Classroom was retired by GitHub on 2026-08-28; see "
                                                  "`mnist-grade classroom50` and `mnist-grade actions`."))
    parser.add_argument("path", nargs="?", help=_("what it graded: nothing is graded now"))
    parser.set_defaults(run=classroom)


def classroom(args):
    print(_("mnist-grade classroom: GitHub Classroom was retired by GitHub on 2026-08-28. Grade with Classroom 50 "
            "(mnist-grade classroom50) or a plain GitHub Actions workflow (mnist-grade actions): INSTRUCTORS.md says "
            "how."), file=sys.stderr)
    return 2


def add_classroom50(commands):
    """`mnist-grade classroom50 [PATH]`: grade for Classroom 50's runner; `mnist-grade classroom50 bundle DIR`: write
    the teacher's autograder bundle."""
    from grader.instructor.classroom50 import GRADING_SECONDS

    parser = add_command(commands, "classroom50", _(
        "Grade PATH (default: exercises) where Classroom 50's runner runs the autograder: write result.json and "
        "release-body.md, the page students open from \"View grade\", and exit 0 whenever a result was written. "
        "`mnist-grade classroom50 bundle DIR` writes the autograder for an assignment into DIR."))
    parser.add_argument("path", nargs="?", default="exercises", metavar="PATH | bundle",
                        help=_("the folder with the six step files (default: exercises), or `bundle`"))
    parser.add_argument("folder", nargs="?", metavar="DIR", help=_("with `bundle`: where the bundle goes"))
    parser.add_argument("--timeout", type=float, default=GRADING_SECONDS, metavar="SECONDS",
                        help=_("wall-clock limit of the grading (default: {default:g})",
                               default=GRADING_SECONDS))
    parser.add_argument("--memory", type=int, default=4096, metavar="MB", help=_("memory limit of the grading"))
    parser.add_argument("--submission", default="exercises", metavar="PATH", help=_(
        "with `bundle`: the folder the autograder grades in the student's repository (default: exercises)"))
    sandbox_option(parser, "auto")
    from grader.engine.limits import add_options

    add_options(parser)
    parser.set_defaults(run=classroom50)


def classroom50(args):
    import os

    from grader.engine.limits import from_args
    from grader.instructor import classroom50 as c50

    if args.path == "bundle" and (args.folder or not Path("bundle").is_dir()):
        if not args.folder:
            print("mnist-grade classroom50 bundle: " + _("say where the bundle goes: mnist-grade classroom50 bundle "
                                                         "DIR"), file=sys.stderr)
            return 2
        from grader.results.console import asked_language

        c50.write_bundle(args.folder, args.lang or asked_language(), path=args.submission)
        print(_("wrote the autograder into {folder}: put it in your classroom50 repository as "
                "CLASSROOM/autograders/ASSIGNMENT/, and give the assignment the runtime in {runtime} (gh teacher "
                "assignment add --runtime {runtime}).", folder=args.folder, runtime=Path(args.folder) / "runtime.json"))
        return 0
    if args.folder:
        print("mnist-grade classroom50: " + _("one folder to grade, or `bundle DIR`"), file=sys.stderr)
        return 2
    return c50.run(args.path, os.environ, c50.Settings(args.timeout, args.memory, args.sandbox, from_args(args)))


def add_actions(commands):
    """`mnist-grade actions [PATH]`: grade in a GitHub Actions job, with a job summary and annotations."""
    parser = add_job(commands, "actions", _(
        "Grade PATH (default: exercises) in a GitHub Actions job: the report in the log, as Markdown in the job's "
        "summary ($GITHUB_STEP_SUMMARY), and each step to fix as an annotation on its file. Exit codes as "
        "mnist-grade's: the run is red until every check passes."))
    parser.set_defaults(run=actions)


def actions(args):
    import os

    from grader.instructor.actions import actions

    return actions(args.path, os.environ, job_grading(args))


def add_gitlab(commands):
    """`mnist-grade gitlab [PATH] [--junit FILE]`: grade in a GitLab CI (or Jenkins) job, with a JUnit test report."""
    parser = add_job(commands, "gitlab", _(
        "Grade PATH (default: exercises) in a GitLab CI or Jenkins job: the report in the log, and the grade as JUnit "
        "XML, the test report GitLab and Jenkins show. Exit codes as mnist-grade's: the job fails until every check "
        "passes."))
    parser.add_argument("--junit", default="mnist-junit.xml", metavar="FILE",
                        help=_("where the JUnit XML goes (default: {default})", default="mnist-junit.xml"))
    parser.set_defaults(run=gitlab)


def gitlab(args):
    from grader.instructor.gitlab import gitlab

    return gitlab(args.path, args.junit, job_grading(args))


def add_job(commands, name, description):
    """The parser of a CI job's command (`actions`, `gitlab`): the folder to grade, and the grading's limits."""
    parser = add_command(commands, name, description)
    parser.add_argument("path", nargs="?", default="exercises",
                        help=_("the folder with your six step files (default: exercises)"))
    parser.add_argument("--timeout", type=float, default=900, metavar="SECONDS",
                        help=_("wall-clock limit of the grading (default: {default:g})", default=900))
    parser.add_argument("--memory", type=int, default=4096, metavar="MB", help=_("memory limit of the grading"))
    return parser


def job_grading(args):
    """A CI job's grading of a folder, within the command's limits: isolated.graded_in_isolation()."""
    from grader.instructor.isolated import graded_in_isolation

    return lambda path: graded_in_isolation(path, args.timeout, args.memory)


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
