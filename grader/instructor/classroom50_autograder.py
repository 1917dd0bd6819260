#!/usr/bin/env python3
"""Classroom 50's autograder for the Keras MNIST course: `mnist-grade classroom50 bundle` copies this file as the
bundle's autograder.py, with its settings beside it in autograder.json (grader/instructor/classroom50.py).

The runner runs it in the student's checkout with its own Python: this file imports nothing but the standard
library. It installs the grader beside it (source/, with the versions pinned in source/requirements.txt) into a
virtual environment, then grades the settings' submission with `mnist-grade classroom50`, which writes result.json
and release-body.md. It exits 0 and leaves a result whatever happens, within the settings' budget (seconds of the
job's 15 minutes): after a non-zero exit the runner records only an error, past that limit nothing.
MNIST_GRADER_PYTHON, a Python that has the grader's packages already, skips the install (how its tests run).
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUNDLE = Path(__file__).resolve().parent
SETTINGS = "autograder.json"  # Beside this file: what to grade, in which language, and the seconds allowed.


def settings():
    """The bundle's settings: submission (a folder of the checkout), lang, budget and install (seconds)."""
    found = json.loads((BUNDLE / SETTINGS).read_text(encoding="utf-8"))
    return found["submission"], found["lang"], float(found["budget"]), float(found["install"])


try:
    SUBMISSION, LANG, BUDGET, INSTALL = settings()
    BROKEN = None
except (OSError, ValueError, KeyError, TypeError) as error:  # main() leaves a result that says so.
    SUBMISSION, LANG, BUDGET, INSTALL, BROKEN = "", "en", 0.0, 0.0, f"{type(error).__name__}: {error}"
STARTED = time.monotonic()


def left():
    return BUDGET - (time.monotonic() - STARTED)


def failed(why):
    """The result of a grading the grader could not make: 0 of 0 points, one row saying why."""
    print(why, flush=True)
    env = os.environ
    result = {"schema": "classroom50/result/v1", "classroom": env.get("CLASSROOM", ""),
              "assignment": env.get("ASSIGNMENT", ""), "submission": env.get("SUBMISSION_TAG", ""),
              "commit": env.get("COMMIT_URL", ""), "release": env.get("RELEASE_URL", ""),
              "review": env.get("REVIEW_URL") or env.get("COMMIT_URL", ""),
              "owner": env.get("USERNAME") or env.get("GITHUB_ACTOR") or "unknown",
              "assignment_type": env.get("ASSIGNMENT_TYPE") or "individual",
              "datetime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "score": 0, "max-score": 0,
              "tests": [{"test-name": "grader", "passed": False, "score": 0, "max-score": 0, "message": why}]}
    Path("result.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    Path("release-body.md").write_text("### MNIST course: —\n\n" + why + "\n", encoding="utf-8")
    return 0


def installed():
    """A Python with the grader's packages: MNIST_GRADER_PYTHON, or a new virtual environment."""
    if os.environ.get("MNIST_GRADER_PYTHON"):
        return os.environ["MNIST_GRADER_PYTHON"]
    venv = Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / "mnist-grade-venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # -I, and the bundle as the working folder: the real venv and pip, never a venv.py or pip/ of the checkout.
    subprocess.run([sys.executable, "-I", "-m", "venv", str(venv)], check=True, timeout=120, cwd=BUNDLE)
    subprocess.run([str(python), "-I", "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--retries",
                    "5", "-r", str(BUNDLE / "source" / "requirements.txt")], check=True, timeout=INSTALL, cwd=BUNDLE)
    return str(python)


def main():
    for stale in ("result.json", "release-body.md"):  # Only what this run writes is read.
        Path(stale).unlink(missing_ok=True)
    if BROKEN:
        return failed(f"The autograder's {SETTINGS} could not be read ({BROKEN}). Tell your instructor.")
    try:
        python = installed()
    except (OSError, subprocess.SubprocessError) as error:
        return failed(f"The grader could not be installed ({error}). Tell your instructor, who can grade again.")
    print(f"Installed in {BUDGET - left():.0f} s.", flush=True)
    # -P: the grader of source/, never a grader/ of the student's checkout, the working folder.
    command = [python, "-P", "-m", "grader.cli", "classroom50", SUBMISSION, "--lang", LANG,
               "--timeout", f"{max(60, left() - 60):.0f}"]
    env = {**os.environ, "PYTHONPATH": str(BUNDLE / "source")}
    try:
        grading = subprocess.Popen(command, env=env, start_new_session=os.name == "posix")
    except OSError as error:
        return failed(f"The grader could not start ({error}). Tell your instructor.")
    try:
        code = grading.wait(timeout=max(30, left()))
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            os.killpg(grading.pid, signal.SIGKILL)  # The grading and what it started, before the result is written.
        grading.kill()
        grading.wait()
        return failed(f"Grading took longer than the autograder's {BUDGET:g} s. Tell your instructor.")
    if code != 0 or not Path("result.json").exists():
        return failed(f"The grader stopped with exit code {code} and no result. Tell your instructor.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
