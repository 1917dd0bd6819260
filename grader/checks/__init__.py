"""The graded checks: what a course author edits.

One test_<step>.py per step of grader/course/steps.toml: its STEP, and its checks, each with its points
(@pytest.mark.points) and, as its docstring, the label the student reads. expect.py has the helpers
that fail a check with "expected X, got Y" plus a help line; plugin.py runs the checks (options,
order, dependencies, the workers that run student code) and records each result into the Grade.
"""
