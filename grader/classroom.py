"""GitHub Classroom: `mnist-grade classroom [PATH]` grades PATH and hands the points to Classroom.

.github/workflows/classroom.yml runs it on every push. It prints the usual report (students read
it in the Actions log) and writes the grade as the step output `result`, in the format of
classroom-resources/autograding-grading-reporter: base64 of {"version": 1, "status", "max_score",
"tests": [{"name", "status", "score", "message", ...}]}. The reporter adds up the tests' scores
and shows "Points 30/100", which is what Classroom records.
"""

import base64
import json
import os
import sys
import tempfile
from pathlib import Path


def reporter_result(results):
    """Gradescope's results.json as one runner's result for Classroom's grading reporter."""
    max_score = sum(test["max_score"] for test in results["tests"])
    tests = [
        {
            "name": test["name"],
            "status": "pass" if test["status"] == "passed" else "fail",
            "score": test["score"],
            "message": test["output"],
            "test_code": "",
            "filename": "",
            "line_no": 0,
            "duration": 0,
        }
        for test in results["tests"]
    ]
    return {"version": 1, "status": "pass" if results["score"] == max_score else "fail", "max_score": max_score, "tests": tests}


def encoded(result):
    return base64.b64encode(json.dumps(result).encode()).decode()


def classroom(path, grade):
    """Grade `path` with grade(path, json_file) (mnist-grade's exit code); write the reporter's result to
    $GITHUB_OUTPUT, or print it when that is not set. Exit 0 once graded, whatever the score: the
    reporter turns the run red when points are missing."""
    with tempfile.TemporaryDirectory(prefix="mnist-classroom-") as scratch:
        results = Path(scratch) / "results.json"
        code = grade(path, results)
        if code not in (0, 1) or not results.exists():
            return code or 2
        line = f"result={encoded(reporter_result(json.loads(results.read_text())))}\n"
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a") as file:
            file.write(line)
    else:
        sys.stdout.write(line)
    return 0
