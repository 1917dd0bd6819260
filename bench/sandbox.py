"""What `--sandbox on` costs a grading and a batch, against `--sandbox off`, on this machine, in one run.

Run: MNIST_DATA=../shared/data/mnist python bench/sandbox.py [ROUNDS] [N]
Each round grades the solutions alone with the sandbox off and on, then a batch of N copies of them
off and on. Shared machines change speed from minute to minute, so each pair is compared within its
round: the ratio on ÷ off per round, the median of the ratios, and the seconds the sandbox adds to one
grading alone and to each submission of a batch. Needs bubblewrap (bwrap).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seconds(*args):
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(rounds=4, count=4):
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the folder with MNIST, for example MNIST_DATA=../shared/data/mnist")
    from grader.workers import bubblewrap

    if bubblewrap.why_unavailable():
        sys.exit(f"The sandbox cannot run here: {bubblewrap.why_unavailable()}")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MNIST_CACHE"] = scratch  # JAX's compiled programs: the first gradings fill both caches.
        for i in range(count):
            shutil.copytree(ROOT / "solutions", Path(scratch) / "class" / f"student{i:02d}")
        seconds("solutions", "--sandbox", "off")
        seconds("solutions", "--sandbox", "on")
        for mode in ("off", "on"):  # A batch's thread setting has compiled programs of its own: made once, here.
            seconds("batch", str(Path(scratch) / "class"), "--out", str(Path(scratch) / f"first-{mode}"),
                    "--sandbox", mode)
        print(f"machine: {os.cpu_count()} cores; each round: one grading alone, then a batch of {count}, "
              "with the sandbox off, then on")
        alone, batch = [], []
        for round_ in range(rounds):
            pair = [seconds("solutions", "--sandbox", mode) for mode in ("off", "on")]
            walls = []
            for mode in ("off", "on"):
                shutil.rmtree(Path(scratch) / "out", ignore_errors=True)
                walls.append(seconds("batch", str(Path(scratch) / "class"), "--out", str(Path(scratch) / "out"),
                                     "--sandbox", mode))
            alone.append(pair)
            batch.append(walls)
            print(f"round {round_ + 1}: alone {pair[0]:.1f} s off, {pair[1]:.1f} s on (ratio {pair[1] / pair[0]:.2f}); "
                  f"batch {walls[0]:.1f} s off, {walls[1]:.1f} s on (ratio {walls[1] / walls[0]:.2f})")
        print(f"median ratio on ÷ off: alone {statistics.median(on / off for off, on in alone):.2f}, "
              f"batch {statistics.median(on / off for off, on in batch):.2f}")
        print(f"median seconds added: {statistics.median(on - off for off, on in alone):.1f} s to a grading alone, "
              f"{statistics.median((on - off) / count for off, on in batch):.1f} s to each submission of a batch")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
