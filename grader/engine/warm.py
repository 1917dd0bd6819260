"""What a fork server loads once, so that each grading forked from it starts warm (a batch's,
grader/instructor/gradings.py, and --watch's, grader/student/watch.py): the grader, pytest, Keras and MNIST."""

import gc

import pytest  # noqa: F401

import grader.engine.grading  # noqa: F401
import grader.engine.plugin  # noqa: F401
from grader.data import DataError, ensure
from grader.workers.host import preload

preload()  # What the workers use, Keras included: a grading forked from here forks its workers itself.
try:
    ensure(keep=True)  # The batch checked MNIST already; each grading then neither reads nor checks it again.
except DataError:
    pass  # Each grading says why.
gc.collect()
gc.freeze()  # What is loaded stays out of every grading's garbage collections, and its pages stay shared.
