"""Where MNIST comes from, in order: MNIST_DATA, this project's cache, Keras's cache, the mirrors.

The cache is one uncompressed mnist.npz with Keras's four keys, written only after every array in it
has matched its SHA-256, and always by writing a temporary file and renaming it: a download that is
interrupted leaves no file behind. Each load checks the digests again, which costs a few hundredths
of a second.
"""

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.course.i18n import N_, _
from grader.data import download
from grader.data.files import write_whole
from grader.data.folders import user_folder
from grader.data.formats import ARRAYS, SPLITS, BadFile, DataError, read_idx, read_npz

USE_A_FOLDER = N_(
    "Set MNIST_DATA to a folder with mnist.npz or the four MNIST IDX files (train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), or unset it to use "
    "the cache and the download."
)
REPLACE_IT = N_("Replace it with a good copy, or unset MNIST_DATA to use the cache and the download.")
IMPORT_A_GOOD_COPY = N_(
    "Import a good copy: an npz file like Keras's mnist.npz, or a folder with it or the four IDX files."
)


@dataclass
class Source:
    """Where the data is: an npz file or a folder, what to call it, and how it got there."""

    path: Path
    name: str
    how: str = ""
    fix: str = REPLACE_IT  # What to do about a bad file.
    missing_fix: str = USE_A_FOLDER  # What to do about a missing one.

    def read(self, keys):
        """The arrays `keys`, each checked against its digest; a bad or missing file is a DataError."""
        if self.holds_idx():
            return {key: _checked(read_idx, self._idx_file(key), key, self.fix) for key in keys}
        npz = self.path / "mnist.npz" if self.path.is_dir() else self.path
        return _checked(read_npz, npz, keys, self.fix)

    def holds_idx(self):
        return self.path.is_dir() and not (self.path / "mnist.npz").exists()

    def describe(self):
        how = f", {self.how}" if self.how else ""
        return f"{self.name}, {self.path} ({_('the four IDX files') if self.holds_idx() else 'npz'}{how})"

    def _idx_file(self, key):
        name = ARRAYS[key].idx
        for candidate in (self.path / f"{name}.gz", self.path / name):
            if candidate.exists():
                return candidate
        label = f"{self.name}={self.path}" if self.name == "MNIST_DATA" else str(self.path)
        raise DataError(
            _("{where} has neither mnist.npz nor {name}.gz.", where=label, name=name) + " " + _(self.missing_fix)
        )


def cache_file() -> Path:
    """The project's cache: $MNIST_CACHE/mnist.npz, by default in the user's cache folder."""
    return user_folder("MNIST_CACHE", "cache") / "mnist.npz"


def keras_cache() -> Path:
    """Where Keras keeps mnist.npz: $KERAS_HOME/datasets, by default ~/.keras/datasets."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home) / "datasets" / "mnist.npz"


def load_data(progress: download.Silent | None = None) -> tuple:
    """Return ((x_train, y_train), (x_test, y_test)), like keras.datasets.mnist.load_data()."""
    return load_split("train", progress), load_split("test", progress)


def load_split(split: str, progress: download.Silent | None = None) -> tuple:
    """(images, labels) of one split, "train" or "test", from the first source that has it."""
    keys = SPLITS[split]
    arrays = ensure(keys, progress)[1]
    return tuple(arrays[key] for key in keys)


# What ensure(keep=True) read, by where it looked: a batch's fork server reads MNIST once for all.
KEPT: dict[tuple, tuple] = {}


def ensure(keys: tuple[str, ...] = tuple(ARRAYS), progress: download.Silent | None = None, keep: bool = False,
           offline: bool = False) -> tuple[str, dict]:
    """Locate MNIST and read the arrays `keys`, replacing a damaged cache once; return (source, arrays).

    With keep, the answer is kept in this process, and a later call that would look in the same places
    gets it again (the processes forked from this one too) without reading and checking the files again.
    `offline`: MNIST must be on this machine already (a cluster's compute node is often offline).
    """
    place = (os.environ.get("MNIST_DATA"), str(cache_file()), tuple(keys))
    if place in KEPT:
        return KEPT[place]
    found = _ensure(keys, progress, offline)
    if keep:
        KEPT[place] = found
    return found


def _ensure(keys, progress, offline=False):
    source = locate(progress, offline)
    try:
        return source, source.read(keys)
    except DataError as error:
        if source.path != cache_file():
            raise
        _warn(_("the cache was damaged and is removed; fetching MNIST again. ({error})", error=error))
        cache_file().unlink(missing_ok=True)
        source = locate(progress, offline)
        return source, source.read(keys)


def locate(progress: download.Silent | None = None, offline: bool = False) -> Source:
    """The first source that has MNIST; download into the cache when none has, unless `offline`. Raises
    DataError."""
    chosen = os.environ.get("MNIST_DATA")
    if chosen:
        folder = Path(chosen)
        if not folder.is_dir():
            raise DataError(_("MNIST_DATA={folder} is not a folder.", folder=folder) + " " + _(USE_A_FOLDER))
        return Source(folder, "MNIST_DATA")
    cache = cache_file()
    if cache.exists():
        return Source(cache, _("the cache"))
    keras = keras_cache()
    if keras.exists():
        try:
            save(read_npz(keras, ARRAYS))
            return Source(cache, _("the cache"), _("copied from Keras's cache, {path}", path=keras))
        except BadFile as bad:
            _warn(_("skipping Keras's cache: {path} {problem}.", path=keras, problem=bad))
    if offline:
        raise DataError(_("MNIST is not on this machine (not in {cache}, and MNIST_DATA is not set), and a shard never "
                          "downloads it: compute nodes are often offline. Set MNIST_DATA to a folder with the four IDX "
                          "files or mnist.npz that every node can read, or import a copy on each node once: "
                          "mnist-grade data --from PATH.", cache=cache))
    with tempfile.TemporaryDirectory(dir=_cache_folder(), prefix=".download-") as scratch:
        arrays, used = download.fetch(Path(scratch), progress)
    save(arrays)
    return Source(cache, _("the cache"), _("downloaded from {mirrors}", mirrors=_(" and ").join(used)))


def import_from(path: str | Path) -> Source:
    """Check a local copy (npz file, or folder with mnist.npz or the IDX files) and keep it in the cache."""
    path = Path(path)
    if not path.exists():
        raise DataError(_("{path} does not exist.", path=path) + " " + _(IMPORT_A_GOOD_COPY))
    save(Source(path, "", fix=IMPORT_A_GOOD_COPY, missing_fix=IMPORT_A_GOOD_COPY).read(ARRAYS))
    return Source(cache_file(), _("the cache"), _("imported from {path}", path=path))


def save(arrays):
    """Write the four verified arrays to the cache at once: a temporary file, then a rename."""
    cache = cache_file()
    _cache_folder()
    try:
        write_whole(cache, lambda out: np.savez(out, **{key: arrays[key] for key in ARRAYS}))
    except OSError as error:
        raise _unwritable(cache.parent, error) from None


def _cache_folder():
    folder = cache_file().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unwritable(folder, error) from None
    return folder


def _unwritable(folder, error):
    return DataError(
        _(
            "Cannot write to the cache folder {folder} ({reason}). Set MNIST_CACHE to a folder you can write to.",
            folder=folder,
            reason=error.strerror or error,
        )
    )


def _checked(read, path, what, fix):
    try:
        return read(path, what)
    except BadFile as bad:
        raise DataError(f"{path} {bad}. " + _(fix)) from None


def _warn(text):
    print(f"mnist-grade: {text}", file=sys.stderr)
