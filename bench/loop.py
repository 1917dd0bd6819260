"""How fast a student's loop answers, in one run: --watch from a save to its verdict, one step graded cold, and what
a whole grading spends besides training (issue 30's goals).

Run: MNIST_DATA=../shared/data/mnist python bench/loop.py
Prints each figure and its goal. --watch: the median of SAVES saves of normalize.py (a data step) and of build.py,
timed from the write to the step's verdict on the watcher's stdout: normalize's score line, build's own line (shown
before fit trains again). Cold: the median of REPEAT runs of `mnist-grade --step normalize` and `--step build`.
Overhead: bench/grading.py's "mnist-grade solutions" minus its "fit, 5 epochs", each the best of REPEAT runs taken in
turns, timed without sampling memory (which takes a 2-core machine's processor from the grading). Everything reads
MNIST from a cache of the bench's own, imported from MNIST_DATA first, and JAX's compilations from a cache the first
grading fills, as a student has them after `mnist-grade data`.
"""

import importlib.util
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAVES = int(os.environ.get("SAVES", "10"))
REPEAT = int(os.environ.get("REPEAT", "3"))
GRADE = [sys.executable, "-m", "grader.cli"]
SCORE = "Score: "  # The line that ends every verdict, in watch mode too.


class Watcher:
    """`mnist-grade --watch FOLDER` in the background; lines() gives each line with the time it was read."""

    def __init__(self, folder, env):
        self.process = subprocess.Popen([*GRADE, str(folder), "--watch"], cwd=ROOT, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line))

    def until(self, start=SCORE, timeout=300):
        """When the next line starting with `start` was read; the lines after it, up to the next score line, are
        read too (a save's verdict comes whole before the next save)."""
        deadline, found = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                read, line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if found is None and line.startswith(start):
                found = read
            if found is not None and line.startswith(SCORE):
                return found
        raise SystemExit(f"no verdict within {timeout} s")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(30)


def save_latencies(watcher, path, verdict=SCORE):
    """Seconds from each of SAVES saves of `path` (its own text, one comment line more each time) to its verdict:
    the first line that starts with `verdict`."""
    text, seconds = path.read_text(encoding="utf-8"), []
    for count in range(SAVES):
        time.sleep(0.5)  # As a student saves: never while the last verdict is being printed.
        started = time.perf_counter()
        path.write_text(f"{text}# save {count}\n", encoding="utf-8")
        seconds.append(watcher.until(verdict) - started)
    return seconds


def cold(folder, step, env):
    """The median of REPEAT runs of `mnist-grade FOLDER --step STEP`, in seconds."""
    runs = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        subprocess.run([*GRADE, str(folder), "--step", step], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def grading_bench():
    spec = importlib.util.spec_from_file_location("bench_grading", ROOT / "bench" / "grading.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the folder with MNIST, for example MNIST_DATA=../shared/data/mnist")
    sys.path.insert(0, str(ROOT))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb"}
    with tempfile.TemporaryDirectory() as scratch:
        env["MNIST_CACHE"] = os.environ["MNIST_CACHE"] = scratch
        from grader.data import import_from

        import_from(os.environ.pop("MNIST_DATA"))
        env.pop("MNIST_DATA", None)
        folder = Path(scratch) / "work"
        shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__", "__*.py"))
        subprocess.run([*GRADE, str(folder)], cwd=ROOT, env=env, capture_output=True, check=False)  # Fills the caches.
        watcher = Watcher(folder, env)
        try:
            watcher.until()  # The first grading, training included.
            normalize = save_latencies(watcher, folder / "normalize.py")
            build = save_latencies(watcher, folder / "build.py", "✓ build")  # Shown before fit trains again.
        finally:
            watcher.stop()
        cold_normalize, cold_build = cold(folder, "normalize", env), cold(folder, "build", env)
        bench = grading_bench()
        bench.REPEAT, graded, fit = 1, [], []
        for _ in range(REPEAT):  # In turns, so that both see the machine alike: a shared one is noisy.
            graded.append(bench.measure([*GRADE, str(folder)], env, sample=False)[0])
            fit.append(bench.fit_seconds())
        graded, fit = min(graded), min(fit)
    installed = [name for name in ("tensorflow", "matplotlib") if importlib.util.find_spec(name)]
    print(f"machine: {os.cpu_count()} cores; installed besides the README's: {', '.join(installed) or 'nothing'}")
    print(f"--watch, save normalize.py -> verdict: median {statistics.median(normalize):.2f} s "
          f"(min {min(normalize):.2f}, max {max(normalize):.2f}, {SAVES} saves)")
    print(f"--watch, save build.py -> verdict:     median {statistics.median(build):.2f} s "
          f"(min {min(build):.2f}, max {max(build):.2f}, {SAVES} saves)")
    print(f"cold --step normalize:                 median {cold_normalize:.2f} s")
    print(f"cold --step build:                     median {cold_build:.2f} s")
    print(f"mnist-grade solutions: {graded:.2f} s, fit {fit:.2f} s: besides training {graded - fit:.2f} s")
    print()
    goals = [("--watch, a data step", statistics.median(normalize), 0.5),
             ("--watch, build", statistics.median(build), 1),
             ("cold --step normalize", cold_normalize, 1.5),
             ("cold --step build", cold_build, 2.5),
             ("a grading besides training", graded - fit, 2)]
    for name, value, goal in goals:
        print(f"{name:<28} {value:5.2f} s  goal <= {goal:g} s  {'met' if value <= goal else 'MISSED'}")


if __name__ == "__main__":
    main()
