"""The one MNIST loader: MNIST_DATA, then the Keras cache, then a download through Keras.

Every array it returns has been checked: uint8 images of 28×28 pixels, labels 0 to 9, and the
number of images MNIST has. A file that fails a check raises DataError naming the file and the fix.
"""

import gzip
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

SPLITS = {"train": 60_000, "test": 10_000}
IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801
FIX = (
    "Set MNIST_DATA to a folder with mnist.npz or the four MNIST IDX files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz), or unset it to use the Keras cache and download."
)


class DataError(Exception):
    """MNIST could not be loaded; the message says which file, what is wrong and what to do."""


def load_data():
    """Return ((x_train, y_train), (x_test, y_test)), like keras.datasets.mnist.load_data()."""
    return load_split("train"), load_split("test")


def load_split(split):
    """Return (images, labels) of one split, "train" or "test", from the first source that has it."""
    folder = os.environ.get("MNIST_DATA")
    if folder:
        return _from_folder(Path(folder), split)
    cache = keras_cache()
    if cache.exists():
        return _from_npz(cache, split)
    return _download(split)


def keras_cache():
    """Where Keras keeps mnist.npz: $KERAS_HOME/datasets, by default ~/.keras/datasets."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home) / "datasets" / "mnist.npz"


def _from_folder(folder, split):
    if not folder.is_dir():
        raise DataError(f"MNIST_DATA={folder} is not a folder. {FIX}")
    if (folder / "mnist.npz").exists():
        return _from_npz(folder / "mnist.npz", split)
    images_name, labels_name = IDX_NAMES[split]
    images = _read_idx(_find_idx(folder, images_name), IMAGES_MAGIC)
    labels = _read_idx(_find_idx(folder, labels_name), LABELS_MAGIC)
    return _checked(images, labels, split, folder)


def _find_idx(folder, name):
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.exists():
            return candidate
    raise DataError(f"MNIST_DATA={folder} has neither mnist.npz nor {name}.gz. {FIX}")


def _read_idx(path, magic):
    """Parse one IDX file (gzip or raw): a big-endian magic, one size per dimension, uint8 data."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path} is damaged ({error}). Download it again. {FIX}") from None
    if len(raw) < 4 or int.from_bytes(raw[:4], "big") != magic:
        found = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
        raise DataError(
            f"{path} is not an MNIST IDX file: its magic number is "
            f"{'missing' if found is None else f'0x{found:08x}'}, expected 0x{magic:08x}. "
            f"Download it again. {FIX}"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(raw, ">u4", count=ndim, offset=4)) if len(raw) >= header else ()
    data = np.frombuffer(raw, np.uint8, offset=min(header, len(raw)))
    if not shape or data.size != np.prod(shape):
        raise DataError(
            f"{path} is truncated: its header promises {shape} values, it holds {data.size}. "
            f"Download it again. {FIX}"
        )
    return data.reshape(shape)


def _from_npz(path, split):
    try:
        with np.load(path, allow_pickle=False) as npz:
            images, labels = npz[f"x_{split}"], npz[f"y_{split}"]
    except (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile) as error:
        raise DataError(
            f"{path} is damaged or is not Keras's mnist.npz ({error}). Delete it to download it "
            f"again. {FIX}"
        ) from None
    return _checked(images, labels, split, path)


def _checked(images, labels, split, where):
    count = SPLITS[split]
    problem = None
    if images.dtype != np.uint8 or images.shape != (count, 28, 28):
        problem = f"{split} images are {images.dtype} {images.shape}, expected uint8 ({count}, 28, 28)"
    elif labels.shape != (count,) or labels.dtype.kind not in "iu":
        problem = f"{split} labels are {labels.dtype} {labels.shape}, expected integers ({count},)"
    elif labels.min() < 0 or labels.max() > 9:
        problem = f"{split} labels run from {labels.min()} to {labels.max()}, expected 0 to 9"
    if problem:
        raise DataError(f"{where}: {problem}. This is not MNIST. {FIX}")
    return images, labels.astype(np.uint8)


def _download(split):
    """Fetch mnist.npz through Keras, which keeps it in its cache for next time."""
    from grader.quiet import import_keras

    try:
        keras = import_keras()
        train, test = keras.datasets.mnist.load_data()
    except Exception as error:  # Keras raises whatever its download raised.
        raise DataError(
            f"Could not download MNIST through Keras ({type(error).__name__}: {error}). "
            f"Try again (downloads often fail on a slow link), or download the files by hand. {FIX}"
        ) from None
    return _checked(*(train if split == "train" else test), split, "the downloaded mnist.npz")
