"""The reference solution's test accuracy for several seeds on each backend: the numbers behind the band.

Run: MNIST_DATA=../shared/data/mnist python bench/accuracy.py [SEEDS] [BACKENDS]
(default seeds 1-5, backends jax and tensorflow). Each backend trains in a process of its own, as
the grader's worker does: seeded, on the grader's prepared training set, and tested with the
grader's own numpy forward pass. Prints one row per run, then each backend's range, and whether
every run lies inside the band that grader/course/steps.toml states and the tests assert.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TRAIN = """
import json, sys
from grader.backend.runtime import import_keras
keras = import_keras()
from grader.data import load_split
from grader.backend.reference import accuracy_of, prepared_test_images, prepared_training_set
from solutions.build import build_model
from solutions.compile import compile_model
from solutions.fit import fit_model

x_train, y_train = prepared_training_set(*load_split("train"))
for seed in json.loads(sys.argv[1]):
    keras.utils.set_random_seed(seed)
    model = compile_model(build_model())
    fit_model(model, x_train, y_train)
    images, labels = load_split("test")
    accuracy = accuracy_of(model.get_weights(), prepared_test_images(images), labels)
    print(json.dumps({"seed": seed, "accuracy": accuracy}), flush=True)
"""


def measure(backend, seeds, device="cpu"):
    from grader.backend import runtime

    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, **runtime.environment(device, backend), "PYTHONPATH": path}
    run = subprocess.run([sys.executable, "-c", TRAIN, json.dumps(seeds)], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, text=True, check=True)
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def main():
    from grader.course.steps import ACCURACY_BAR, REFERENCE_BAND

    seeds = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1,2,3,4,5").split(",")]
    backends = (sys.argv[2] if len(sys.argv) > 2 else "jax,tensorflow").split(",")
    device = os.environ.get("MNIST_DEVICE", "cpu")
    low, high = REFERENCE_BAND
    inside = True
    for backend in backends:
        found = [row["accuracy"] for row in measure(backend, seeds, device)]
        for seed, accuracy in zip(seeds, found, strict=True):
            print(f"{backend:<10} {device} seed {seed}: {accuracy:.4f}")
        print(f"{backend:<10} {device} range {min(found):.4f}–{max(found):.4f}, "
              f"margin above the bar {min(found) - ACCURACY_BAR:.4f}")
        inside &= all(low <= accuracy <= high for accuracy in found)
    print(f"band {low}–{high}: {'every run inside' if inside else 'SOME RUN OUTSIDE'}")
    return 0 if inside else 1


if __name__ == "__main__":
    sys.exit(main())
