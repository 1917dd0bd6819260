"""The environment the grader owns: the Keras backend it picks, no needless TensorFlow, training only when due."""

import pytest
from conftest import SOLUTIONS, mnist_grade

from grader import runtime
from grader.steps import REFERENCE_ACCURACIES


def test_jax_is_the_default_and_keras_backend_wins(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("MNIST_CACHE", str(tmp_path))
    assert runtime.environment() == {
        "KERAS_BACKEND": "jax",
        "JAX_PLATFORMS": "cpu",
        "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert runtime.environment() == {"KERAS_BACKEND": "tensorflow"}


def test_solutions_pass_on_tensorflow_too(monkeypatch):
    """The grader keeps TensorFlow supported: the reference passes on it at the accuracy steps.toml quotes."""
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    run = mnist_grade(str(SOLUTIONS))
    assert (run.returncode, run.stderr) == (0, ""), run.stdout + run.stderr
    assert f"✓ accuracy   20/20  test accuracy {REFERENCE_ACCURACIES['tensorflow']:.4f}\n" in run.stdout


PROBE_FIT = """\
import sys


def fit_model(model, images, labels):
    open({marker!r}, "w").write(str(images.shape))
    if "tensorflow" in sys.modules:
        raise RuntimeError("TensorFlow was imported")
    raise NotImplementedError
"""


@pytest.mark.skipif(runtime.backend() == "tensorflow", reason="TensorFlow is the backend")
def test_keras_on_jax_never_imports_tensorflow(submission, tmp_path):
    """Seeding, building and compiling the model stay clear of TensorFlow's 2-second import."""
    folder = submission(fit=PROBE_FIT.format(marker=str(tmp_path / "called")))
    run = mnist_grade(str(folder))
    assert "✗ fit        0/15\n    not attempted yet: fit_model()" in run.stdout, run.stdout
    assert (tmp_path / "called").read_text() == "(60000, 784)"


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
