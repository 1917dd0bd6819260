"""The user's folders the grader keeps things in: MNIST's cache, the hints' state."""

import os
from pathlib import Path


def user_folder(variable: str, kind: str) -> Path:
    """The folder in environment variable `variable`, by default this user's `kind` ("cache", "state") folder."""
    folder = os.environ.get(variable)
    if not folder:
        import platformdirs

        folder = getattr(platformdirs, f"user_{kind}_dir")("mnist-grade", appauthor=False)
    return Path(folder)
