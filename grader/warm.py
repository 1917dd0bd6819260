"""What a batch's fork server imports once, so that each grading forked from it starts warm (grader/gradings.py)."""

import numpy  # noqa: F401
import pytest  # noqa: F401

import grader.checks.plugin  # noqa: F401
import grader.cli  # noqa: F401
import grader.network  # noqa: F401
import grader.submission  # noqa: F401
import grader.worker  # noqa: F401
from grader.runtime import import_keras

import_keras()
