"""How fast grading is, against the seed's own script and the machine's matrix-multiply speed, in one run.

Run: MNIST_DATA=../shared/data/mnist python bench/grading.py
Prints each measurement and the ratios the speed goals are stated in (issue 4). Wall times are the
best of REPEAT runs; memory is the peak of the sum of PSS over the whole process tree, sampled in a run of its own:
sampling takes processor time from what it measures (0.5 to 1 s of a 7 s grading on 2 cores).
Everything reads MNIST from a cache of the bench's own, imported from MNIST_DATA first.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.workers.processes import tree_memory_kb

ROOT = Path(__file__).resolve().parent.parent
REPEAT = int(os.environ.get("REPEAT", "2"))
# Multiply-adds of 5 epochs: forward 784×512 + 512×10 per image, backward twice that, 60,000 images.
FIT_FLOP = 5 * 60_000 * 3 * 2 * (784 * 512 + 512 * 10)


def sgemm_gflops():
    """numpy's float32 matrix multiply on this machine, best of several, in GFLOP/s."""
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    a @ a
    best = min(_seconds(lambda: a @ a) for _ in range(10))
    return 2 * 2048**3 / best / 1e9


def _seconds(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure(command, env=None, cwd=ROOT, sample=True):
    """Run a command; return (wall seconds, peak memory of its process tree in MB, or 0 when not `sample`d, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    while sample and process.poll() is None:
        peak = max(peak, tree_memory_kb(process.pid))
        time.sleep(0.05)
    out = process.communicate()[0]
    return time.perf_counter() - started, peak / 1024, out


def best(command, env=None):
    """(The best wall time of REPEAT runs, the peak memory of one more, sampled, its stdout)."""
    wall = min(measure(command, env, sample=False)[0] for _ in range(REPEAT))
    _, peak, out = measure(command, env)
    return wall, peak, out


def fit_seconds():
    """The fit step alone, as the grader runs it: its worker's time from being let go to its facts."""
    sys.path.insert(0, str(ROOT))
    from grader.data import load_split
    from grader.workers.handle import Shared, Worker, place

    times = []
    images, labels = load_split("train")
    for _ in range(REPEAT):
        with tempfile.TemporaryDirectory() as scratch:
            shared = Shared(ROOT / "solutions", ROOT / "solutions")
            worker = Worker(place(("build", "compile", "fit"), Path(scratch) / "work", shared,
                                  {"train_images": images, "train_labels": labels}), shared).launch()
            worker.result("compile")
            times.append(worker.result("fit").seconds)
            worker.close()
    return min(times)


def main():
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the folder with MNIST, for example MNIST_DATA=../shared/data/mnist")
    from grader.backend import runtime

    python = sys.executable
    grade = [python, "-m", "grader.cli"]
    seed = [python, str(ROOT / "bench" / "seed_script.py")]
    env = {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.TemporaryDirectory() as scratch:
        # Caches of the bench's own, as a student has them after `mnist-grade data`: MNIST imported
        # once, and JAX's compilations, which the first grading makes.
        env["MNIST_CACHE"] = os.environ["MNIST_CACHE"] = scratch
        from grader.data import import_from

        import_from(os.environ.pop("MNIST_DATA"))
        untrained = Path(scratch) / "untrained"
        shutil.copytree(ROOT / "solutions", untrained)
        shutil.copy(ROOT / "exercises" / "fit.py", untrained / "fit.py")

        gflops = sgemm_gflops()
        seed_tf = best(seed, {**env, "KERAS_BACKEND": "tensorflow"})
        first = measure([*grade, "solutions"], env, sample=False)
        graded = best([*grade, "solutions"], env)
        unforked = best([*grade, "solutions"], {**env, "MNIST_PORTABLE": "1"})  # Every worker a new process.
        feedback = best([*grade, str(untrained)], env)
        one_step = best([*grade, "solutions", "--step", "normalize"], env)
        fit = fit_seconds()
        seed_default = best(seed, {**env, "KERAS_BACKEND": runtime.backend()})
    bound = FIT_FLOP / gflops / 1e9
    backend = runtime.backend()
    accuracy = next((line.split()[-1] for line in graded[2].splitlines() if "test accuracy" in line), "?")
    print(f"machine: {os.cpu_count()} cores, numpy sgemm {gflops:.0f} GFLOP/s; grader backend: {backend}")
    print(f"seed script, TensorFlow:        {seed_tf[0]:6.2f} s  {seed_tf[1]:5.0f} MB")
    print(f"seed script, {backend:<18} {seed_default[0]:6.2f} s  {seed_default[1]:5.0f} MB")
    print(f"mnist-grade solutions, first:   {first[0]:6.2f} s           (empty compilation cache)")
    print(f"mnist-grade solutions:          {graded[0]:6.2f} s  {graded[1]:5.0f} MB  (test accuracy {accuracy})")
    print(f"  without forks (PORTABLE=1):   {unforked[0]:6.2f} s  {unforked[1]:5.0f} MB  (forks save "
          f"{1 - graded[0] / unforked[0]:.0%})")
    print(f"non-training feedback:          {feedback[0]:6.2f} s  (all steps but fit done)")
    print(f"one step, --step normalize:     {one_step[0]:6.2f} s")
    print(f"fit, 5 epochs:                  {fit:6.2f} s  (GEMM bound {bound:.2f} s: {FIT_FLOP / 1e9:.0f} GFLOP)")
    print()
    goals = [
        ("grading / seed script on TensorFlow", graded[0] / seed_tf[0], 0.5),
        ("fit / GEMM bound", fit / bound, 1.5),
        ("non-training feedback, seconds", feedback[0], 3.0),
        ("peak memory / seed script's", graded[1] / seed_tf[1], 1.0),
    ]
    for name, value, goal in goals:
        print(f"{name:<38} {value:5.2f}  goal <= {goal:g}  {'met' if value <= goal else 'MISSED'}")


if __name__ == "__main__":
    main()
