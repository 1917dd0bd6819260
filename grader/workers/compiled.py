"""JAX's compiled programs for sandboxed workers: written by the grader's own code only, read-only to student code.

A model worker compiles some 25 programs (the layers' operations, the training step), about 4 s of a
grading, and JAX keeps them in a cache folder (runtime.environment). Workers outside the sandbox
share that folder and write it. Under the sandbox no submission may write what another's training
reads: sandboxed workers read a folder of their own, read-only (folder()), which fill() writes by
grading the seed's own code, REFERENCE, outside the sandbox, once per machine and settings.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from grader.backend import runtime
from grader.course.i18n import _
from grader.course.steps import FILE_STEPS

FILL_LIMIT = 600  # Seconds for the reference grading: 10 or so.
# The seed's model, compiled and trained as the course asks; the other steps are left to stubs.
REFERENCE = {
    "build.py": "import keras\nfrom keras import layers\n\n\ndef build_model():\n    return keras.Sequential(["
                "keras.Input(shape=(784,)), layers.Dense(512, activation='relu'), "
                "layers.Dense(10, activation='softmax')])\n",
    "compile.py": "def compile_model(model):\n    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', "
                  "metrics=['accuracy'])\n    return model\n",
    "fit.py": "def fit_model(model, images, labels):\n    return model.fit(images, labels, epochs=5, batch_size=128)\n",
}
# What a compiled program depends on besides the code: the settings workers get (runtime.environment, thread pools).
SETTINGS = ("KERAS_BACKEND", "JAX_PLATFORMS", "XLA_FLAGS", "CUDA_VISIBLE_DEVICES", "JAX_DEFAULT_MATMUL_PRECISION")


def folder():
    """Where sandboxed workers' compiled programs are kept: beside MNIST's cache, apart from other workers'."""
    return runtime.cache_file().parent / "jax-sandbox"


def key(env):
    """What the programs compiled with `env` depend on, as a short digest: versions and settings."""
    versions = {}
    for package in ("jax", "jaxlib", "keras"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    settings = {name: value for name, value in env.items() if name in SETTINGS or name.endswith("_NUM_THREADS")}
    text = json.dumps([sys.version, versions, sorted(settings.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def usable(user=None):
    """folder() when sandboxed workers can read it, as `user` (MNIST_WORKER_USER) or this one; else None."""
    path = folder()
    if not path.is_dir():
        return None
    for part in [path, *path.parents]:  # Each must let the user through: owner, group or others.
        info = part.stat()
        if user is None or info.st_uid == user.pw_uid:
            continue
        if not info.st_mode & (0o010 if info.st_gid == user.pw_gid else 0o001):
            return None
    return path


def fill(env, device="cpu", say=None):
    """Compile the reference model's programs for workers that get `env` (a grading's environment), into
    folder(), unless done already (then say(what it does) first); return whether folder() holds them.
    Only where the backend is JAX."""
    env = {**env, **runtime.environment(device)}
    if runtime.backend() != "jax":
        return False
    done = folder() / f".filled-{key(env)}"
    if done.exists():
        return True
    if say:
        say(_("Compiling the model's programs for the sandbox, once for this machine's settings (about 10 s)…"))
    folder().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mnist-reference-") as scratch:
        for step in FILE_STEPS:
            stub = f"def {step.function}(*args):\n    raise NotImplementedError\n"
            (Path(scratch) / step.file).write_text(REFERENCE.get(step.file, stub))
        try:  # A grading of the grader's own code: no sandbox, no other user, the programs kept in folder().
            graded = subprocess.run(
                [sys.executable, "-m", "grader.cli", scratch, "--step", "fit", "--sandbox", "off", "--device", device],
                env={**env, "MNIST_JAX_CACHE": str(folder()), "MNIST_WORKER_USER": ""},
                stdin=subprocess.DEVNULL, capture_output=True, timeout=FILL_LIMIT)
        except (OSError, subprocess.SubprocessError):
            return False
    if graded.returncode != 0:
        return False
    done.touch()
    os.chmod(folder(), 0o755)  # Readable by the user workers may run as (MNIST_WORKER_USER), writable by none.
    return True
