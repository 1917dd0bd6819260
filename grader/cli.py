"""mnist-grade: grade a submission of the MNIST course; `mnist-grade data` gets and checks MNIST.

Exit 0 when all passes, 1 when not, 2 on bad usage or when MNIST cannot be had.
"""

import argparse
import os
import sys
from pathlib import Path

from grader import __version__
from grader.submission import SubmissionError, check_folder

GRADER_DIR = Path(__file__).resolve().parent


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="mnist-grade",
        description="Grade the six steps of the Keras MNIST course in a folder.",
        epilog="`mnist-grade data --help` tells how to get MNIST offline or on a flaky link.",
    )
    parser.add_argument("path", nargs="?", default="exercises",
                        help="the folder with your six step files (default: exercises)")
    parser.add_argument("--json", metavar="FILE", help="also write the grade as Gradescope results.json")
    parser.add_argument("--step-timeout", type=float, metavar="SECONDS",
                        help="a time limit for every step, instead of each step's own")
    parser.add_argument("--version", action="version", version=f"mnist-grade {__version__}")
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["data"]:
        return data_command(argv[1:])
    args = parse(argv)  # argparse exits with 2 on bad usage.
    try:
        check_folder(args.path)
    except SubmissionError as error:
        print(f"mnist-grade: {error}", file=sys.stderr)
        return 2
    from grader.data import ensure

    code, found = get_data(lambda bar: ensure(progress=bar))  # Fetch and check MNIST before grading.
    if code:
        return code
    import pytest

    code = pytest.main(pytest_options(args.path, args.json, args.step_timeout), plugins=[Preloaded(found[1])])
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


def data_command(argv):
    """`mnist-grade data [--from PATH]`: make sure MNIST is here and verifies, and say where it comes from."""
    parser = argparse.ArgumentParser(
        prog="mnist-grade data",
        description="Make sure MNIST is here (downloading it if needed), check it, and say where it comes from.",
        epilog="Sources, in order: MNIST_DATA (a folder with mnist.npz or the four IDX files), the cache "
               "(MNIST_CACHE, by default in your user cache folder), Keras's cache (~/.keras/datasets), "
               "then the mirrors (MNIST_MIRROR replaces them: base URLs serving the four *-ubyte.gz files).",
    )
    parser.add_argument("--from", dest="copy", metavar="PATH",
                        help="import a local copy into the cache: an npz file like Keras's mnist.npz, "
                             "or a folder with it or the four IDX files")
    args = parser.parse_args(argv)
    from grader.data import ARRAYS, ensure, import_from

    code, source = get_data(lambda bar: import_from(args.copy) if args.copy else ensure(progress=bar)[0])
    if code:
        return code
    train, test = (ARRAYS[key].shape[0] for key in ("x_train", "x_test"))
    print(f"MNIST is ready: {train:,} training and {test:,} test images, all four arrays matching their SHA-256.")
    print(f"From {source.describe()}.")
    if args.copy and os.environ.get("MNIST_DATA"):
        print(f"Note: MNIST_DATA is set, so grading reads {os.environ['MNIST_DATA']}; unset it to use the cache.")
    return 0


class Preloaded:
    """MNIST as mnist-grade loaded and checked it, handed to the grading session: loaded once per grading."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.__name__ = "mnist-data"  # The name pytest registers it under, for grader/conftest.py to find.


def get_data(fetch):
    """Return (0, fetch(progress_bar)); or (2, None) after saying why MNIST is unavailable; (130, None) on Ctrl-C."""
    from grader.data import DataError
    from grader.data.progress import Bar

    try:
        with Bar() as bar:
            return 0, fetch(bar)
    except DataError as error:
        print(f"MNIST data unavailable: {error}", file=sys.stderr)
        return 2, None
    except KeyboardInterrupt:
        print("mnist-grade: interrupted; nothing half-downloaded was kept.", file=sys.stderr)
        return 130, None


if __name__ == "__main__":
    sys.exit(main())
