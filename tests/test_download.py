"""Downloading MNIST from a real HTTP server on 127.0.0.1 that misbehaves: each test ends with verified
data or one clear message, and never with a partial or corrupt file in the cache."""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from mirror import Mirror, closed_port

from grader.data import ARRAYS, DataError, download, ensure, load_split
from grader.data.download import WHAT_TO_DO

SHARED = Path(os.environ["MNIST_DATA"])
TRAIN_IMAGES, TEST_LABELS = "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
ALL = [f"{array.idx}.gz" for array in ARRAYS.values()]


@pytest.fixture(scope="module")
def gz_files():
    return {path.name: path.read_bytes() for path in SHARED.glob("*.gz")}


@pytest.fixture(scope="module")
def reference():
    """The four arrays as the shared IDX files hold them."""
    return ensure()[1]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """No MNIST_DATA and empty caches, with quick retries: the data must come from the mirrors."""
    monkeypatch.delenv("MNIST_DATA")
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(download, "BACKOFF", 0.01)
    monkeypatch.setattr(download, "TIMEOUT", 0.5)
    return tmp_path / "cache"


@pytest.fixture
def mirror(gz_files, monkeypatch):
    served = Mirror(gz_files)
    monkeypatch.setenv("MNIST_MIRROR", served.url)
    yield served
    served.close()


class Recorder(download.Silent):
    """What a progress bar would be told."""

    def __init__(self):
        self.notes, self.done = [], {}

    def update(self, url, done, total):
        self.done[url] = (done, total)

    def note(self, text):
        self.notes.append(text)


def assert_verified(arrays, reference):
    __tracebackhide__ = True
    for key in ARRAYS:
        assert np.array_equal(arrays[key], reference[key]), key


def files_in(cache):
    """Everything in the cache folder, hidden scratch files included."""
    return sorted(path.name for path in cache.iterdir()) if cache.exists() else []


def download_fails(cache):
    """The message of a download that fails; the cache folder must then hold nothing at all."""
    __tracebackhide__ = True
    with pytest.raises(DataError) as error:
        ensure()
    assert files_in(cache) == []
    return str(error.value)


def failed(*lines):
    return "Could not download MNIST: every mirror failed.\n" + "".join(f"  {line}\n" for line in lines) + WHAT_TO_DO


def test_cold_download_is_verified_and_kept_in_the_cache(cache, mirror, gz_files, reference):
    progress = Recorder()
    source, arrays = ensure(progress=progress)
    assert_verified(arrays, reference)
    assert source.describe() == f"the cache, {cache / 'mnist.npz'} (npz, downloaded from {mirror.url})"
    assert mirror.requests == [(name, None) for name in ALL]
    size = len(gz_files[TRAIN_IMAGES])
    assert progress.done[mirror.url + TRAIN_IMAGES] == (size, size)
    assert progress.notes == []
    assert files_in(cache) == ["mnist.npz"]


def test_warm_load_reads_the_cache_without_a_request(cache, mirror, reference):
    ensure()
    mirror.requests.clear()
    source, arrays = ensure()
    assert_verified(arrays, reference)
    assert (source.describe(), mirror.requests) == (f"the cache, {cache / 'mnist.npz'} (npz)", [])
    assert np.array_equal(load_split("test")[1], reference["y_test"])


def test_connection_reset_mid_body_resumes_where_it_stopped(cache, mirror, reference):
    mirror.fail(TRAIN_IMAGES, "reset")
    progress = Recorder()
    assert_verified(ensure(progress=progress)[1], reference)
    first, second = mirror.requested(TRAIN_IMAGES)
    assert first is None and second.startswith("bytes=")
    assert 0 < int(second[6:-1]) <= len(mirror.files[TRAIN_IMAGES]) // 2
    assert progress.notes == [f"{mirror.url}{TRAIN_IMAGES}: the connection was reset; trying again in 0.01 s"]
    assert files_in(cache) == ["mnist.npz"]


def test_body_cut_short_is_resumed(cache, mirror, reference):
    mirror.fail(TEST_LABELS, "cut")
    progress = Recorder()
    assert_verified(ensure(progress=progress)[1], reference)
    size = len(mirror.files[TEST_LABELS])
    assert mirror.requested(TEST_LABELS) == [None, f"bytes={size // 2}-"]
    assert progress.notes == [
        (f"{mirror.url}{TEST_LABELS}: the connection closed after {size // 2:,} of {size:,} "
            f"bytes; trying again in 0.01 s")
    ]


def test_a_server_without_ranges_sends_the_whole_file_again(cache, gz_files, monkeypatch, reference):
    served = Mirror(gz_files, ranges=False)
    monkeypatch.setenv("MNIST_MIRROR", served.url)
    served.fail(TRAIN_IMAGES, "reset")
    try:
        assert_verified(ensure()[1], reference)
    finally:
        served.close()
    assert len(served.requested(TRAIN_IMAGES)) == 2


def test_http_500_then_success(cache, mirror, reference):
    mirror.fail(TRAIN_IMAGES, "500", times=2)
    progress = Recorder()
    assert_verified(ensure(progress=progress)[1], reference)
    assert mirror.requested(TRAIN_IMAGES) == [None, None, None]
    assert progress.notes == [
        f"{mirror.url}{TRAIN_IMAGES}: HTTP 500 Internal Server Error; trying again in 0.01 s",
        f"{mirror.url}{TRAIN_IMAGES}: HTTP 500 Internal Server Error; trying again in 0.02 s",
    ]


def test_a_server_error_that_lasts_is_given_up_after_the_retries(cache, mirror):
    mirror.fail(TRAIN_IMAGES, "503", times=None)
    assert download_fails(cache) == failed(f"{mirror.url}{TRAIN_IMAGES}: HTTP 503 Service Unavailable (4 attempts)")


def test_a_truncated_file_is_never_cached(cache, mirror, gz_files):
    mirror.files[TRAIN_IMAGES] = gz_files[TRAIN_IMAGES][:5000]
    assert download_fails(cache) == failed(
        f"{mirror.url}{TRAIN_IMAGES}: the file downloaded is not a complete gzip file "
        "(Compressed file ended before the end-of-stream marker was reached)"
    )


def wrong_labels(gz_files):
    """The test labels with one label changed, and the SHA-256 of their content: a well-formed file that is
    not MNIST."""
    raw = bytearray(gzip.decompress(gz_files[TEST_LABELS]))
    raw[8] = (raw[8] + 1) % 10
    return gzip.compress(bytes(raw)), hashlib.sha256(raw).hexdigest()


def test_wrong_bytes_fail_the_checksum(cache, mirror, gz_files):
    mirror.files[TEST_LABELS], found = wrong_labels(gz_files)
    assert download_fails(cache) == failed(
        f"{mirror.url}{TEST_LABELS}: the file downloaded is not MNIST's t10k-labels-idx1-ubyte: its content has "
        f"SHA-256 {found}, expected {ARRAYS['y_test'].sha256}"
    )


def test_a_bad_file_on_one_mirror_is_fetched_from_the_next(cache, mirror, gz_files, monkeypatch, reference):
    good = Mirror(gz_files)
    monkeypatch.setenv("MNIST_MIRROR", f"{mirror.url} {good.url}")
    mirror.files[TEST_LABELS] = wrong_labels(gz_files)[0]
    try:
        source, arrays = ensure()
    finally:
        good.close()
    assert_verified(arrays, reference)
    assert good.requests == [(TEST_LABELS, None)]
    assert source.how == f"downloaded from {mirror.url} and {good.url}"


def test_a_mirror_that_is_down_is_skipped_for_the_next(cache, mirror, monkeypatch, reference):
    down = closed_port()
    monkeypatch.setenv("MNIST_MIRROR", f"{down},{mirror.url}")
    source, arrays = ensure()
    assert_verified(arrays, reference)
    assert source.how == f"downloaded from {mirror.url}"


def test_a_slow_server_hits_the_timeout(cache, mirror, monkeypatch):
    monkeypatch.setattr(download, "TIMEOUT", 0.2)
    mirror.delay = 0.6
    mirror.fail(TRAIN_IMAGES, "slow", times=None)
    assert download_fails(cache) == failed(f"{mirror.url}{TRAIN_IMAGES}: no data for 0.2 s (4 attempts)")


def test_every_mirror_failing_lists_each_one(cache, mirror, monkeypatch):
    down = closed_port()
    monkeypatch.setenv("MNIST_MIRROR", f"{down} {mirror.url}missing/ http://mnist.invalid/")
    lines = download_fails(cache).splitlines()
    assert lines[:4] == [
        "Could not download MNIST: every mirror failed.",
        f"  {down}{TRAIN_IMAGES}: the server refused the connection",
        f"  {mirror.url}missing/{TRAIN_IMAGES}: HTTP 404 Not Found",
        f"  http://mnist.invalid/{TRAIN_IMAGES}: cannot find the server; are you online? (" + lines[3].split("(", 1)[1],
    ]
    assert lines[4:] == [WHAT_TO_DO]


def test_keras_npz_as_a_mirror(cache, mirror, monkeypatch, reference):
    npz = cache.parent / "keras.npz"
    np.savez_compressed(npz, **reference)
    mirror.files["mnist.npz"] = npz.read_bytes()
    monkeypatch.setenv("MNIST_MIRROR", mirror.url + "mnist.npz")
    assert_verified(ensure()[1], reference)
    assert mirror.requests == [("mnist.npz", None)]


def test_an_interrupted_download_leaves_nothing_behind(cache, mirror):
    class Interrupt(download.Silent):
        def update(self, url, done, total):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure(progress=Interrupt())
    assert files_in(cache) == []


def test_a_mirror_that_is_not_a_url(cache, monkeypatch):
    monkeypatch.setenv("MNIST_MIRROR", "127.0.0.1:8000/mnist")
    with pytest.raises(DataError) as error:
        ensure()
    assert str(error.value) == (
        "MNIST_MIRROR has 127.0.0.1:8000/mnist, which is not an http:// or https:// URL. Set it to one or more "
        "base URLs serving the four *-ubyte.gz files, separated by spaces, or unset it to use the public mirrors."
    )
