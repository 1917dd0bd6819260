"""The one MNIST loader: its sources in order, and a clear message for every broken file."""

import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader import data
from grader.data import DataError, load_data, load_split

SHARED = Path(os.environ["MNIST_DATA"])
FIX = "Set MNIST_DATA to a folder with mnist.npz or the four MNIST IDX files"


@pytest.fixture(scope="module")
def mnist():
    return load_data()


def idx(magic, shape, payload=None):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in shape)
    return header + (payload if payload is not None else bytes(int(np.prod(shape))))


def test_idx_gz_from_mnist_data(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_raw_idx_files(tmp_path, monkeypatch, mnist):
    for gz in SHARED.glob("*.gz"):
        (tmp_path / gz.stem).write_bytes(gzip.decompress(gz.read_bytes()))
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    images, labels = load_split("test")
    assert np.array_equal(images, mnist[1][0]) and np.array_equal(labels, mnist[1][1])


def test_npz_in_mnist_data(tmp_path, monkeypatch, mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    assert np.array_equal(load_split("train")[1], y_train)


def test_keras_cache_when_mnist_data_is_unset(tmp_path, monkeypatch, mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.delenv("MNIST_DATA")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert np.array_equal(load_split("test")[0], x_test)


def test_download_failure_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DATA")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    keras = pytest.importorskip("keras")

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError) as error:
        load_split("train")
    assert str(error.value).startswith(
        "Could not download MNIST through Keras (OSError: network is unreachable). Try again (downloads "
        "often fail on a slow link), or download the files by hand. " + FIX
    )


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
    with pytest.raises(DataError, match=r"^" + str(path) + r" is damaged \(Compressed file ended before the end-of-stream marker was reached\)\. Download it again\. Set MNIST_DATA"):
        load_split("train")


def test_wrong_magic_number(broken):
    path = broken / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx(0x00000803, (10000,))))
    with pytest.raises(DataError) as error:
        load_split("test")
    assert str(error.value).startswith(
        f"{path} is not an MNIST IDX file: its magic number is 0x00000803, expected 0x00000801. Download it again. "
    )


def test_truncated_idx_body(broken):
    path = broken / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx(0x00000803, (10000, 28, 28), bytes(5000))))
    with pytest.raises(DataError) as error:
        load_split("test")
    assert str(error.value).startswith(f"{path} is truncated: its header promises (10000, 28, 28) values, it holds 5000.")


def test_wrong_shape(broken):
    (broken / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx(0x00000803, (100, 28, 28))))
    with pytest.raises(DataError) as error:
        load_split("test")
    assert str(error.value).startswith(
        f"{broken}: test images are uint8 (100, 28, 28), expected uint8 (10000, 28, 28). This is not MNIST. " + FIX
    )


def test_labels_out_of_range(broken):
    (broken / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx(0x00000801, (10000,), bytes([12]) * 10000)))
    with pytest.raises(DataError, match=r"test labels run from 12 to 12, expected 0 to 9\. This is not MNIST\."):
        load_split("test")


def test_missing_file(broken):
    (broken / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError) as error:
        load_split("train")
    assert str(error.value).startswith(f"MNIST_DATA={broken} has neither mnist.npz nor train-labels-idx1-ubyte.gz. {FIX}")


def test_mnist_data_is_not_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError) as error:
        load_split("train")
    assert str(error.value).startswith(f"MNIST_DATA={tmp_path / 'nowhere'} is not a folder. {FIX}")


def test_corrupt_npz(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    monkeypatch.setenv("MNIST_DATA", str(tmp_path))
    with pytest.raises(DataError) as error:
        load_split("train")
    assert str(error.value).startswith(f"{tmp_path / 'mnist.npz'} is damaged or is not Keras's mnist.npz (")


def test_keras_home_default(monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert data.keras_cache() == Path.home() / ".keras" / "datasets" / "mnist.npz"
