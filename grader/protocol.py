"""What the grading process and a worker exchange: both sides import their names and shapes from here.

The grading process writes each input as INPUTS/<name>.npy, then sends the worker a token on stdin
(and "go" before a gated step). The worker writes arrays in its scratch folder, WORKDIR/<name>.npy or
.npz and, as each step ends, one Report line on its stdout. The checks read a step's facts and arrays through its Run
(grader/sandbox.py), never the files themselves.
"""

from typing import TypedDict

# Inputs: arrays the grading process writes before the worker starts.
IMAGES = "images"  # The sample of training images reshape and normalize are given.
LABELS = "labels"  # The sample of labels one_hot is given.
PROBE = "probe"  # Random images the built model is run on, for build's checks.
TRAIN_IMAGES, TRAIN_LABELS = "train_images", "train_labels"  # The training set fit prepares.
INPUT_OF = {"reshape": IMAGES, "normalize": IMAGES, "one_hot": LABELS}  # What each array step is given.

# Outputs: arrays the worker writes.
OUTPUT = "output"  # What an array step returned (.npy).
INPUT_AFTER = "input_after"  # The array step's input, after the call (.npy).
BUILT = "built"  # The built model's weights (.npz).
PROBE_OUTPUTS = "probe_outputs"  # The built model's outputs on PROBE (.npy).
WEIGHTS = "weights"  # The weights of the model fit was given, after training (.npz).

GATED = {"fit"}  # Steps that wait for "go": a model trains only once build and compile passed.
GO = "go"


class Model(TypedDict):
    """A Keras model as the build checks read it."""

    inputs: list[list[int | None]] | None  # Shapes of its inputs: [[None, 784]].
    layers: list[dict]  # {"class": "Dense", "units": 512, "activation": "relu"}, input layers left out.
    params: int | None  # None while the model is not built.


class Compiled(TypedDict, total=False):
    """A model's compile settings as the compile checks read them."""

    compiled: bool
    optimizer: str  # The class name: "RMSprop".
    loss: str
    from_logits: bool
    metrics: list[str]


class History(TypedDict):
    """The History fit_model returned."""

    epochs: int | None
    epoch: list[int]
    steps: int | None  # Steps an epoch.
    of_model: bool  # Made by training the very model fit_model was given.


class Trained(TypedDict):
    """The model fit_model was given, after it returned."""

    iterations: int  # Training steps its optimizer took.
    recompiled: bool  # Whether its compile settings changed during fit_model.
    model: Model | None


class Facts(TypedDict, total=False):
    """One step's facts: "status" is "ok" when the student's code returned, and then the step's own keys.

    Otherwise status is one of not_attempted, missing, exit, error, stopped or grader_error, with
    step and when ("import" or "call"), and for an error the exception line and the student's frames.
    The grading process adds timeout, crashed and scratch_full itself, with limit or ended.
    """

    status: str
    returned: str  # The type name of what the function returned: "ndarray", "None", "Sequential".
    model: Model | None  # build.
    compiled: Compiled | None  # compile.
    same_model: bool  # compile returned the model it was given.
    history: History | None  # fit.
    trained: Trained  # fit.
    step: str
    when: str
    exception: str
    frames: list[list]  # [file, line, function, code] in the student's files.
    code: str  # The sys.exit code.
    limit: float
    ended: str


class Report(TypedDict):
    """One line on the worker's stdout."""

    token: str
    step: str
    facts: Facts
