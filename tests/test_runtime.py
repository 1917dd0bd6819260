"""The environment the grader owns: the Keras backend it picks, no needless TensorFlow, training only when due."""

import json
import os
import subprocess
import sys

import pytest
from conftest import SOLUTIONS, accuracy_in, mnist_grade

from grader.backend import runtime


def test_jax_is_the_default_and_keras_backend_wins(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path))
    monkeypatch.setenv("JAX_PLATFORMS", "cuda")  # A user's own setting does not put grading on a GPU.
    assert runtime.environment() == {
        "KERAS_BACKEND": "jax",
        "CUDA_VISIBLE_DEVICES": "-1",
        "JAX_PLATFORMS": "cpu",
        "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert runtime.environment() == {"KERAS_BACKEND": "tensorflow", "CUDA_VISIBLE_DEVICES": "-1"}


def test_a_gpu_when_asked_computes_in_full_float32_and_shares_its_memory(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path))
    assert runtime.environment("gpu", "jax") == {
        "KERAS_BACKEND": "jax",
        "NVIDIA_TF32_OVERRIDE": "0",
        "JAX_PLATFORMS": "cuda",
        "JAX_DEFAULT_MATMUL_PRECISION": "highest",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    assert runtime.environment("gpu", "tensorflow") == {
        "KERAS_BACKEND": "tensorflow", "NVIDIA_TF32_OVERRIDE": "0", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}


DEVICE_PROBE = """\
import json, os, sys

import keras


def build_model():
    seen = {{name: os.environ.get(name) for name in (
        "CUDA_VISIBLE_DEVICES", "JAX_PLATFORMS", "NVIDIA_TF32_OVERRIDE", "XLA_PYTHON_CLIENT_PREALLOCATE")}}
    if keras.backend.backend() == "jax":
        import jax
        seen["devices"] = sorted({{device.platform for device in jax.devices()}})
    else:
        import tensorflow as tf
        seen["devices"] = sorted({{device.device_type for device in tf.config.get_visible_devices()}})
    open({marker!r}, "w").write(json.dumps(seen))
    raise NotImplementedError
"""


NO_TENSORFLOW = pytest.mark.needs("tensorflow")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", pytest.param("tensorflow", marks=NO_TENSORFLOW)])
def test_each_worker_trains_on_the_cpu_and_sees_no_gpu_by_default(backend, submission, tmp_path, monkeypatch):
    """What a worker's Keras sees, on either backend: the CPU alone, whatever JAX_PLATFORMS the user set."""
    monkeypatch.setenv("KERAS_BACKEND", backend)
    monkeypatch.setenv("JAX_PLATFORMS", "cuda,cpu")
    marker = tmp_path / "seen.json"
    run = mnist_grade(str(submission(build=DEVICE_PROBE.format(marker=str(marker)))), "--step", "build")
    assert "✗ build      0/20\n    not attempted yet: build_model()" in run.stdout, run.stdout + run.stderr
    assert json.loads(marker.read_text()) == {
        "CUDA_VISIBLE_DEVICES": "-1",
        "JAX_PLATFORMS": "cpu" if backend == "jax" else "cuda,cpu",
        "NVIDIA_TF32_OVERRIDE": None,
        "XLA_PYTHON_CLIENT_PREALLOCATE": None,
        "devices": ["CPU" if backend == "tensorflow" else "cpu"],
    }


@pytest.mark.slow
def test_a_gpu_that_is_not_there_is_bad_usage(monkeypatch):
    """--device gpu (or MNIST_DEVICE=gpu) without a GPU exits 2 before grading, saying what to do; so does a
    device that does not exist. (On a machine with a GPU this test is skipped.)"""
    if (
        subprocess.run(
            [sys.executable, "-c", runtime.PROBE, runtime.backend()],
            env={**os.environ, **runtime.environment("gpu")},
            capture_output=True,
        ).returncode
        == 0
    ):
        pytest.skip("this machine has a GPU")
    run = mnist_grade(str(SOLUTIONS), "--device", "gpu")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        f"mnist-grade: --device gpu: {runtime.backend()} finds no GPU here. Grade on the CPU (leave out --device and "
        f"unset MNIST_DEVICE), or install {runtime.backend()} with GPU support (for JAX: pip install 'jax[cuda12]').\n"
    )
    monkeypatch.setenv("MNIST_DEVICE", "gpu")
    assert mnist_grade("batch", str(SOLUTIONS.parent / "tests"), "--out", "unused").stderr == (
        "mnist-grade batch: " + run.stderr.removeprefix("mnist-grade: ")
    )
    monkeypatch.setenv("MNIST_DEVICE", "tpu")
    run = mnist_grade(str(SOLUTIONS))
    assert (run.returncode, run.stderr) == (2, "mnist-grade: MNIST_DEVICE is tpu; it can be cpu or gpu.\n")


@pytest.mark.long
@pytest.mark.slow
@NO_TENSORFLOW
def test_solutions_pass_on_tensorflow_too(monkeypatch):
    """The grader keeps TensorFlow supported: the reference passes on it, inside the measured band."""
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    run = mnist_grade(str(SOLUTIONS))
    assert (run.returncode, run.stderr) == (0, ""), run.stdout + run.stderr
    accuracy = accuracy_in(run.stdout)
    assert f"✓ accuracy   20/20  test accuracy {accuracy}\n" in run.stdout


PROBE_FIT = """\
import sys


def fit_model(model, images, labels):
    open({marker!r}, "w").write(str(images.shape))
    if "tensorflow" in sys.modules:
        raise RuntimeError("TensorFlow was imported")
    raise NotImplementedError
"""


@pytest.mark.slow
@pytest.mark.skipif(runtime.backend() == "tensorflow", reason="TensorFlow is the backend")
def test_keras_on_jax_never_imports_tensorflow(submission, tmp_path):
    """Seeding, building and compiling the model stay clear of TensorFlow's 2-second import."""
    folder = submission(fit=PROBE_FIT.format(marker=str(tmp_path / "called")))
    run = mnist_grade(str(folder))
    assert "✗ fit        0/15\n    not attempted yet: fit_model()" in run.stdout, run.stdout
    assert (tmp_path / "called").read_text() == "(60000, 784)"


@pytest.mark.slow
def test_a_model_trains_only_once_build_and_compile_pass(submission, tmp_path):
    marker = tmp_path / "called"
    compile_without_metrics = (
        "def compile_model(model):\n"
        "    model.compile(optimizer='rmsprop', loss='categorical_crossentropy')\n"
        "    return model\n"
    )
    folder = submission(compile=compile_without_metrics, fit=PROBE_FIT.format(marker=str(marker)))
    run = mnist_grade(str(folder))
    assert "– fit        0/15  skipped: fix compile first\n" in run.stdout, run.stdout
    assert not marker.exists()


SETTINGS_PROBE = """\
import json, sys

from grader.backend import config, runtime
from grader.workers.student_code import ChangedSetting, settings_kept

seen = [config.snapshot(), "keras" in sys.modules]  # Nothing to compare before Keras is imported, and no import.
keras = runtime.import_keras()
before = config.snapshot()
keras.mixed_precision.set_global_policy("mixed_float16")
seen.append(config.changed(before))
config.restore(before)
seen += [config.changed(before), keras.config.dtype_policy().name]
keras.config.set_floatx("float16")  # The unset dtype policy follows floatx: floatx is the setting named.
seen.append(config.changed(before))
config.restore(before)
keras.backend.clear_session()  # Unsets the dtype policy, which the layers then set again: both change nothing.
keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
seen.append(config.changed(before))
try:
    with settings_kept():
        keras.config.set_max_epochs(1)
except ChangedSetting as error:
    seen += [error.change, keras.config.max_epochs()]
with settings_kept():  # Set and put back: nothing changed.
    keras.config.set_epsilon(1e-4)
    keras.config.set_epsilon(1e-7)
print(json.dumps(seen))
"""


def test_keras_global_settings_are_compared_and_put_back():
    """What a worker compares before and after student code (grader/backend/config.py): the change named, as Keras
    would use it, and the settings put back; nothing read before Keras is imported."""
    run = subprocess.run([sys.executable, "-c", SETTINGS_PROBE], capture_output=True, text=True, timeout=300,
                         env={**os.environ, **runtime.environment()})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == [
        {}, False,
        {"setting": "dtype_policy", "value": "mixed_float16", "was": "float32"},
        None, "float32",
        {"setting": "floatx", "value": "float16", "was": "float32"},
        None,
        {"setting": "max_epochs", "value": 1, "was": None}, None,
    ]
