"""A grading in a new process: `python -m grader.engine OPTIONS.json`, with the options written for it."""

import subprocess
import sys
import tempfile
from pathlib import Path


def in_a_process(options, **kwargs):
    """Grade `options` in a new process, `python -m grader.engine OPTIONS.json`, as subprocess.run(**kwargs) runs
    it; return the finished process."""
    with tempfile.TemporaryDirectory(prefix="mnist-options-") as scratch:
        path = Path(scratch) / "options.json"
        path.write_text(options.to_json())
        return subprocess.run([sys.executable, "-m", "grader.engine", str(path)], **kwargs)
