"""mnist-grade: the autograder of the Keras MNIST course.

The package's face: `mnist-grade` (grader/cli.py, also `python -m grader`), and what a program or a notebook
imports from here: grade() and GradingOptions to grade a submission, check() and run_all() in a course notebook,
assert_step() in an nbgrader one.
The rest of the tree says where each part lives; each folder's docstring says what it owns.
"""

__version__ = "0.1.0"
__all__ = ["GradingOptions", "assert_step", "check", "grade", "run_all"]

PUBLIC = {"GradingOptions": "grader.engine.options", "grade": "grader.engine.grading",
          "check": "grader.student.jupyter", "run_all": "grader.student.jupyter",
          "assert_step": "grader.student.jupyter"}


def __getattr__(name):
    """Import what is asked for when it is asked for: `import grader` alone loads nothing else."""
    if name not in PUBLIC:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(PUBLIC[name]), name)
