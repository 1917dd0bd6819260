"""`mnist-grade data`, and grading without data: what the user sees and the exit codes, run as a user would."""

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXERCISES, ROOT, mnist_grade
from mirror import Mirror, closed_port

from grader.data.download import WHAT_TO_DO
from grader.data.sources import IMPORT_A_GOOD_COPY, REPLACE_IT

SHARED = Path(os.environ["MNIST_DATA"])
READY = "MNIST is ready: 60,000 training and 10,000 test images, all four arrays matching their SHA-256.\n"
NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """No MNIST_DATA, empty caches: what a new user has."""
    monkeypatch.delenv("MNIST_DATA")
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "cache" / "mnist.npz"


@pytest.fixture
def mirror(monkeypatch):
    served = Mirror({path.name: path.read_bytes() for path in SHARED.glob("*.gz")})
    monkeypatch.setenv("MNIST_MIRROR", served.url)
    yield served
    served.close()


def test_data_downloads_with_a_progress_bar_then_uses_the_cache(cache, mirror):
    mirror.fail(NAMES[0], "reset")
    run = mnist_grade("data")
    assert (run.returncode, run.stdout) == (
        0,
        READY + f"From the cache, {cache} (npz, downloaded from {mirror.url}).\n",
    )
    assert run.stderr.startswith(f"{mirror.url}{NAMES[0]}: the connection was reset; trying again in 1 s\n")
    bars = run.stderr.splitlines()[1:]
    assert [line.split()[0] for line in bars] == NAMES
    assert [line.split()[2] for line in bars] == ["9.7/9.7", "28.9/28.9", "1.6/1.6", "4.5/4.5"]

    mirror.requests.clear()
    again = mnist_grade("data")
    assert (again.returncode, again.stdout, again.stderr) == (0, READY + f"From the cache, {cache} (npz).\n", "")
    assert mirror.requests == []


def test_data_reads_mnist_data_when_set():
    run = mnist_grade("data")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == READY + f"From MNIST_DATA, {SHARED} (the four IDX files).\n"


def test_data_offline_exits_2_with_what_to_do(cache, monkeypatch):
    down = closed_port()
    monkeypatch.setenv("MNIST_MIRROR", down)
    run = mnist_grade("data")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "MNIST data unavailable: Could not download MNIST: every mirror failed.\n"
        f"  {down}{NAMES[0]}: the server refused the connection\n{WHAT_TO_DO}\n"
    )
    assert not cache.exists()


def test_data_from_a_folder_imports_it(cache, monkeypatch):
    monkeypatch.setenv("MNIST_MIRROR", closed_port())
    run = mnist_grade("data", "--from", str(SHARED))
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == READY + f"From the cache, {cache} (npz, imported from {SHARED}).\n"
    assert mnist_grade("data").stdout == READY + f"From the cache, {cache} (npz).\n"


def test_data_from_an_npz_file_while_mnist_data_is_set_says_which_one_grading_reads(cache, tmp_path, monkeypatch):
    npz = tmp_path / "mnist.npz"
    assert mnist_grade("data", "--from", str(SHARED)).returncode == 0
    shutil.move(cache, npz)
    monkeypatch.setenv("MNIST_DATA", str(SHARED))
    run = mnist_grade("data", "--from", str(npz))
    assert run.stdout == READY + (
        f"From the cache, {cache} (npz, imported from {npz}).\n"
        f"Note: MNIST_DATA is set, so grading reads {SHARED}; unset it to use the cache.\n"
    )


def test_data_from_a_damaged_copy_exits_2_and_keeps_nothing(cache, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(SHARED, copy)
    bad = copy / NAMES[2]
    bad.write_bytes(bad.read_bytes()[:4000])
    run = mnist_grade("data", "--from", str(copy))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        f"MNIST data unavailable: {bad} is not a complete gzip file (Compressed file ended before the "
        f"end-of-stream marker was reached). {IMPORT_A_GOOD_COPY}\n"
    )
    assert not cache.parent.exists()


def test_data_from_nowhere_exits_2(cache, tmp_path):
    run = mnist_grade("data", "--from", str(tmp_path / "nowhere"))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"MNIST data unavailable: {tmp_path / 'nowhere'} does not exist. {IMPORT_A_GOOD_COPY}\n"


def test_a_damaged_file_in_mnist_data_exits_2(tmp_path, monkeypatch):
    shutil.copytree(SHARED, tmp_path / "mnist")
    bad = tmp_path / "mnist" / NAMES[1]
    raw = bytearray(gzip.decompress(bad.read_bytes()))
    raw[0] = 9
    bad.write_bytes(gzip.compress(bytes(raw)))
    monkeypatch.setenv("MNIST_DATA", str(tmp_path / "mnist"))
    for args in (["data"], [str(EXERCISES)]):
        run = mnist_grade(*args)
        assert (run.returncode, run.stdout) == (2, "")
        assert run.stderr == (
            f"MNIST data unavailable: {bad} is not an MNIST IDX file: its magic number is 0x09000801, "
            f"expected 0x00000801. {REPLACE_IT}\n"
        )


@pytest.mark.slow
def test_grading_fetches_the_data_first(cache, mirror):
    """A new user's first `mnist-grade`: the download shows before the grade, and then nothing again."""
    run = mnist_grade(str(EXERCISES))
    assert run.returncode == 1
    assert [line.split()[0] for line in run.stderr.splitlines()] == NAMES
    assert run.stdout.startswith("Grading ")
    assert cache.exists()


def test_grading_offline_without_data_exits_2(cache):
    run = mnist_grade(str(EXERCISES))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.startswith("MNIST data unavailable: Could not download MNIST: every mirror failed.\n")
    assert run.stderr.endswith(f"{WHAT_TO_DO}\n")
    assert "Traceback" not in run.stderr


@pytest.mark.skipif(os.name != "posix", reason="Ctrl-C is sent as SIGINT")
def test_ctrl_c_during_a_download_keeps_nothing(cache, mirror):
    mirror.delay = 60
    mirror.fail(NAMES[0], "stall")
    process = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "data"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not mirror.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # Half the file arrives in the download's scratch folder.
    assert [path.name for path in cache.parent.iterdir()][0].startswith(".download-")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out) == (130, "")
    assert err.endswith("mnist-grade: interrupted; nothing half-downloaded was kept.\n")
    assert list(cache.parent.iterdir()) == []


def test_every_command_takes_lang():
    """--lang is one option that every command accepts, data included."""
    run = mnist_grade("data", "--lang", "zh")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("MNIST 已就绪：60,000 张训练图像和 10,000 张测试图像")
    assert mnist_grade("hint", "reshape", "--lang", "xx").returncode == 2
