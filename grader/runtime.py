"""The environment the grader runs Keras in: the backend, JAX's compilation cache, no needless TensorFlow.

The grader owns these, never the student's code. JAX is the default backend because it grades
fastest on the machines we measured (bench/grading.py); KERAS_BACKEND set by the user wins, so an
instructor can grade on TensorFlow, and TensorFlow is used when JAX is not installed.
"""

import importlib.util
import os
from pathlib import Path


def user_folder(variable, kind):
    """The folder in environment variable `variable`, by default this user's `kind` ("cache", "state") folder."""
    folder = os.environ.get(variable)
    if not folder:
        import platformdirs

        folder = getattr(platformdirs, f"user_{kind}_dir")("mnist-grade", appauthor=False)
    return Path(folder)


def backend():
    """The Keras backend the grader uses: KERAS_BACKEND when set, otherwise jax when installed, else tensorflow."""
    chosen = os.environ.get("KERAS_BACKEND")
    if chosen:
        return chosen
    return "jax" if importlib.util.find_spec("jax") else "tensorflow"


def environment():
    """Variables for a process that runs Keras for the grader: the backend, and for JAX a compilation cache."""
    env = {"KERAS_BACKEND": backend()}
    if env["KERAS_BACKEND"] == "jax":
        from grader.data import cache_file

        env.update({
            "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu"),  # Do not look for accelerators.
            # The model's training step compiles once per machine instead of once per grading.
            "JAX_COMPILATION_CACHE_DIR": str(Path(cache_file()).parent.resolve() / "jax"),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        })
    return env


def use(env=None):
    """Set the grader's environment in this process; call before keras is imported."""
    for key, value in (env or environment()).items():
        os.environ.setdefault(key, value)


def without_tensorflow(keras):
    """On another backend, keep Keras from importing TensorFlow (2 s) just to see whether it is there.

    Keras asks when it seeds and when it serializes a compile config. Student code that imports
    TensorFlow itself still can.
    """
    if keras.backend.backend() != "tensorflow":
        from keras.src.utils import module_utils

        module_utils.tensorflow._available = False
    return keras
