"""Gradescope: `mnist-grade gradescope` writes autograder.zip; inside it, run_autograder calls `run` here.

The zip holds Gradescope's two scripts, the grader's source, requirements.txt pinning the packages
installed here (those the reference accuracy was measured with) and MNIST, checked, as data/mnist.npz:
nothing is downloaded while students wait. `run` finds the student's work in AUTOGRADER/submission
(the six files in any folder, a .zip of them, or one notebook), grades a copy of it as batch grading
grades one student, and always leaves AUTOGRADER/results/results.json, with the reason when there
was nothing to grade.
"""

import argparse
import json
import os
import shutil
import stat
import sys
import tempfile
import tomllib
import traceback
import zipfile
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

import numpy as np
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.course.i18n import _
from grader.data.files import write_whole
from grader.engine import limits
from grader.engine.options import OptionsError
from grader.engine.submission import find_work
from grader.instructor import isolated
from grader.instructor.templates import bundled, fill
from grader.results import render
from grader.workers import bubblewrap
from grader.workers.users import PACKAGE_ROOT

GRADER_DIR = PACKAGE_ROOT / "grader"
# Gradescope stops an autograder at the assignment's timeout (10 minutes unless the instructor sets another):
# grading stops MARGIN seconds before it, keeping what it graded, so that results.json is always written.
GRADESCOPE_TIMEOUT, MARGIN, MEMORY_MB = 600, 120, 3072
CONSTRAINTS_HEADER = """\
# The versions Gradescope's bundle and the Classroom workflow install: the grader's dependencies and
# theirs, as installed where they were last measured. Written by: python -m grader.instructor.gradescope constraints
"""
CONSTRAINTS = GRADER_DIR / "constraints.txt"


def requirements():
    """The grader's dependencies and theirs, each pinned to the version installed here: the grader's
    own first, then the rest by name. `python -m grader.instructor.gradescope constraints` prints them, to write
    grader/constraints.txt, which Gradescope's bundle and the Classroom workflow install.

    The grader's are read from pyproject.toml in a checkout (an editable install's metadata is as old
    as the install), else from the installed package's metadata.
    """
    pyproject = GRADER_DIR.parent / "pyproject.toml"
    if pyproject.exists():
        wanted = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    else:
        wanted = requires("mnist-grade") or []
    pinned, todo = {}, [Requirement(line) for line in wanted]
    while todo:
        requirement = todo.pop(0)
        name = canonicalize_name(requirement.name)
        if name in pinned or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        try:
            pinned[name] = f"{requirement.name}=={version(requirement.name)}"
        except PackageNotFoundError:
            continue
        todo += [Requirement(line) for line in requires(requirement.name) or []]
    direct = [canonicalize_name(Requirement(line).name) for line in wanted]
    order = [name for name in direct if name in pinned] + sorted(set(pinned) - set(direct))
    return "".join(pinned[name] + "\n" for name in order)


def write_zip(out: str | Path, lang: str, arrays: Mapping[str, np.ndarray], timeout: float = GRADESCOPE_TIMEOUT,
              sandbox: str = "auto", within: limits.Limits | None = None) -> None:
    """Write autograder.zip to `out`: scripts, requirements, the grader's source and MNIST's arrays. Each
    submission is graded with --sandbox `sandbox` and the limits `within` (Limits)."""
    run_script = fill("gradescope-run.sh", {"lang": lang, "timeout": f"{timeout:g}", "sandbox": sandbox,
                                            "limits": " ".join((within or limits.Limits()).options())})
    with tempfile.TemporaryDirectory(prefix="mnist-autograder-") as scratch:
        data = Path(scratch) / "mnist.npz"
        np.savez_compressed(data, allow_pickle=True, **arrays)  # The default, named: no array is taken for it.
        write_whole(out, lambda file: bundle(file, run_script, data))


def bundle(file, run_script, data):
    """Write the autograder's zip into the open `file`: its scripts, the pinned requirements, the grader's source
    and MNIST's arrays (the .npz file `data`)."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", fill("gradescope-setup.sh")), ("run_autograder", run_script)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16  # Executable, as Gradescope runs them.
            archive.writestr(info, text, zipfile.ZIP_DEFLATED)
        archive.writestr("requirements.txt", CONSTRAINTS.read_text(encoding="utf-8"))  # The same pins as Classroom's.
        for path in bundled(GRADER_DIR):
            archive.write(GRADER_DIR / path, Path("grader") / path)
        archive.write(data, "data/mnist.npz", zipfile.ZIP_STORED)  # Already compressed.


def run(autograder, timeout=GRADESCOPE_TIMEOUT - MARGIN, sandbox="auto", within=None):
    """Grade AUTOGRADER/submission into AUTOGRADER/results/results.json, with --sandbox `sandbox` and the limits
    `within`; return the score.

    Whatever happens, results.json is written: Gradescope shows nothing of an autograder that left none.
    """
    autograder = Path(autograder)
    results = autograder / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        isolation = isolated.settled(timeout, memory_limit_mb(), within, sandbox=sandbox, say=print)  # Said to the
        graded = graded_submission(autograder, isolation)  # instructor, as what fails is.
    except Exception as error:
        traceback.print_exc(file=sys.stdout)  # The instructor's view of the run (results/stdout), not the student's.
        graded = {
            "score": 0,
            "tests": [],
            "output": _("The autograder failed, not your submission ({error}). Tell your instructor.", error=error),
        }
    graded["stdout_visibility"] = "hidden"
    write_whole(results, json.dumps(graded, ensure_ascii=False, indent=1))  # Gradescope never reads half a file.
    return graded["score"]


def memory_limit_mb(margin_mb=128):
    """MEMORY_MB, or less when the container allows less (its cgroup's limit, less this process's margin):
    a grading stopped by the limit says so, one the kernel kills leaves no results."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limit = int(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # No such file, or "max".
            continue
        return max(256, min(MEMORY_MB, (limit >> 20) - margin_mb))
    return MEMORY_MB


def graded_submission(autograder, isolation):
    """The results.json of AUTOGRADER/submission graded within `isolation` (an Isolation), or one with score 0
    saying why nothing was graded."""
    if not (autograder / "submission").is_dir():
        raise FileNotFoundError(f"{autograder / 'submission'} is not a folder")  # Gradescope gives one, always.
    refused = limits.refusal(autograder / "submission", isolation.limits)
    if refused:
        return {"score": 0, "output": refused, "tests": []}
    with tempfile.TemporaryDirectory(prefix="mnist-gradescope-") as scratch:
        copy = Path(scratch) / "submission"  # The student's files are read from a copy, never touched.
        for path, info in limits.walk(autograder / "submission"):
            if stat.S_ISREG(info.st_mode):  # Links are never followed: as root, the grader would read anything.
                (copy / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(autograder / "submission" / path, copy / path)
        copy.mkdir(exist_ok=True)
        work, problem = find_work(copy)
        if work is None:
            return {"score": 0, "output": problem, "tests": []}
        shown = work.relative_to(copy).as_posix() if work.suffix != ".zip" else None  # As they uploaded it.
        outcome = isolated.grade(work, isolation, shown)
        if outcome.grade is not None:
            return render.gradescope(outcome.grade)
        print(outcome.printed)  # For the instructor too: why this submission has no grade.
        return {"score": 0, "output": outcome.printed.replace(str(copy) + os.sep, ""), "tests": []}


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m grader.instructor.gradescope")
    parser.add_argument("command", choices=["run", "fill", "constraints"])
    parser.add_argument("autograder", nargs="?", default="/autograder")
    parser.add_argument("--timeout", type=float, default=GRADESCOPE_TIMEOUT, help="the assignment's autograder timeout")
    parser.add_argument("--sandbox", choices=bubblewrap.MODES, default="auto")
    limits.add_options(parser)
    args = parser.parse_args(argv)
    if args.command == "constraints":
        sys.stdout.write(CONSTRAINTS_HEADER + requirements())
        return 0
    if args.command == "fill":  # setup.sh: what sandboxed workers will read, compiled by the grader's own code.
        try:
            isolated.prepare(isolated.settled(sandbox=args.sandbox, say=print), say=print)
        except OptionsError as error:  # Each run says so again, in results.json: the image is built all the same.
            print(error)
        return 0
    run(args.autograder, max(60.0, args.timeout - MARGIN), args.sandbox, limits.from_args(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
