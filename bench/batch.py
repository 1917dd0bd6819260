"""How many submissions a minute `mnist-grade batch` grades on this machine, against the ideal.

Run: MNIST_DATA=../shared/data/mnist python bench/batch.py [N] [ROUNDS] [SANDBOX]
Grades batches of N copies of the solutions (--sandbox SANDBOX, default auto as batch's), with one
correct submission graded alone before and after each (after a first batch, timed apart, that fills the
caches a class's gradings share), and prints the ratio of the batch's
throughput to what perfect use of the cores would give: cores / (time to grade one correct
submission alone, the mean of the two around it). Shared machines change speed from minute to
minute, so each batch is compared with gradings next to it, and the ratio is given per round and as
their median. Then one batch of N failing submissions (stubs: nothing trains) and one of both, for
the scale of a class. Last, the correct and the mixed batch again with MNIST_PORTABLE=1 (no fork server, no forked
workers), and the throughput the forks buy.
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


def seconds(command, env=None):
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - started


def main(count=8, rounds=3, sandbox="auto"):
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the folder with MNIST, for example MNIST_DATA=../shared/data/mnist")
    grade, mode = [sys.executable, "-m", "grader.cli"], ["--sandbox", sandbox]
    cores = os.cpu_count()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MNIST_CACHE"] = scratch  # JAX's compilations too: the first grading fills the cache.
        seconds([*grade, "solutions", *mode])
        kinds = {"correct": ROOT / "solutions", "failing": ROOT / "exercises"}
        for kind, source in kinds.items():
            for i in range(count):
                shutil.copytree(source, Path(scratch) / kind / f"{kind}{i:02d}")
                shutil.copytree(source, Path(scratch) / "mixed" / f"{kind}{i:02d}")

        for i in range(cores):
            shutil.copytree(ROOT / "solutions", Path(scratch) / "first" / f"correct{i:02d}")

        def batch(name, env=None):
            out = Path(scratch) / f"results-{name}"
            shutil.rmtree(out, ignore_errors=True)
            return seconds([*grade, "batch", str(Path(scratch) / name), "--out", str(out), *mode], env)

        # A batch's gradings size their thread pools to their cores, and with the sandbox the first batch compiles
        # the model's programs for that setting, once per machine: timed apart, not in a round.
        print(f"a first batch of {cores}, which compiles what later ones reuse: {batch('first'):.1f} s")
        alone = [seconds([*grade, "solutions", *mode])]
        ratios = []
        print(f"machine: {cores} cores; batches of {count} correct submissions, each between two gradings alone")
        for round_ in range(rounds):
            wall = batch("correct")
            alone.append(seconds([*grade, "solutions", *mode]))
            around = (alone[-2] + alone[-1]) / 2
            rate, ideal = count / wall * 60, cores / around * 60
            ratios.append(rate / ideal)
            print(f"round {round_ + 1}: alone {alone[-2]:.1f} s and {alone[-1]:.1f} s (ideal {ideal:.1f} a minute); "
                  f"batch {wall:.1f} s, {rate:.1f} a minute; ratio {ratios[-1]:.2f}")
        failing, mixed = batch("failing"), batch("mixed")
        # The same batches without the warm fork server and forked workers: each grading and worker a new process.
        portable = {"MNIST_PORTABLE": "1"}
        unforked = {"correct": batch("correct", portable), "mixed": batch("mixed", portable)}
    print(f"ratio of a correct batch's throughput to cores / one submission's time: "
          f"median {statistics.median(ratios):.2f} (rounds: {' '.join(f'{ratio:.2f}' for ratio in ratios)})")
    rates = {"correct": count / wall * 60, "failing": count / failing * 60, "mixed": 2 * count / mixed * 60}
    print(f"batch of {count} failing: {failing:.1f} s, {rates['failing']:.1f} a minute; "
          f"{count} correct + {count} failing: {mixed:.1f} s, {rates['mixed']:.1f} a minute")
    print(f"without forks (MNIST_PORTABLE=1): {count} correct {unforked['correct']:.1f} s, {count} correct + {count} "
          f"failing {unforked['mixed']:.1f} s; throughput with forks / without: "
          f"{unforked['correct'] / wall:.2f} correct, {unforked['mixed'] / mixed:.2f} mixed")
    print(f"a class of 300: all correct about {300 / rates['correct']:.0f} minutes, "
          f"half correct about {300 / rates['mixed']:.0f} minutes, none training about "
          f"{300 / rates['failing']:.0f} minutes")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]), *sys.argv[3:4])
