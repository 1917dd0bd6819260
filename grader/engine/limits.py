"""What a submission may hold: checked before anything of it is copied or unpacked, and again while it is.

A submission is a few kilobytes of Python. The limits keep a folder with a huge file, a zip that
unpacks to gigabytes (a zip bomb) or a notebook full of outputs from filling the grading machine's
disk and memory, and refuse them in a second, saying which limit was passed:

- size, 50 MB by default: a folder's files, a zip's members as they unpack, a notebook. Room for a
  notebook with its figures (1 to 3 MB), a copy of MNIST (11 MB) or a saved model (5 MB) left
  in by mistake; fifty copies of it fit on any disk.
- files, 1,000: six step files, a few modules, and room for whatever a folder collects.
- ratio, 100: text and notebooks compress 3 to 10 times, a file of zeros a thousand times; only a
  zip member of 1 MB or more is checked, since smaller ones cannot fill anything.

And what a submission may write while it runs: scratch, 256 MB per worker, each worker's scratch
folder in the sandbox (grader/workers/bubblewrap.py), where a step that fills it fails. A step writes a few
MB of its own there (what it returned, the model's weights); no step needs to write files of its own.

What copies leave out (NOT_COPIED: caches, environments, .git) is neither counted nor copied.
Workers read only a submission's Python files (copy_modules), once per grading.
"""

import argparse
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from grader.course.i18n import _

NOT_COPIED = ("__pycache__", ".git", ".venv", "venv", ".ipynb_checkpoints", "node_modules")
MB = 1 << 20
RATIO_FROM = MB  # Bytes: a zip member smaller than this is not checked for its compression ratio.
SCRATCH_LEAST = 16  # MB: what the grader saves of a step (what it returned, the model's weights) takes up to 8.


@dataclass(frozen=True)
class Limits:
    """The most a submission may hold (defaults: see the module's docstring)."""

    size_mb: float = 50
    files: int = 1000
    ratio: float = 100
    scratch_mb: float = 256

    @property
    def size(self):
        return int(self.size_mb * MB)

    def options(self):
        """These limits as command-line options (what Gradescope's run_autograder gives python -m
        grader.instructor.gradescope)."""
        return ["--max-size", f"{self.size_mb:g}", "--max-files", str(self.files), "--max-ratio", f"{self.ratio:g}",
                "--max-scratch", f"{self.scratch_mb:g}"]


class TooLarge(Exception):
    """A submission passes a limit; the message names it and says what to do."""


def add_options(parser: argparse.ArgumentParser) -> None:
    """--max-size, --max-files, --max-ratio and --max-scratch on an argparse parser, with Limits' defaults."""
    default = Limits()
    parser.add_argument("--max-size", type=float, default=default.size_mb, metavar="MB", help=_(
        "refuse a submission holding more than MB megabytes, unpacked (default: {default:g})",
        default=default.size_mb))
    parser.add_argument("--max-files", type=int, default=default.files, metavar="N", help=_(
        "refuse a submission holding more than N files (default: {default})", default=default.files))
    parser.add_argument("--max-ratio", type=float, default=default.ratio, metavar="R", help=_(
        "refuse a zip with a member that unpacks to more than R times its compressed size (default: {default:g})",
        default=default.ratio))
    scratch_option(parser)


def scratch_option(parser: argparse.ArgumentParser) -> None:
    """--max-scratch on an argparse parser: the size of a sandboxed worker's scratch folder."""
    parser.add_argument("--max-scratch", type=scratch_size, default=Limits.scratch_mb, metavar="MB", help=_(
        "in the sandbox, fail a step that writes more than MB megabytes to its scratch folder (default: "
        "{default:g})", default=Limits.scratch_mb))


def from_args(args: argparse.Namespace) -> Limits:
    return Limits(args.max_size, args.max_files, args.max_ratio, args.max_scratch)


def scratch_size(text):
    """--max-scratch's value: megabytes, at least SCRATCH_LEAST, the room a step needs for what the grader saves."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value} is not a number of megabytes", value=text)) from None
    if not value >= SCRATCH_LEAST:
        raise argparse.ArgumentTypeError(_("give at least {least} MB: room for what the grader saves of a step there",
                                           least=SCRATCH_LEAST))
    return value


def refusal(path: str | Path, limits: Limits) -> str | None:
    """Why the submission at `path` (a folder, a .zip, a notebook) is refused, or None when it is within limits."""
    try:
        check(path, limits)
    except TooLarge as error:
        return str(error)
    except (zipfile.BadZipFile, OSError):
        return None  # Not for the limits to say: grading says what is wrong with it.
    return None


def check(path: str | Path, limits: Limits) -> None:
    """Raise TooLarge when the submission at `path` passes a limit; read only its directory entries."""
    path = Path(path)
    if path.is_dir():
        files = list(islice(walk(path), limits.files + 1))  # A folder of a million files is not listed whole.
        _check_total(path.name, len(files), _size(files), limits)
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            members(archive, path.name, limits)
    elif path.stat().st_size > limits.size:
        raise TooLarge(_("{name} is {size} MB, more than the limit of {limit} MB (--max-size): clear the notebook's "
                         "outputs (in Jupyter: Edit, Clear Outputs of All Cells), save it and submit it again.",
                         name=path.name, size=_mb(path.stat().st_size), limit=f"{limits.size_mb:g}"))


def walk(folder: str | Path) -> Iterator[tuple[Path, os.stat_result]]:
    """The files of `folder` a copy takes, as (relative path, os.lstat result): regular files and links (never
    followed), outside NOT_COPIED, in name order."""
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in NOT_COPIED)
        for name in sorted(files):
            path = os.path.join(root, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
                yield Path(os.path.relpath(path, folder)), info


def _check_total(name, count, size, limits, zipped=False):
    if count > limits.files:
        raise TooLarge(_("{name} holds more than {limit} files, the limit (--max-files): keep only your step files "
                         "and the Python modules they use, and submit again.", name=name, limit=f"{limits.files:,}"))
    if size > limits.size and zipped:
        raise TooLarge(_("{name} unpacks to {size} MB, more than the limit of {limit} MB (--max-size): zip only your "
                         "step files and the Python modules they use, and submit again.",
                         name=name, size=_mb(size), limit=f"{limits.size_mb:g}"))
    if size > limits.size:
        raise TooLarge(_("{name} holds {size} MB, more than the limit of {limit} MB (--max-size): keep only your "
                         "step files and the Python modules they use, and submit again.",
                         name=name, size=_mb(size), limit=f"{limits.size_mb:g}"))


def _size(files):
    return sum(info.st_size for _path, info in files if stat.S_ISREG(info.st_mode))


def members(archive, name, limits):
    """The members of a zip that unpacking takes (files outside NOT_COPIED), once its directory is within limits."""
    taken = [info for info in archive.infolist()
             if not info.is_dir() and _parts(info.filename) and not set(_parts(info.filename)) & set(NOT_COPIED)]
    _check_total(name, len(taken), sum(info.file_size for info in taken), limits, zipped=True)
    for info in taken:
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size >= RATIO_FROM and ratio > limits.ratio:
            raise TooLarge(_("{name}: {member} unpacks to {ratio} times its compressed size, more than the limit of "
                             "{limit} times (--max-ratio), as a zip bomb does; nothing of {name} was unpacked.",
                             name=name, member=info.filename, ratio=f"{ratio:,.0f}",
                             limit=f"{limits.ratio:g}"))
    return taken


def extract(path: str | Path, folder: Path, limits: Limits) -> None:
    """Unpack the zip at `path` into `folder` once its directory is within limits, counting every byte written:
    a directory can lie. Raises TooLarge, zipfile.BadZipFile or OSError; then delete `folder`."""
    path, written = Path(path), 0
    with zipfile.ZipFile(path) as archive:
        for info in members(archive, path.name, limits):
            target = Path(folder).joinpath(*_parts(info.filename))
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as out:
                while chunk := source.read(1 << 16):
                    written += len(chunk)
                    if written > limits.size:
                        raise TooLarge(_("{name} unpacked to more than its directory says, past the limit of {limit} "
                                         "MB (--max-size); nothing of it is graded.",
                                         name=path.name, limit=f"{limits.size_mb:g}"))
                    out.write(chunk)


def modules(folder: str | Path, limits: Limits) -> list[tuple[Path, os.stat_result]]:
    """The Python files of `folder` (walk()), once they are within limits; else TooLarge."""
    found = list(islice(((path, info) for path, info in walk(folder) if path.suffix == ".py"), limits.files + 1))
    _check_total(Path(folder).name, len(found), _size(found), limits)
    return found


def copy_modules(folder: str | Path, copy: Path, limits: Limits) -> None:
    """Copy the Python files of `folder` into `copy`: the step files and the modules they may import, read-only,
    links as links (the grader never follows one for student code). Raises TooLarge past a limit."""
    Path(copy).mkdir(parents=True, exist_ok=True)
    for path, info in modules(folder, limits):
        source, target = Path(folder) / path, Path(copy) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copyfile(source, target, follow_symlinks=False)
            if os.name == "posix":  # Windows could not delete a read-only file when grading ends.
                target.chmod(0o444)  # Every worker reads it: none may change what another imports.


def _parts(name):
    """A zip member's path as safe parts: no root, no drive, no "." or ".." (as zipfile extracts it)."""
    return [part for part in re.split(r"[\\/]", name) if part not in ("", ".", "..") and not part.endswith(":")]


def _mb(size):
    return f"{size / MB:,.1f}" if size < 10 * MB else f"{size / MB:,.0f}"
