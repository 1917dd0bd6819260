"""How many submissions a minute `mnist-grade batch` grades on this machine, against the ideal.

Run: MNIST_DATA=../shared/data/mnist python bench/batch.py [N]
Grades a batch of N copies of the solutions, one of N failing submissions (stubs: nothing trains)
and one of both, and prints submissions per minute and the ratio to what perfect use of the cores
would give: cores / (time to grade one correct submission alone).
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
        kinds = {"correct": ROOT / "solutions", "failing": ROOT / "exercises"}
        for kind, source in kinds.items():
            for i in range(count):
                shutil.copytree(source, Path(scratch) / kind / f"{kind}{i:02d}")
                shutil.copytree(source, Path(scratch) / "mixed" / f"{kind}{i:02d}")
        walls = {
            name: seconds([*grade, "batch", str(Path(scratch) / name), "--out", str(Path(scratch) / f"results-{name}")])
            for name in ("correct", "failing", "mixed")
        }
    cores = os.cpu_count()
    rates = {name: (count * (2 if name == "mixed" else 1)) / wall * 60 for name, wall in walls.items()}
    ideal = cores / alone * 60
    print(f"machine: {cores} cores; one correct submission alone: {alone:.1f} s (ideal: {ideal:.1f} a minute)")
    for name, label in (
        ("correct", f"{count} correct"),
        ("failing", f"{count} failing"),
        ("mixed", f"{count} correct + {count} failing"),
    ):
        print(f"batch of {label}: {walls[name]:.1f} s, {rates[name]:.1f} submissions a minute")
    print(f"ratio of the correct batch to cores / one submission's time: {rates['correct'] / ideal:.2f}")
    print(
        f"a class of 300: all correct about {300 / rates['correct']:.0f} minutes, "
        f"half correct about {300 / rates['mixed']:.0f} minutes, none training about "
        f"{300 / rates['failing']:.0f} minutes"
    )


if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
