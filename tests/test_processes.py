"""Process trees: what a grading stops when student code is done, even while other processes come and go."""

import subprocess
import sys
import time

import psutil
import pytest

from grader.workers.processes import kill_tree, tree

# A child that starts a grandchild, says its pid, and waits.
PARENT = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def family():
    """A process (started here) and its own child: (the Popen, the grandchild's pid)."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    grandchild = int(parent.stdout.readline())
    yield parent, grandchild
    kill_tree(parent)


def cut_short(self, recursive=False):
    """What psutil raises when a /proc/PID/stat it reads for children() comes back cut short."""
    raise IndexError("list index out of range")


def test_a_tree_is_the_process_then_its_descendants(family):
    parent, grandchild = family
    assert [process.pid for process in tree(parent.pid)] == [parent.pid, grandchild]
    assert tree(2**22 + 1) == []  # Above Linux's highest pid: no such process.


def test_a_process_read_cut_short_still_finds_the_whole_tree(family, monkeypatch):
    """psutil reads every process at once; one exiting meanwhile made it raise IndexError, and a batch crash."""
    parent, grandchild = family
    monkeypatch.setattr(psutil.Process, "children", cut_short)
    assert [process.pid for process in tree(parent.pid)] == [parent.pid, grandchild]
    kill_tree(parent)
    assert parent.returncode is not None
    deadline = time.monotonic() + 10
    while psutil.pid_exists(grandchild) and psutil.Process(grandchild).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the grandchild was not stopped"
        time.sleep(0.05)
