"""How long getting MNIST takes: a cold download from a local mirror, then warm loads from the cache.

Run: MNIST_DATA=../shared/data/mnist python bench/data_load.py
The files are served by the tests' mirror on 127.0.0.1, so the network costs nothing and what is
measured is this project's own work: download, gunzip, SHA-256, writing and reading the cache.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from mirror import Mirror  # noqa: E402

from grader import data  # noqa: E402


def timed(function, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main():
    shared = Path(os.environ.pop("MNIST_DATA", Path(__file__).resolve().parent.parent.parent / "shared/data/mnist"))
    mirror = Mirror({path.name: path.read_bytes() for path in shared.glob("*.gz")})
    os.environ["MNIST_MIRROR"] = mirror.url
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["KERAS_HOME"] = str(Path(scratch) / "keras")

        def cold():
            os.environ["MNIST_CACHE"] = tempfile.mkdtemp(dir=scratch)
            data.load_data()

        cold_s = timed(cold, 3)
        warm_s = timed(data.load_data, 5)
        os.environ["MNIST_DATA"] = str(shared)
        idx_s = timed(data.load_data, 3)
    mirror.close()
    print(f"cold, downloaded from a local mirror and cached: {cold_s:.2f} s")
    print(f"warm, from the cache:                           {warm_s:.2f} s  (cold / warm = {cold_s / warm_s:.1f})")
    print(f"MNIST_DATA, four .gz IDX files:                 {idx_s:.2f} s  (gz / warm = {idx_s / warm_s:.1f})")
    print("Both splits each time, every array checked against its SHA-256; best of several runs.")


if __name__ == "__main__":
    main()
