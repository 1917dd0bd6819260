"""The one MNIST loader: its sources in order, its cache, and a clear message for every broken file."""

import gzip
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader import data
from grader.data import ARRAYS, DataError, load_data, load_split
from grader.data.sources import IMPORT_A_GOOD_COPY, REPLACE_IT, USE_A_FOLDER

SHARED = Path(os.environ["MNIST_DATA"])


@pytest.fixture(scope="module")
def mnist():
    return load_data()


def idx(magic, shape, payload=None):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in shape)
    return header + (payload if payload is not None else bytes(int(np.prod(shape))))


def save_npz(path, mnist, **changes):
    """Write MNIST as an npz file at `path`, with some arrays replaced."""
    (x_train, y_train), (x_test, y_test) = mnist
    arrays = dict(dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test), **changes)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


def test_idx_gz_from_mnist_data(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_arrays_are_writable_like_keras(mnist):
    """Students' functions get arrays they may change in place, as keras.datasets.mnist gives them."""
    assert all(array.flags.writeable for split in mnist for array in split)


def test_raw_idx_files(tmp_path, monkeypatch, mnist):
    for gz in SHARED.glob("*.gz"):
        (tmp_path / gz.stem).write_bytes(gzip.decompress(gz.read_bytes()))
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    images, labels = load_split("test")
    assert np.array_equal(images, mnist[1][0]) and np.array_equal(labels, mnist[1][1])


def test_npz_in_mnist_data(tmp_path, monkeypatch, mnist):
    save_npz(tmp_path / "mnist.npz", mnist)
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    assert np.array_equal(load_split("train")[1], mnist[0][1])


def load_error(split):
    """The message load_split(split) fails with."""
    __tracebackhide__ = True
    with pytest.raises(DataError) as error:
        load_split(split)
    return str(error.value)


@pytest.fixture
def broken(tmp_path, monkeypatch):
    """A copy of the shared IDX files in MNIST_DATA, to break one of them."""
    for gz in SHARED.glob("*.gz"):
        shutil.copy(gz, tmp_path)
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    return tmp_path


def test_truncated_gzip(broken):
    path = broken / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    message = load_error("train")
    assert message == (
        f"{path} is not a complete gzip file (Compressed file ended before the end-of-stream marker was "
        f"reached). {REPLACE_IT}"
    )


def test_wrong_magic_number(broken):
    path = broken / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx(0x00000803, (10000,))))
    message = load_error("test")
    assert message == (
        f"{path} is not an MNIST IDX file: its magic number is 0x00000803, expected 0x00000801. {REPLACE_IT}"
    )


def test_truncated_idx_body(broken):
    path = broken / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx(0x00000803, (10000, 28, 28), bytes(5000))))
    message = load_error("test")
    assert message == (
        f"{path} is truncated: its header promises (10000, 28, 28) values, it holds 5000. {REPLACE_IT}"
    )


def test_wrong_shape(broken):
    path = broken / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx(0x00000803, (100, 28, 28))))
    message = load_error("test")
    assert message == f"{path} holds uint8 (100, 28, 28), expected uint8 (10000, 28, 28). {REPLACE_IT}"


def test_checksum_mismatch(broken):
    """Well-formed labels that are not MNIST's: only the digest can tell."""
    path = broken / "t10k-labels-idx1-ubyte.gz"
    raw = idx(0x00000801, (10000,), bytes([7]) * 10000)
    path.write_bytes(gzip.compress(raw))
    message = load_error("test")
    assert message == (
        f"{path} is not MNIST's t10k-labels-idx1-ubyte: its content has SHA-256 {hashlib.sha256(raw).hexdigest()}, "
        f"expected ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2. {REPLACE_IT}"
    )


def test_missing_file(broken):
    (broken / "train-labels-idx1-ubyte.gz").unlink()
    message = load_error("train")
    assert message == (
        f"MNIST_DATA={broken} has neither mnist.npz nor train-labels-idx1-ubyte.gz. {USE_A_FOLDER}"
    )


def test_mnist_data_is_not_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA", str(tmp_path / "nowhere"))
    message = load_error("train")
    assert message == f"MNIST_DATA={tmp_path / 'nowhere'} is not a folder. {USE_A_FOLDER}"


def test_corrupt_npz(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    message = load_error("train")
    assert message.startswith(f"{tmp_path / 'mnist.npz'} is not a readable npz file (")
    assert message.endswith(f"). {REPLACE_IT}")


def test_npz_with_other_images(tmp_path, monkeypatch, mnist):
    inverted = 255 - mnist[1][0]
    save_npz(tmp_path / "mnist.npz", mnist, x_test=inverted)
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    assert load_split("train")[0].shape == (60000, 28, 28)
    message = load_error("test")
    assert message == (
        f"{tmp_path / 'mnist.npz'} is not MNIST's t10k-images-idx3-ubyte: x_test has SHA-256 "
        f"{data.formats.digest(ARRAYS['x_test'], inverted)}, expected {ARRAYS['x_test'].sha256}. {REPLACE_IT}"
    )


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """MNIST_DATA unset and empty caches of the test's own; the mirror (set by tests/conftest.py) is down."""
    monkeypatch.delenv("MNIST_DATA")
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "cache" / "mnist.npz", tmp_path / "keras" / "datasets" / "mnist.npz"


def test_keras_cache_is_copied_into_the_cache(caches, mnist):
    cache, keras = caches
    save_npz(keras, mnist)
    assert data.locate().describe() == f"the cache, {cache} (npz, copied from Keras's cache, {keras})"
    keras.unlink()
    assert np.array_equal(load_split("test")[0], mnist[1][0])


def test_a_damaged_keras_cache_is_skipped(caches, capsys, mnist):
    cache, keras = caches
    reversed_labels = mnist[1][1][::-1]
    save_npz(keras, mnist, y_test=reversed_labels)
    with pytest.raises(DataError, match=r"^Could not download MNIST: every mirror failed\."):
        load_split("test")
    assert capsys.readouterr().err == (
        f"mnist-grade: skipping Keras's cache: {keras} is not MNIST's t10k-labels-idx1-ubyte: y_test has SHA-256 "
        f"{data.formats.digest(ARRAYS['y_test'], reversed_labels)}, expected {ARRAYS['y_test'].sha256}.\n"
    )
    assert sorted(cache.parent.iterdir()) == []


def test_a_damaged_cache_is_replaced(caches, capsys, mnist):
    cache, keras = caches
    save_npz(keras, mnist)
    cache.parent.mkdir()
    cache.write_bytes(b"PK\x03\x04 half a file")
    assert np.array_equal(load_split("train")[1], mnist[0][1])
    assert capsys.readouterr().err.startswith(
        "mnist-grade: the cache was damaged and is removed; fetching MNIST again. "
        f"({cache} is not a readable npz file ("
    )
    assert [path.name for path in cache.parent.iterdir()] == ["mnist.npz"]


def test_the_cache_is_written_at_once(caches, monkeypatch):
    """A write that fails half way (a full disk) leaves the old cache as it was, and no temporary file."""
    cache, _ = caches
    data.import_from(SHARED)
    before = cache.read_bytes()

    def disk_full(file, **arrays):
        file.write(b"PK half an npz")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(DataError) as error:
        data.import_from(SHARED)
    assert str(error.value) == (
        f"Cannot write to the cache folder {cache.parent} (No space left on device). "
        "Set MNIST_CACHE to a folder you can write to."
    )
    assert [path.name for path in cache.parent.iterdir()] == ["mnist.npz"]
    assert cache.read_bytes() == before


def test_an_unwritable_cache_folder_says_what_to_do(caches, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path / "file" / "cache"))
    with pytest.raises(DataError) as error:
        data.import_from(SHARED)
    assert str(error.value) == (
        f"Cannot write to the cache folder {tmp_path / 'file' / 'cache'} (Not a directory). "
        "Set MNIST_CACHE to a folder you can write to."
    )


def test_import_refuses_a_bad_copy(caches, tmp_path, mnist):
    cache, _ = caches
    npz = save_npz(tmp_path / "copy.npz", mnist, x_train=mnist[0][0][:100])
    with pytest.raises(DataError) as error:
        data.import_from(npz)
    assert str(error.value) == (
        f"{npz} has x_train of uint8 (100, 28, 28), expected uint8 (60000, 28, 28). {IMPORT_A_GOOD_COPY}")
    assert not cache.parent.exists()


def test_keras_home_default(monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert data.keras_cache() == Path.home() / ".keras" / "datasets" / "mnist.npz"


def test_cache_default_is_the_user_cache_folder(monkeypatch):
    import platformdirs

    monkeypatch.delenv("MNIST_CACHE")
    assert data.cache_file() == Path(platformdirs.user_cache_dir("mnist-grade", appauthor=False)) / "mnist.npz"


def test_what_a_fork_server_kept_is_read_once_for_the_same_places_only(tmp_path, monkeypatch, mnist):
    """ensure(keep=True), as a batch's fork server calls it: later calls that look in the same places get the
    same arrays without reading the files again; elsewhere, or without keep, the files are read."""
    monkeypatch.setattr(data.sources, "KEPT", {})
    first, second = tmp_path / "first", tmp_path / "second"
    save_npz(first / "mnist.npz", mnist)
    save_npz(second / "mnist.npz", mnist)
    monkeypatch.setenv("MNIST_DATA", str(first))
    kept = data.ensure(keep=True)
    (first / "mnist.npz").unlink()
    assert data.ensure() is kept  # Not read again: the file is gone.
    monkeypatch.setenv("MNIST_DATA", str(second))
    assert data.ensure()[0].path == second
    (second / "mnist.npz").unlink()
    with pytest.raises(DataError):
        data.ensure()  # Nothing was kept for this place.
