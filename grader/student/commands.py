"""The student's commands besides grading: `mnist-grade hint STEP`, `data`, `notebook` and `init`,
each declared by its add_NAME(commands) (grader/cli.py) beside what it runs."""

import os
import sys
from pathlib import Path

from grader.course.i18n import _
from grader.course.steps import STEPS
from grader.engine.arguments import add_command


def add_hint(commands):
    """`mnist-grade hint STEP [--reset]`: the step's next hint."""
    parser = add_command(commands, "hint", _("Show the next hint for a step, one more each time."))
    parser.add_argument("step", choices=list(STEPS), metavar="STEP", help=", ".join(STEPS))
    parser.add_argument("--reset", action="store_true", help=_("start this step's hints again from the first"))
    parser.set_defaults(run=hint)


def hint(args):
    from grader.student.hints import next_hint

    print(next_hint(args.step, reset=args.reset, lang=args.lang))
    return 0


def add_data(commands):
    parser = add_command(
        commands, "data",
        _("Make sure MNIST is here (downloading it if needed), check it, and say where it comes from."),
        epilog=_("Sources, in order: MNIST_DATA (a folder with mnist.npz or the four IDX files), the cache "
                 "(MNIST_CACHE, by default in your user cache folder), Keras's cache (~/.keras/datasets), "
                 "then the mirrors (MNIST_MIRROR replaces them: base URLs serving the four *-ubyte.gz files)."))
    parser.add_argument("--from", dest="copy", metavar="PATH", help=_(
        "import a local copy into the cache: an npz file like Keras's mnist.npz, or a folder with it or the four IDX "
        "files"))
    parser.set_defaults(run=data)


def data(args):
    from grader.data import ARRAYS, ensure, import_from
    from grader.engine.grading import fetch_data

    code, source = fetch_data(lambda bar: import_from(args.copy) if args.copy else ensure(progress=bar)[0])
    if code:
        return code
    train, test = (ARRAYS[key].shape[0] for key in ("x_train", "x_test"))
    print(_("MNIST is ready: {train} training and {test} test images, all four arrays matching their SHA-256.",
            train=f"{train:,}", test=f"{test:,}"))
    print(_("From {source}.", source=source.describe()))
    if args.copy and os.environ.get("MNIST_DATA"):
        print(_("Note: MNIST_DATA is set, so grading reads {folder}; unset it to use the cache.",
                folder=os.environ["MNIST_DATA"]))
    return 0


def add_notebook(commands):
    """`mnist-grade notebook [--out FILE] [--solutions] [--nbgrader] [--install SPEC]`: write the course as a
    notebook."""
    from grader.course.notebook import default_install

    parser = add_command(commands, "notebook", _(
        "Write the course as a Jupyter notebook: per step an explanation, the code to fill in and a check."))
    parser.add_argument("--out", metavar="FILE",
                        help=_("where to write it (default: exercises.ipynb, solutions.ipynb or source.ipynb)"))
    parser.add_argument("--solutions", action="store_true", help=_("the instructors' notebook, with the answers"))
    parser.add_argument("--nbgrader", action="store_true", help=_(
        "nbgrader's source notebook: the answers as autograded answer cells, each step's check as a locked test "
        "cell worth its points"))
    default = default_install()
    parser.add_argument("--install", metavar="SPEC", default=default, help=_(
        "what the first cell installs with %%pip where a kernel has no grader (Colab, a hosted Jupyter): a wheel's "
        "path or URL, or git+URL (default: {default})", default=default or _("none: the cell says how to install")))
    parser.set_defaults(run=notebook_command)


def notebook_command(args):
    import nbformat

    from grader.course.code import CourseError
    from grader.course.notebook import course
    from grader.results.console import asked_language

    name = "source.ipynb" if args.nbgrader else "solutions.ipynb" if args.solutions else "exercises.ipynb"
    out = Path(args.out or name)
    try:
        notebook = course(args.lang or asked_language(), solutions=args.solutions, install=args.install,
                          nbgrader=args.nbgrader)
    except CourseError as error:
        print(f"mnist-grade: {error}", file=sys.stderr)
        return 2
    nbformat.write(notebook, out)
    print(_("wrote {path}", path=out))
    if args.nbgrader:
        print(_("Next: put it in your nbgrader course as source/ASSIGNMENT/{name}, then run `nbgrader "
                "generate_assignment ASSIGNMENT`.", name=out.name))
    else:
        print(_("Next: open it with `jupyter lab {path}`, fill in each step's code cell and run the check cell "
                "below it.", path=out))
    return 0


def add_init(commands):
    """`mnist-grade init [DIR]`: a course folder for a student who installed the grader alone."""
    parser = add_command(commands, "init", _(
        "Start the course in a folder: the six step files, the course as a notebook and a README."))
    parser.add_argument("folder", nargs="?", default="mnist-course",
                        help=_("where to write them (default: mnist-course); files there already are never "
                               "overwritten"))
    parser.set_defaults(run=init_command)


def init_command(args):
    from grader.results.console import asked_language
    from grader.student.init import FolderTaken, init

    try:
        init(args.folder, args.lang or asked_language())
    except FolderTaken as error:
        print(f"mnist-grade: {error}", file=sys.stderr)
        return 2
    print(_("Wrote the course into {folder}: the six step files, {notebook} and README.md.", folder=args.folder,
            notebook="mnist.ipynb"))
    print(_("Next: open {path}, replace `raise NotImplementedError` with your code, then run `mnist-grade {folder}`.",
            path=Path(args.folder) / "reshape.py", folder=args.folder))
    return 0
