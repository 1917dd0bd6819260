"""How many submissions a minute `mnist-grade batch` grades on this machine, against the ideal.

Run: MNIST_DATA=../shared/data/mnist python bench/batch.py [N]
Grades N copies of the solutions and N failing submissions (stubs: nothing trains) in one batch,
and prints submissions per minute and the ratio to what perfect use of the cores would give:
cores / (time to grade one correct submission alone).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seconds(command):
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main(count=8):
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the folder with MNIST, for example MNIST_DATA=../shared/data/mnist")
    grade = [sys.executable, "-m", "grader.cli"]
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MNIST_CACHE"] = scratch  # JAX's compilations too: the first grading fills the cache.
        seconds([*grade, "solutions"])
        alone = min(seconds([*grade, "solutions"]) for _ in range(2))
        for kind, source in (("correct", ROOT / "solutions"), ("failing", ROOT / "exercises")):
            for i in range(count):
                shutil.copytree(source, Path(scratch) / "class" / f"{kind}{i:02d}")
        wall = seconds([*grade, "batch", str(Path(scratch) / "class"), "--out", str(Path(scratch) / "results")])
    cores, total = os.cpu_count(), 2 * count
    rate = total / wall * 60
    ideal = cores / alone * 60
    print(f"machine: {cores} cores; one correct submission alone: {alone:.1f} s")
    print(f"batch of {count} correct + {count} failing: {wall:.1f} s, {rate:.1f} submissions a minute")
    print(f"ratio to cores / one submission's time ({ideal:.1f} a minute): {rate / ideal:.2f}")
    print(f"a class of 300, half of it correct: about {300 / rate:.0f} minutes; "
          f"all correct: about {300 / (count / wall * 60):.0f} minutes at most")

if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
