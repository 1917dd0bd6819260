"""mnist-grade: grade a submission of the MNIST course. Exit 0 when all passes, 1 when not, 2 on bad usage."""

import argparse
import sys
from pathlib import Path

from grader import __version__
from grader.submission import SubmissionError, check_folder

GRADER_DIR = Path(__file__).resolve().parent


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="mnist-grade",
        description="Grade the six steps of the Keras MNIST course in a folder.",
    )
    parser.add_argument("path", nargs="?", default="exercises",
                        help="the folder with your six step files (default: exercises)")
    parser.add_argument("--json", metavar="FILE", help="also write the grade as Gradescope results.json")
    parser.add_argument("--step-timeout", type=float, metavar="SECONDS",
                        help="a time limit for every step, instead of each step's own")
    parser.add_argument("--version", action="version", version=f"mnist-grade {__version__}")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)  # argparse exits with 2 on bad usage.
    try:
        check_folder(args.path)
    except SubmissionError as error:
        print(f"mnist-grade: {error}", file=sys.stderr)
        return 2
    import pytest

    code = pytest.main(pytest_options(args.path, args.json, args.step_timeout))
    return code if code in (0, 1) else 2


def pytest_options(path, json=None, step_timeout=None):
    """The pytest command line that grades `path` as mnist-grade shows it."""
    options = [
        str(GRADER_DIR), f"--submission={path}", "--live",
        "-c", str(GRADER_DIR / "pytest.ini"), f"--rootdir={GRADER_DIR}",
        "-p", "no:cacheprovider", "-p", "no:terminal",
    ]
    if json:
        options.append(f"--json={json}")
    if step_timeout:
        options.append(f"--step-timeout={step_timeout}")
    return options


if __name__ == "__main__":
    sys.exit(main())
