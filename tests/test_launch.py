"""Each way of starting a grading's workers (handle.Launch: a new process, a fork, the sandbox) runs a step alike:
its report, what it saved, what it printed, its time limit and its end. Tested with a data step's worker, which imports
no Keras, so that each start costs a Python process, not Keras's import."""

import contextlib

import numpy as np
import pytest

from grader.workers import processes, protocol
from grader.workers.handle import Launch, Shared, Worker, place, start
from grader.workers.protocol import StepStatus

# A sandbox's host imports Keras before it forks (seconds each): the slow tier's.
LAUNCHES = [Launch.PROCESS, Launch.FORK,
            pytest.param(Launch.SANDBOX, marks=[pytest.mark.needs("sandbox"), pytest.mark.slow])]

RESHAPE = {
    StepStatus.OK: "def reshape_images(images):\n    return images.reshape(len(images), 784)\n",
    StepStatus.ERROR: "def reshape_images(images):\n    return images.reshape(1000, 784)\n",
    StepStatus.EXIT: "import sys\n\n\ndef reshape_images(images):\n    sys.exit(4)\n",
    StepStatus.CRASHED: "import os\n\n\ndef reshape_images(images):\n    print('shaping', flush=True)\n"
                        "    os._exit(3)\n",
    StepStatus.TIMEOUT: "def reshape_images(images):\n    while True:\n        pass\n",
}


def ran(launch, folder):
    """Reshape, with each of RESHAPE as its file, each in a worker of a grading of its own started as `launch`, all at
    once, with a time limit of 2 s: for each, (its Run, what it saved, its process's pid)."""
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    workers, closing = {}, contextlib.ExitStack()
    for status, code in RESHAPE.items():
        submission = folder / status / "submission"
        submission.mkdir(parents=True)
        (submission / "reshape.py").write_text(code)
        shared = Shared(submission, submission, sandboxed=launch == Launch.SANDBOX, scratch_mb=16, timeout=2)
        workers[status] = Worker(place(["reshape"], folder / status / "worker", shared, {protocol.IMAGES: images}),
                                 shared)
        closing.enter_context(start([workers[status]], launch))
    found = {}
    try:
        for status, worker in workers.items():
            run = worker.result("reshape")
            found[status] = run, run.array(protocol.OUTPUT), worker.process.pid
    finally:
        for worker in workers.values():
            worker.close()
        closing.close()
    return found


@pytest.mark.parametrize("launch", LAUNCHES)
def test_each_launch_runs_a_step_alike(launch, tmp_path):
    processes.become_subreaper()  # As a grading does: what a forked worker leaves comes back here.
    found = ran(launch, tmp_path)
    assert {status: run.status for status, (run, *_) in found.items()} == {status: status for status in RESHAPE}
    run, returned, _ = found[StepStatus.OK]
    assert returned.shape == (3, 784) and returned.tolist() == run.given[protocol.IMAGES].reshape(3, 784).tolist()
    assert "cannot reshape array of size 2352 into shape (1000,784)" in found[StepStatus.ERROR][0].facts["exception"]
    assert found[StepStatus.EXIT][0].facts["code"] == "4"
    crashed = found[StepStatus.CRASHED][0]
    assert (crashed.facts["ended"], crashed.printed) == ("exit code 3", "shaping\n")
    timeout = found[StepStatus.TIMEOUT][0]
    assert timeout.facts["limit"] == 2 and 2 <= timeout.seconds < 30
    assert [frame[0] for frame in timeout.facts["where"]] == ["reshape.py"]  # Where it hung: one of two lines.
    assert timeout.facts["where"][0][1:] in ([2, "reshape_images", "while True:"], [3, "reshape_images", "pass"])
    assert [status for status, (*_, pid) in found.items() if processes.running(pid)] == []  # The hung one too.
