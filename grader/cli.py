"""mnist-grade: grade a submission of the MNIST course; `mnist-grade data` gets and checks MNIST;
`mnist-grade hint STEP` gives the next hint for a step; `batch`, `gradescope`, `classroom50`, `actions` and `gitlab`
are for instructors grading a class.

Each subcommand is declared beside what it runs (COMMANDS: an add_NAME function that adds its parser and sets
its `run`); grading itself makes a GradingOptions and hands it to grader/engine/grading.py.
Exit 0 when all passes, 1 when not, 2 on bad usage or when MNIST cannot be had.
"""

import argparse
import importlib
import sys

from grader import __version__
from grader.course.i18n import _
from grader.course.steps import STEPS
from grader.engine.arguments import choose_language, device_option, language, sandbox_option
from grader.results.console import fit as fit_streams

# Each subcommand: the module whose add_NAME(commands) declares it.
COMMANDS = {
    "data": "grader.student.commands",
    "hint": "grader.student.commands",
    "assign": "grader.instructor.commands",
    "notebook": "grader.student.commands",
    "init": "grader.student.commands",
    "batch": "grader.instructor.commands",
    "gradescope": "grader.instructor.commands",
    "classroom50": "grader.instructor.commands",
    "actions": "grader.instructor.commands",
    "gitlab": "grader.instructor.commands",
    "classroom": "grader.instructor.commands",  # Retired: it says so, and what to use.
}


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
    parser.add_argument("--json", metavar="FILE", help=_("also write the grade as Gradescope results.json"))
    parser.add_argument("--junit", metavar="FILE",
                        help=_("also write the grade as JUnit XML, the test report GitLab and Jenkins show"))
    parser.add_argument("--step-timeout", type=float, metavar="SECONDS",
                        help=_("a time limit for every step, instead of each step's own"))
    device_option(parser)
    sandbox_option(parser, "off")
    from grader.engine.limits import scratch_option

    scratch_option(parser)
    parser.add_argument("--version", action="version", version=f"mnist-grade {__version__}")
    return parser.parse_args(argv)


def grading_options(args):
    """The GradingOptions of mnist-grade's command line."""
    from grader.engine.limits import Limits
    from grader.engine.options import GradingOptions

    return GradingOptions(args.path, step=args.step, step_timeout=args.step_timeout, device=args.device,
                          sandbox=args.sandbox, limits=Limits(scratch_mb=args.max_scratch), json_file=args.json,
                          junit_file=args.junit)


def main(argv: list[str] | None = None) -> int:
    argv, chosen = choose_language(sys.argv[1:] if argv is None else argv)
    fit_streams()  # Before anything is printed: a console in GBK, cp1252 or ASCII shows what it can.
    if argv[:1] and argv[0] in COMMANDS:
        args = commands().parse_args(argv)  # argparse exits with 2 on bad usage.
        args.lang = args.lang or chosen
        return args.run(args)
    args = parse(argv)
    options = grading_options(args)
    if args.watch:
        from grader.student.watch import watch

        return watch(args.path, options)
    from grader.engine.grading import run

    return run(options)[0]


def commands():
    """The parser of mnist-grade's subcommands: each module of COMMANDS adds its own."""
    parser = argparse.ArgumentParser(prog="mnist-grade")
    subparsers = parser.add_subparsers(required=True)
    for name, module in COMMANDS.items():
        getattr(importlib.import_module(module), f"add_{name}")(subparsers)
    return parser


if __name__ == "__main__":
    sys.exit(main())
