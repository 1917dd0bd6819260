"""MNIST's four arrays as files: reading IDX (gzip or raw) and npz, and checking each against its SHA-256.

A digest is taken of an array's content written as an uncompressed IDX file (magic number, sizes,
bytes), so the same four digests verify a `.gz` file, a raw file, Keras's mnist.npz and the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader.course.i18n import _

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True)
class Array:
    """One of MNIST's four arrays: its key in mnist.npz, its IDX file and what its content must be."""

    key: str
    idx: str
    magic: int
    shape: tuple
    sha256: str

    def header(self):
        return self.magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in self.shape)

    def expected(self):
        return f"uint8 {self.shape}"


# The digests are those of the uncompressed IDX files that MNIST's authors published.
ARRAYS = {array.key: array for array in (
    Array("x_train", "train-images-idx3-ubyte", 0x803, (60000, 28, 28),
          "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    Array("y_train", "train-labels-idx1-ubyte", 0x801, (60000,),
          "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    Array("x_test", "t10k-images-idx3-ubyte", 0x803, (10000, 28, 28),
          "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    Array("y_test", "t10k-labels-idx1-ubyte", 0x801, (10000,),
          "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
)}
SPLITS = {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")}


class DataError(Exception):
    """MNIST could not be had; the message names the file or URL, what is wrong and what to do."""


class BadFile(Exception):
    """A file is not what it should be; the message says what is wrong and follows the file's name."""


def read_idx(path: Path, key: str) -> NDArray[np.uint8]:
    """The array `key` from an IDX file, gzip-compressed when its name ends in .gz; checked."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadFile(_("cannot be read ({reason})", reason=error.strerror)) from None
    return parse_idx(gunzip(data) if path.suffix == ".gz" else data, key)


def gunzip(data):
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise BadFile(_("is not a complete gzip file ({reason})", reason=error)) from None


def parse_idx(raw, key):
    """Parse an uncompressed IDX file: a big-endian magic, one size per dimension, then uint8 data."""
    array = ARRAYS[key]
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    if magic != array.magic:
        found = _("missing") if magic is None else f"0x{magic:08x}"
        raise BadFile(_("is not an MNIST IDX file: its magic number is {found}, expected {magic}",
                        found=found, magic=f"0x{array.magic:08x}"))
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != np.prod(shape) or len(raw) < header:
        raise BadFile(_("is truncated: its header promises {shape} values, it holds {count}",
                        shape=shape, count=max(len(raw) - header, 0)))
    if shape != array.shape:
        raise BadFile(_("holds uint8 {shape}, expected {expected}", shape=shape, expected=array.expected()))
    check_digest(array, hashlib.sha256(raw).hexdigest(), _("its content"))
    return np.frombuffer(bytearray(raw), np.uint8, offset=header).reshape(shape)


def read_npz(path: str | Path, keys: Collection[str]) -> dict[str, NDArray[np.uint8]]:
    """The arrays `keys` from an npz file such as Keras's mnist.npz, as a dict; each one checked."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in keys if key not in npz.files]
            if missing:
                raise BadFile(_("is not Keras's mnist.npz: it has no {keys}", keys=", ".join(missing)))
            arrays = {key: npz[key] for key in keys}
    except (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile) as error:
        raise BadFile(_("is not a readable npz file ({reason})", reason=error)) from None
    for key, value in arrays.items():
        check(key, value)
    return arrays


def check(key, value):
    """Raise BadFile unless `value` is exactly MNIST's array `key`."""
    array = ARRAYS[key]
    if value.dtype != np.uint8 or value.shape != array.shape:
        raise BadFile(_("has {key} of {dtype} {shape}, expected {expected}", key=key, dtype=value.dtype,
                        shape=value.shape, expected=array.expected()))
    check_digest(array, digest(array, value), key)


def digest(array, value):
    """SHA-256 of `value` written as an uncompressed IDX file of `array`'s kind."""
    sha = hashlib.sha256(array.header())
    sha.update(np.ascontiguousarray(value).data)
    return sha.hexdigest()


def check_digest(array, found, what):
    if found != array.sha256:
        raise BadFile(_("is not MNIST's {name}: {what} has SHA-256 {found}, expected {digest}",
                        name=array.idx, what=what, found=found, digest=array.sha256))
