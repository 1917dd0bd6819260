"""The student's commands besides grading: `mnist-grade hint STEP`, `mnist-grade data` and `mnist-grade notebook`,
each declared by its add_NAME(commands) (grader/cli.py) beside what it runs."""

import os
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
    """`mnist-grade notebook [--out FILE] [--lang en|zh] [--solutions]`: write the course as a notebook."""
    parser = add_command(commands, "notebook", _(
        "Write the course as a Jupyter notebook: per step an explanation, the code to fill in and a check."))
    parser.add_argument("--out", metavar="FILE",
                        help=_("where to write it (default: exercises.ipynb or solutions.ipynb)"))
    parser.add_argument("--solutions", action="store_true", help=_("the instructors' notebook, with the answers"))
    parser.set_defaults(run=notebook_command)


def notebook_command(args):
    import nbformat

    from grader.course.i18n import lang
    from grader.course.notebook import course

    out = Path(args.out or ("solutions.ipynb" if args.solutions else "exercises.ipynb"))
    nbformat.write(course(args.lang or lang(), solutions=args.solutions), out)
    print(_("wrote {path}", path=out))
    print(_("Next: open it with `jupyter lab {path}`, fill in each step's code cell and run the check cell below it.",
            path=out))
    return 0
