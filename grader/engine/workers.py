"""One grading's workers, as the checks' fixtures use them: the grading's folder, what each worker is given, and
each step's Run once its worker has reported it.

The grading's folder holds the submission's Python files, copied once (limits.copy_modules), and one folder per
worker, with a name no other worker can list (the grading's folder is not readable). The steps each worker runs
come from steps.toml (steps.worker_groups), the inputs each is given from its step's `input` and its runners'
(grader/workers/runners/).
"""

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.course.i18n import _
from grader.course.steps import SEED, STEPS, worker_groups
from grader.engine import limits
from grader.engine.options import GradingOptions
from grader.results import terminal
from grader.workers import protocol
from grader.workers.handle import Shared, Worker, place, shared_input, start, stop_escaped
from grader.workers.processes import become_subreaper
from grader.workers.runners import runner

PROBE_SIZE = 32


def grading_folder(options: GradingOptions) -> Path:
    """A new grading's folder, with the submission's Python files copied into submission/; limits.TooLarge past a
    limit (nothing is left then)."""
    base = Path(tempfile.mkdtemp(prefix="mnist-grading-"))
    base.chmod(0o711)
    try:
        limits.copy_modules(options.submission, base / "submission", options.limits)
    except limits.TooLarge:
        shutil.rmtree(base, ignore_errors=True)
        raise
    become_subreaper()  # Processes student code leaves behind come back to this one, to be stopped.
    return base


class StepRuns:
    """The workers of the steps `wanted` in `session` (a plugin Session), started together on entering, the one
    that trains first; result(step) is that step's Run. Leaving stops them and whatever they left running."""

    def __init__(self, session, sample, program_inputs, wanted):
        self.session, self.base = session, session.base
        self.inputs = WorkerInputs(sample, program_inputs, self.base / "inputs")
        options = session.options
        self.shared = Shared(self.base / "submission", options.named_folder, options.named_notebook, options.device,
                             options.sandboxed, options.limits.scratch_mb, options.step_timeout,
                             time.monotonic() + options.time_budget if options.time_budget else None)
        self.groups = [group for group in worker_groups() if set(wanted) & set(group)]
        self.tested = "accuracy" in wanted  # The trained model is tested: its test set is made while it trains.
        self.workers, self.closing = {}, None

    def __enter__(self):
        for group in self.groups:
            # The worker that trains is the longest: the others, short, yield the processor to it.
            niceness = 0 if any(STEPS[step].trains for step in group) else 10
            root = Path(tempfile.mkdtemp(dir=self.base))
            worker = Worker(place(group, root, self.shared, self.inputs.of(group), niceness), self.shared)
            self.workers.update(dict.fromkeys(group, worker))
        self.closing = start(list(dict.fromkeys(self.workers.values())), self.session.options.workers_start,
                             self.session.prestarted)
        return self

    def __exit__(self, *exc):
        for worker in set(self.workers.values()):
            worker.close()
        if self.closing is not None:
            self.closing.close()  # Their sandbox, with what they wrote in it.
        stop_escaped()

    def result(self, step):
        """The Run of `step`; while a step that trains runs, a bar shows its epochs on a terminal."""
        session = self.session
        if not STEPS[step].trains:
            return self.workers[step].result(step, slow=self.still_running)
        meanwhile = session.test_images if self.tested else None
        with terminal.training(session.config, session.streaming()) as watch:
            return self.workers[step].result(step, watch, meanwhile=meanwhile)

    def still_running(self, step, seconds, limit):
        """Say that a step is still running; on a terminal only: a log read later needs no notice."""
        if self.session.streaming() and terminal.live():
            self.session.say(_("  {step} is still running after {seconds} s (it is stopped at {limit} s)…",
                               step=step, seconds=seconds, limit=f"{limit:g}"))


class WorkerInputs:
    """The arrays a worker is given. The data steps get the sample and the program's inputs; build the probe
    images, drawn from the seed, so that every grading checks the same outputs; fit the training set. What several
    workers get is written once, in `shared`, as it is first needed."""

    def __init__(self, sample, program_inputs, shared):
        self.sample, self.program_inputs, self.shared, self.written = sample, program_inputs, shared, {}

    def of(self, group):
        """The inputs of a worker running the steps `group`, by name (protocol's)."""
        found = {}
        for step in group:
            name = STEPS[step].input
            if name:
                found[name] = self.sample[name == protocol.LABELS]
                found.update({protocol.sized(name, size): self.program(name, size) for size in protocol.SIZES})
            for name in runner(step).inputs:
                found[name] = self.named(name)
        return found

    def named(self, name):
        """An input a runner reads besides its step's own: the probe images, or the training set."""
        if name == protocol.PROBE:
            return np.random.default_rng(SEED).random((PROBE_SIZE, 784), dtype=np.float32)
        train = {protocol.TRAIN_IMAGES: protocol.IMAGES, protocol.TRAIN_LABELS: protocol.LABELS}
        return self.program(train[name], "train")  # Mapped by fit's worker, rather than loaded again.

    def program(self, name, size):
        """The program's input `name` (IMAGES or LABELS) of `size`, written once as a file all workers link."""
        key = protocol.sized(name, size)
        if key not in self.written:
            self.shared.mkdir(exist_ok=True)
            self.written[key] = shared_input(self.shared, key, self.program_inputs[size][name == protocol.LABELS])
        return self.written[key]
