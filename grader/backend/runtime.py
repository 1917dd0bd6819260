"""The environment the grader runs Keras in: the backend, the device, JAX's compilation cache, no needless TensorFlow.

The grader owns these, never the student's code. JAX is the default backend because it grades
fastest on the machines we measured (bench/grading.py); KERAS_BACKEND set by the user wins, so an
instructor can grade on TensorFlow, and TensorFlow is used when JAX is not installed.
"""

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

from grader.backend.quiet import QUIET_ENV, quiet, silenced_stderr
from grader.course.i18n import _
from grader.data import cache_file


def backend() -> str:
    """The Keras backend the grader uses: KERAS_BACKEND when set, otherwise jax when installed, else tensorflow."""
    chosen = os.environ.get("KERAS_BACKEND")
    if chosen:
        return chosen
    return "jax" if importlib.util.find_spec("jax") else "tensorflow"


DEVICES = ("cpu", "gpu")


def device(chosen: str | None = None) -> str:
    """The device the grader trains on: `chosen` (--device), else MNIST_DEVICE, else the CPU."""
    chosen = chosen or os.environ.get("MNIST_DEVICE") or "cpu"
    if chosen not in DEVICES:
        raise DeviceError(_("MNIST_DEVICE is {device}; it can be cpu or gpu.", device=chosen))
    return chosen


def environment(device: str = "cpu", backend_name: str | None = None) -> dict[str, str]:
    """Variables for a process that runs Keras for the grader, on `device` ("cpu" or "gpu").

    On the CPU, no framework sees a GPU (CUDA_VISIBLE_DEVICES hides NVIDIA's from JAX, TensorFlow
    and torch alike; configure() hides the rest from TensorFlow). On a GPU, float32 matrix products
    are computed in full float32, never TF32, and no process takes the whole GPU's memory, so that
    parallel gradings share one GPU. JAX also gets a compilation cache: MNIST_JAX_CACHE, by default a folder
    beside MNIST's cache.
    """
    name = backend_name or backend()
    env = {"KERAS_BACKEND": name}
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    else:
        env["NVIDIA_TF32_OVERRIDE"] = "0"  # cuBLAS and cuDNN: no TF32, whatever the framework asks.
    if name == "jax":
        env.update({
            "JAX_PLATFORMS": "cpu" if device == "cpu" else "cuda",
            # The model's training step compiles once per machine instead of once per grading.
            "JAX_COMPILATION_CACHE_DIR": os.environ.get("MNIST_JAX_CACHE") or str(Path(cache_file()).parent / "jax"),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        })
        if device == "gpu":
            env.update(XLA_PYTHON_CLIENT_PREALLOCATE="false", JAX_DEFAULT_MATMUL_PRECISION="highest")
    elif name == "tensorflow" and device == "gpu":
        env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    return env


def set_environment(chosen: str | None = None) -> None:
    """Set the grader's environment in this process; call before keras is imported.

    A worker gets it from the grading process already; `python -m exercises` gets it here.
    """
    for key, value in environment(device(chosen)).items():
        os.environ.setdefault(key, value)


def configure(keras):
    """What the environment cannot say, once Keras is imported: on TensorFlow, which devices it may use."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if os.environ.get("CUDA_VISIBLE_DEVICES") == "-1":
            tf.config.set_visible_devices([], "GPU")  # Also the GPUs CUDA does not manage (Metal).
        else:
            tf.config.experimental.enable_tensor_float_32_execution(False)
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
    return keras


PROBE = """\
import sys
try:
    if sys.argv[1] == "jax":
        import jax
        found = any(device.platform == "gpu" for device in jax.devices())
    elif sys.argv[1] == "tensorflow":
        import tensorflow as tf
        found = bool(tf.config.list_physical_devices("GPU"))
    else:
        import torch
        found = torch.cuda.is_available()
except Exception:
    found = False
sys.exit(0 if found else 1)
"""  # Exits 0 when the backend finds a GPU; run with the environment a worker gets.


def check_device(chosen: str) -> None:
    """Raise DeviceError unless the backend can train on `chosen`; the CPU always can. Asked once per process: the
    processes a grading starts are told what it settled (GradingOptions)."""
    name = backend()
    if chosen != "cpu" and not finds_a_gpu(name):
        raise DeviceError(_(
            "--device gpu: {backend} finds no GPU here. Grade on the CPU (leave out --device and unset "
            "MNIST_DEVICE), or install {backend} with GPU support (for JAX: pip install 'jax[cuda12]').",
            backend=name))


@functools.cache
def finds_a_gpu(name):
    """Whether the backend `name` finds a GPU, run with the variables a worker that trains on one gets."""
    import subprocess
    import sys

    try:
        return subprocess.run([sys.executable, "-P", "-c", PROBE, name], capture_output=True, timeout=300,
                              env={**os.environ, **QUIET_ENV, **environment("gpu")}).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def import_keras() -> Any:
    """Import and return keras, on the grader's backend, without TensorFlow's start-up log lines."""
    quiet()
    set_environment()
    with silenced_stderr():
        import keras

        configure(keras)
    return without_tensorflow(keras)


class DeviceError(Exception):
    """The device asked for cannot be used; the message says why and what to do."""


def without_tensorflow(keras):
    """On another backend, keep Keras from importing TensorFlow (seconds) just to see whether it is there.

    Keras asks when it seeds and when it serializes a compile config. Student code that imports
    TensorFlow itself still can.
    """
    if keras.backend.backend() != "tensorflow":
        from keras.src.utils import module_utils

        module_utils.tensorflow._available = False
    return keras
