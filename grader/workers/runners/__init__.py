"""How a worker runs each step's code: one runner per step, registered with @runs beside it, in the modules of
this package (arrays.py: reshape, normalize, one_hot; model.py: build, compile, fit).

A runner is called as runner(step, folder, workdir, state): `step` the course's Step, `folder` the copy of the
submission, `workdir` the worker's scratch folder (where it saves arrays), `state` what the worker's earlier steps
left (the model) and "inputs", the folder of its inputs. It returns the step's facts (protocol.Facts).
`inputs` names what the grading process writes for it besides a step's own input (steps.toml's `input`).
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from grader.workers import protocol

RUNNERS: dict[str, "Runner"] = {}  # By step name, as @runs registers them.
RunnerFunction = TypeVar("RunnerFunction", bound=Callable[..., protocol.Facts])  # runner(step, folder, workdir, state).


@dataclass(frozen=True)
class Runner:
    """A step's runner and the inputs (protocol's names) it reads besides its step's own."""

    run: Callable[..., protocol.Facts]
    inputs: tuple = ()


def runs(*steps: str, inputs: Iterable[str] = ()) -> Callable[[RunnerFunction], RunnerFunction]:
    """Register the decorated function as the runner of `steps`, reading `inputs` too."""

    def register(function: RunnerFunction) -> RunnerFunction:
        for step in steps:
            RUNNERS[step] = Runner(function, tuple(inputs))
        return function

    return register


def runner(step: str) -> Runner:
    """The Runner of `step`; every module of this package registers its own when first asked."""
    if not RUNNERS:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
    return RUNNERS[step]
