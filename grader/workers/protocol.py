"""What the grading process and a worker exchange: both sides import their names and shapes from here.

The grading process writes each input as INPUTS/<name>.npy, then sends the worker a token on stdin
(and "go" before a gated step). The worker writes arrays in its scratch folder, WORKDIR/<name>.npy or
.npz and, as each step ends, one Report line on its stdout. The checks read a step's facts and arrays through its Run
(grader/workers/handle.py), never the files themselves.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict

from grader.course.steps import STEPS

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Inputs: arrays the grading process writes before the worker starts.
IMAGES = "images"  # The sample of training images reshape and normalize are given.
LABELS = "labels"  # The sample of labels one_hot is given.
PROBE = "probe"  # Random images the built model is run on, for build's checks.
TRAIN_IMAGES, TRAIN_LABELS = "train_images", "train_labels"  # The training set fit prepares.
INPUT_OF = {step.name: step.input for step in STEPS.values() if step.input}  # What each data step is given.
# The program's data: after the sample, each array step is given what `python -m exercises` gives it, the
# training set and the test set, and a single image (or label): INPUTS/images_train.npy, and so on.
SIZES = ("train", "test", "one")


def sized(name: str, size: str) -> str:
    """The name of the input `name` (IMAGES or LABELS) of size `size`, and of what the step returned for it."""
    return f"{name}_{size}"


def kept_rows(count: int) -> NDArray[np.int64]:
    """The rows of an output of `count` rows the worker saves, and the checks compare: first, last, and up to
    512 evenly spaced between (what the program's 60,000 images give would not fit in a scratch folder)."""
    import numpy as np

    return np.unique(np.linspace(0, count - 1, min(count, 512)).astype(np.int64))


# Outputs: arrays the worker writes.
OUTPUT = "output"  # What an array step returned (.npy).
INPUT_AFTER = "input_after"  # The array step's input, after the call (.npy).
BUILT = "built"  # The built model's weights (.npz).
PROBE_OUTPUTS = "probe_outputs"  # The built model's outputs on PROBE (.npy).
PROBE_TRAINING = "probe_training"  # Its outputs on PROBE when training (training=True: Dropout shows).
WEIGHTS = "weights"  # The weights of the model fit was given, after training (.npz).

READY = "ready"  # A worker's first report, as its own imports (Keras's) are done and before any student code runs:
# the first step's time counts from it, so that a worker slow to start on a busy machine costs the student nothing.
GATED = {step.name for step in STEPS.values() if step.trains}  # Steps that wait for "go": a model trains only
# once build and compile passed.
GO = "go"


class Model(TypedDict):
    """A Keras model as the build checks read it."""

    inputs: list[list[int | None]] | None  # Shapes of its inputs: [[None, 784]].
    # {"class": "Dense", "units": 512, "activation": "relu", "inputs": 784, "settings": {}, "dtype": "float32"}, input
    # layers left out; settings are those of an activation layer (ReLU's negative_slope, Softmax's axis, Dropout's
    # rate); dtype is the one it computes in ("float16" with mixed_float16).
    layers: list[dict]
    params: int | None  # None while the model is not built.
    form: str  # "Sequential", "functional" (keras.Model(inputs, outputs)) or "subclassed".


class Compiled(TypedDict, total=False):
    """A model's compile settings as the compile checks read them."""

    compiled: bool
    optimizer: str  # The class name: "RMSprop".
    optimizer_settings: dict  # Its get_config(), name left out; a learning-rate schedule as its class name.
    loss: str
    from_logits: bool
    loss_settings: dict  # A loss object's label_smoothing, reduction and axis; {} for a name or a function.
    loss_weights: object
    metrics: list[str]  # metrics and weighted_metrics.


class History(TypedDict):
    """The History fit_model returned."""

    epochs: int | None
    epoch: list[int]
    steps: int | None  # Steps an epoch.
    of_model: bool  # Made by training the very model fit_model was given.
    # How fit_model called the model's fit, each time: {"images": 60000, "validation_split": 0.0,
    # "class_weight": False, "sample_weight": False}.
    calls: list[dict]


class Trained(TypedDict):
    """The model fit_model was given, after it returned."""

    iterations: int  # Training steps its optimizer took.
    recompiled: bool  # Whether its compile settings changed during fit_model.
    model: Model | None


class Answer(TypedDict):
    """What an array step returned for one of the program's inputs (SIZES): OUTPUT_size.npy holds its kept rows."""

    size: str  # "train", "test" or "one".
    count: int  # The number of images or labels it was given.
    returned: str
    shape: list[int] | None  # None when it returned no array.
    dtype: str | None


class StepStatus(StrEnum):
    """How one step's code ended, as its facts say ("status"); what a student reads for each is in
    grader/engine/problems.py."""

    OK = "ok"  # It returned: the facts hold the step's own keys.
    # The worker reports these, with step and when ("import" or "call"):
    NOT_ATTEMPTED = "not_attempted"  # The stub's NotImplementedError.
    MISSING = "missing"  # No function of the step's name.
    EXIT = "exit"  # sys.exit(code).
    CHANGED = "changed"  # A global setting of Keras (grader/backend/config.py): setting, value, was.
    ERROR = "error"  # An exception: its line, the student's frames.
    STOPPED = "stopped"  # The grading process stopped the worker.
    GRADER_ERROR = "grader_error"  # The grader's own: exception.
    # The grading process adds these itself, with limit or ended:
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # The process ended before the code returned.
    SCRATCH_FULL = "scratch_full"  # More than --max-scratch written.


class Facts(TypedDict, total=False):
    """One step's facts: a StepStatus, then the step's own keys (OK) or what went wrong (the others), as
    StepStatus says; for an error the exception line and the student's frames."""

    status: StepStatus
    returned: str  # The type name of what the function returned: "ndarray", "None", "Sequential".
    answers: list[Answer]  # An array step's, for the program's inputs, after the sample's (OUTPUT.npy).
    model: Model | None  # build.
    warnings: list[str]  # build: what Keras warned of while the code ran (the first 10, each cut at 300 characters).
    compiled: Compiled | None  # compile.
    same_model: bool  # compile returned the model it was given.
    history: History | None  # fit.
    trained: Trained  # fit.
    step: str
    when: str
    given: str  # The input an array step's code failed on, when not the sample: "train", "test" or "one";
    count: int  # and how many images or labels it holds.
    exception: str
    frames: list[list]  # [file, line, function, code] in the student's files.
    name: str  # A NameError's undefined name,
    suggestion: str | None  # and the closest name the code could see there (a typo's fix), if any.
    code: str  # The sys.exit code.
    setting: str  # changed: the setting, by its getter's name in keras.config ("dtype_policy"),
    value: object  # what the code set it to ("mixed_float16"),
    was: object  # and what it was.
    limit: float
    ended: str


class Report(TypedDict):
    """One line on the worker's stdout."""

    token: str
    step: str
    facts: Facts
