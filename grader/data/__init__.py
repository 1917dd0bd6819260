"""The one MNIST loader: every array it returns is MNIST's, byte for byte (SHA-256 checked).

Sources in order: MNIST_DATA, this project's cache, Keras's cache, then a download from mirrors. Besides: the
user's folders (folders.py) and files written whole or not at all (files.py), which the rest of the grader uses
too. May import grader.course only.
"""

from grader.data.formats import ARRAYS, SPLITS, DataError
from grader.data.sources import cache_file, ensure, import_from, keras_cache, load_data, load_split, locate

__all__ = [
    "ARRAYS",
    "SPLITS",
    "DataError",
    "cache_file",
    "ensure",
    "import_from",
    "keras_cache",
    "load_data",
    "load_split",
    "locate",
]
