"""The graded checks: what a course author edits.

One test_<step>.py per step of grader/course/steps.toml: its STEP, and its checks, each with its points
(@pytest.mark.points) and, as its docstring, the label the student reads. expect.py has the helpers
that fail a check with "expected X, got Y" plus a help line; conftest.py brings in the plugin that runs the checks
(grader/engine/plugin.py: order, dependencies, the workers that run student code) and records each result.

May import grader.course, grader.data, grader.backend, grader.results, grader.workers and grader.engine; nothing
imports the checks but pytest, which collects them.
"""
