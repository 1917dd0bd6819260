"""Classroom 50: `mnist-grade classroom50 [PATH]` grades PATH where Classroom 50's runner runs a teacher's
autograder.py, and `mnist-grade classroom50 bundle DIR` writes that autograder.

The runner (foundation50/classroom50, .github/scripts/runner.py) runs autograder.py in the student's checkout,
then reads ./result.json (schema classroom50/result/v1: the identity from the environment it sets, whole-number
scores, one row per test) and ./release-body.md, the page "View grade" opens. When autograder.py exits non-zero
the runner records only an error (0 of 0, no release), and past the job's 15 minutes nothing at all, so both are
avoided: whenever a grade is made the command exits 0, failing checks included, and a failure of the grader itself
still leaves a result, 0 of 0 points (as the runner's own error results have), with a row that says why.

The bundle's autograder.py installs the grader it carries (its source and grader/constraints.txt's pins) into a
virtual environment, then runs this command within a time budget, writing an error result itself when the
install or the grading fails or runs out of time. MNIST comes from the loader's mirrors, with retries: the
bundle's download is capped at 10 MiB, less than MNIST.
"""

import datetime
import json
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.code import points
from grader.course.i18n import _
from grader.course.steps import STEPS
from grader.data.files import write_whole
from grader.engine.limits import Limits
from grader.engine.submission import has_step_files

SCHEMA = "classroom50/result/v1"
# The result's identity: each field and the variable the runner sets it from. REVIEW_URL falls back to COMMIT_URL,
# as the runner's own does.
IDENTITY = {"classroom": "CLASSROOM", "assignment": "ASSIGNMENT", "submission": "SUBMISSION_TAG",
            "commit": "COMMIT_URL", "release": "RELEASE_URL", "review": "REVIEW_URL"}
RESULT, RELEASE_BODY = "result.json", "release-body.md"
# The job's limit is 15 minutes, setup and publishing included: the autograder gets 12 of them, the grading what
# the install leaves less a minute, and each training step its share of that (GradingOptions.time_budget).
JOB_MINUTES, BUDGET_SECONDS, INSTALL_SECONDS = 15, 720, 420
GRADING_SECONDS = BUDGET_SECONDS - INSTALL_SECONDS - 60
RUNTIME = {"python": "3.11", "apt": ["bubblewrap"]}  # The runner's Python, and bubblewrap for the sandbox.
AUTOGRADER = Path(__file__).resolve().parent / "classroom50_autograder.py"  # The bundle's autograder.py, as it is.


@dataclass(frozen=True)
class Settings:
    """How `mnist-grade classroom50` grades: its wall-clock limit, its memory, the sandbox mode and the submission's
    limits (grader/engine/limits.py)."""

    timeout: float = GRADING_SECONDS
    memory_mb: int = 4096
    sandbox: str = "auto"
    within: Limits = field(default_factory=Limits)


class Classroom50Error(Exception):
    """The command cannot make a result here; the message says why and what to do."""


def identity(env):
    """The result's identity fields from the runner's environment `env`; Classroom50Error naming what is missing."""
    found = {field: env.get(variable, "").strip() for field, variable in IDENTITY.items()}
    found["review"] = found["review"] or found["commit"]
    missing = [IDENTITY[field] for field, value in found.items() if not value]
    if missing:
        raise Classroom50Error(_(
            "{names} not set: Classroom 50's runner sets them. To try the command elsewhere, set them yourself.",
            names=", ".join(missing)))
    if not found["submission"].startswith("submit/"):
        raise Classroom50Error(_("SUBMISSION_TAG is {tag}, not a submit/… tag as the runner sets it.",
                                 tag=found["submission"]))
    return {
        "schema": SCHEMA,
        **found,
        "owner": env.get("USERNAME") or env.get("OWNER") or env.get("GITHUB_ACTOR") or "unknown",  # The runner's.
        "assignment_type": env.get("ASSIGNMENT_TYPE") or "individual",  # Overwritten by the runner, too.
        "datetime": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),  # The runner's: the commit's.
    }


def graded_result(ident, grade):
    """result.json for a Grade: one row per check, whole points adding up to the score."""
    from grader.results import render

    tests = render.classroom50_tests(grade)
    return {**ident, "score": sum(test["score"] for test in tests),
            "max-score": sum(test["max-score"] for test in tests), "tests": tests}


def ungraded_result(ident, name, reason, max_score=0):
    """result.json without a grade: one failed row named `name` saying `reason`, 0 of `max_score` points (0 for a
    failure of the grader: the runner's error results are 0 of 0, which no gradebook takes for a real zero)."""
    return {**ident, "score": 0, "max-score": max_score,
            "tests": [{"test-name": name, "passed": False, "score": 0, "max-score": max_score, "message": reason}]}


def write(folder, result, body):
    """Write result.json and release-body.md into `folder`, each whole or not at all."""
    write_whole(Path(folder) / RESULT, json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    write_whole(Path(folder) / RELEASE_BODY, body)


def grade(path, settings):
    """Grade the submission folder `path` as a batch grades one student, in a process of its own, with `settings`
    (Settings), settled as every grading is. Return (the Grade or None, what the grading printed, why there is no
    grade)."""
    from grader.instructor import isolated

    isolation = isolated.settled(settings.timeout, settings.memory_mb, settings.within, sandbox=settings.sandbox,
                                 say=print)  # In the job's log.
    isolated.prepare(isolation, say=print)
    outcome = isolated.grade_in_checkout(path, isolation)
    reason = None if outcome.grade else (next((line for line in outcome.printed.splitlines() if line.strip()), "")
                                         or _("the grading ended without a grade"))
    return outcome.grade, outcome.printed, reason


def run(path: str, env: Mapping[str, str], settings: Settings | None = None, folder: str | Path = ".") -> int:
    """Grade `path` with `settings` (Settings) and write result.json and release-body.md into `folder`, for the
    runner's environment `env`.
    Return the exit code: 0 whenever a result was written (a grade, a missing submission or the grader's own
    failure), 2 when the runner's environment is missing and nothing was written."""
    from grader.results import render
    from grader.results.grade import Outcome

    try:
        ident = identity(env)
    except Classroom50Error as error:
        print(f"mnist-grade classroom50: {error}", file=sys.stderr)
        return 2
    title = _("MNIST course")
    if not has_step_files(path):
        reason = _("There are none of the six step files in {path}: commit your work in {path}, then push again.",
                   path=path)
        print(reason)
        full_marks = sum(map(points, STEPS))  # What the checks are worth, read from their points markers.
        write(folder, ungraded_result(ident, _("submission"), reason, full_marks), render.no_grade(title, reason))
        return 0
    folder = Path(folder).resolve()
    try:
        found, printed, reason = grade(path, settings or Settings())
        print(printed, end="")
        if found is not None and not any(check.outcome in (Outcome.PASSED, Outcome.FAILED) for check in found.checks):
            found, reason = None, _("the grading stopped before any check ended")  # Its time went on the grader.
        if found is not None:
            write(folder, graded_result(ident, found), render.markdown(found, title))
            return 0
    except Exception as error:  # The grader's failure, not the student's: it still gets a result that says so.
        reason = f"{type(error).__name__}: {error}"
    reason = _("The grader failed, not your work ({reason}). Tell your instructor, who can grade it again.",
               reason=reason)
    print(reason)
    write(folder, ungraded_result(ident, _("grader"), reason), render.no_grade(title, reason))
    return 0


def write_bundle(folder: str | Path, lang: str, path: str = "exercises", budget: float = BUDGET_SECONDS,
                 install: float = INSTALL_SECONDS) -> None:
    """Write Classroom 50's bundle into `folder`: autograder.py (classroom50_autograder.py, as it is) and its settings,
    autograder.json; source/ (the grader and requirements.txt, the versions of grader/constraints.txt); and
    runtime.json, the runtime block to give the assignment."""
    from grader.instructor.gradescope import CONSTRAINTS, GRADER_DIR
    from grader.instructor.templates import bundled

    folder = Path(folder)
    source = folder / "source"
    if source.exists():
        shutil.rmtree(source)  # Only what this grader has: no module of an older one is left behind.
    (source / "grader").mkdir(parents=True)
    for file in bundled(GRADER_DIR):  # Not `path`: the submission's, written into autograder.json below.
        (source / "grader" / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(GRADER_DIR / file, source / "grader" / file)
    shutil.copyfile(CONSTRAINTS, source / "requirements.txt")
    write_whole(folder / "autograder.json", json.dumps({"submission": path, "lang": lang, "budget": budget,
                                                        "install": install}, indent=1) + "\n")
    write_whole(folder / "autograder.py", AUTOGRADER.read_text(encoding="utf-8"), mode=0o755)
    write_whole(folder / "runtime.json", json.dumps(RUNTIME, indent=1) + "\n")
