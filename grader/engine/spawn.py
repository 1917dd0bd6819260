"""A grading in a new process: `python -m grader.engine OPTIONS.json`, with the options written for it."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.workers.users import grader_command, grader_environment

if TYPE_CHECKING:
    from grader.engine.options import GradingOptions


def in_a_process(options: GradingOptions, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """Grade `options` in a new process, `python -m grader.engine OPTIONS.json`, as subprocess.run(**kwargs) runs
    it; return the finished process."""
    with tempfile.TemporaryDirectory(prefix="mnist-options-") as scratch:
        path = Path(scratch) / "options.json"
        path.write_text(options.to_json(), encoding="utf-8")
        kwargs["env"] = grader_environment(kwargs.get("env"))
        return subprocess.run(grader_command("grader.engine", path), **kwargs)
