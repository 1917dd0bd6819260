"""Keep TensorFlow's C++ log lines and Keras's warnings out of a beginner's terminal."""

import contextlib
import os
import warnings
from collections.abc import Iterator

QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONWARNINGS": "ignore",
}


def quiet() -> None:
    """Silence TensorFlow and Keras; call before keras or tensorflow is imported."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    warnings.filterwarnings("ignore", module="keras")
    warnings.filterwarnings("ignore", module="tensorflow")
    warnings.filterwarnings("ignore", category=UserWarning, message=".*input_shape.*")


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null meanwhile: TensorFlow logs from C++ while it is imported."""
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
