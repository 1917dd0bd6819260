"""Files written whole or not at all: MNIST's cache, a Grade as it is graded, results.json, the hints' state, the
Gradescope bundle. Whoever reads one (a student, Gradescope, a batch after a stop) never reads half a file."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_whole(path: str | Path, content: str | bytes | Callable[[IO[bytes]], object], mode: int = 0o644) -> None:
    """Write `content` to `path`: text, bytes, or a function that writes into the open binary file it is given.

    It goes to a temporary file beside `path`, synced, then renamed over it; on any error the temporary file is
    removed and `path` is as it was. The file gets `mode` (a temporary file's own is 0o600).
    """
    path = Path(path)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp", delete=False) as out:
        try:
            if callable(content):
                content(out)
            else:
                out.write(content.encode("utf-8") if isinstance(content, str) else content)
            out.flush()
            os.fsync(out.fileno())
            os.chmod(out.name, mode)
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, path)
