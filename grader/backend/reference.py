"""The seed's network computed with numpy, in the grading process: 784 → Dense 512 relu → Dense 10 softmax.

The checks never trust what a worker says its model computes: they compute it again from the
weights the worker saved. A model's layers are read as the network they make (units()): a Dense
layer followed by an activation layer is one Dense layer with that activation, as Keras computes it.
The training set is prepared here too, as the seed program prepares it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

SHAPES = [(784, 512), (512,), (512, 10), (10,)]  # The weights and biases of the two Dense layers.
PARAMETERS = sum(int(np.prod(shape)) for shape in SHAPES)  # 407,050.
# How far a model's outputs may be from the seed network's computed here: 5 % of each probability, plus
# 1e-6. Float32 rounding on a CPU is about 1e-6 of it and TF32 matrix products on a GPU about 1e-3; a
# model that computes anything else is off by far more (tests/test_determinism.py).
RTOL, ATOL = 0.05, 1e-6


SEED_UNITS = [("Dense", 512, "relu"), ("Dense", 10, "softmax")]
ACTIVATION_LAYERS = ("Activation", "ReLU", "Softmax")  # Layers that only apply an activation.
NEUTRAL_LAYERS = ("Flatten", "Identity")  # Layers that leave a row of 784 values as it is.
LINEAR = (None, "linear")  # A Dense layer's activation when it is given none.


@dataclass(frozen=True)
class Unit:
    """A layer of the network a model makes: a Dense layer and the activation after it, or any other layer."""

    kind: str  # Its class: "Dense", "Dropout"…
    units: int | None
    activation: str | None  # What follows its weights: "relu", "linear"; for another layer, what it applies.
    written: str  # As the student wrote it: 'Dense(512), Activation("relu")'.
    inputs: int | None = None  # How many inputs a built Dense layer takes.


def units(model: Mapping[str, Any]) -> list[Unit]:
    """The layers of a worker's description of a model (protocol.Model) as the network they make, in order."""
    found: list[Unit] = []
    for layer in model["layers"]:
        kind = layer["class"]
        if kind in NEUTRAL_LAYERS:
            continue
        applies = applied(layer)
        last = found[-1] if found else None
        if kind in ACTIVATION_LAYERS and last and last.kind == "Dense" and last.activation in LINEAR:
            found[-1] = Unit("Dense", last.units, applies, f"{last.written}, {written(layer)}", last.inputs)
        else:
            found.append(Unit(kind, layer.get("units"), applies, written(layer), layer.get("inputs")))
    return chained(found)


def applied(layer):
    """The activation a layer applies, by name ("relu"); an activation layer's own form when its settings change
    it (ReLU(negative_slope=0.1) is not relu)."""
    kind, settings = layer["class"], layer.get("settings") or {}
    if kind == "Activation":
        return settings.get("activation") or layer.get("activation")
    if kind == "ReLU":
        plain = settings.get("max_value") is None and not settings.get("negative_slope") and not settings.get(
            "threshold")
        return "relu" if plain else written(layer)
    if kind == "Softmax":
        return "softmax" if settings.get("axis", -1) in (-1, 1) else written(layer)
    return layer.get("activation")


def written(layer):
    """A layer as the student wrote it, near enough: Dense(512, activation="relu"), ReLU(), Dropout(0.5)."""
    kind, settings = layer["class"], layer.get("settings") or {}
    if kind == "Dense":
        activation = layer.get("activation")
        return (f"Dense({layer.get('units')})" if activation in LINEAR
                else f'Dense({layer.get("units")}, activation="{activation}")')
    if kind == "Activation":
        return f'Activation("{applied(layer)}")'
    if kind == "Dropout" and isinstance(settings.get("rate"), (int, float)):
        return f"Dropout({settings['rate']:g})"
    defaults = {"max_value": None, "negative_slope": 0.0, "threshold": 0.0, "axis": -1}
    changed = [f"{key}={value!r}" for key, value in settings.items() if key in defaults and value != defaults[key]]
    return f"{kind}({', '.join(changed)})"


def chained(found):
    """Dense layers in the order their sizes chain, 784 → … (a subclassed model lists its layers as they were
    made, not as they are called); any other order as it is."""
    if not found or any(unit.kind != "Dense" or unit.inputs is None for unit in found):
        return found
    ordered, size, left = [], 784, list(found)
    while left:
        following = [unit for unit in left if unit.inputs == size]
        if len(following) != 1:
            return found
        ordered.append(following[0])
        left.remove(following[0])
        size = following[0].units
    return ordered


def describes_seed_network(model: Mapping[str, Any] | None) -> bool:
    """Whether a worker's description of a model (protocol.Model) says it is the seed's network: its layers, read as
    units(), and its parameters (a subclassed model says no input shape: its first kernel's 784 rows do)."""
    return model is not None and model["params"] == PARAMETERS and [
        (unit.kind, unit.units, unit.activation) for unit in units(model)] == SEED_UNITS


def in_seed_order(weights: Sequence[np.ndarray] | None) -> Sequence[np.ndarray] | None:
    """The seed network's weights in the order of SHAPES, when `weights` are those arrays in another order."""
    if weights is None or len(weights) != len(SHAPES):
        return weights
    by_shape = {tuple(w.shape): w for w in weights}
    return [by_shape[shape] for shape in SHAPES] if sorted(by_shape) == sorted(SHAPES) else weights


def has_seed_shapes(weights: Sequence[np.ndarray] | None) -> bool:
    return weights is not None and [w.shape for w in weights] == SHAPES


def logits(weights, images):
    """relu(x W1 + b1) W2 + b2, in float64 so that the grader adds no rounding of its own."""
    w1, b1, w2, b2 = (np.asarray(w, dtype=np.float64) for w in weights)
    hidden = np.maximum(np.asarray(images, dtype=np.float64) @ w1 + b1, 0)
    return hidden @ w2 + b2


def probabilities(weights, images):
    """The softmax of the logits: what the seed network outputs."""
    found = logits(weights, images)
    found = np.exp(found - found.max(axis=1, keepdims=True))
    return found / found.sum(axis=1, keepdims=True)


def outputs_match(weights: Sequence[np.ndarray] | None, probe: np.ndarray, outputs: np.ndarray | None) -> bool:
    """Whether `outputs` are the seed network's with these weights (in any order) on `probe`, within RTOL and ATOL."""
    weights = in_seed_order(weights)
    if not has_seed_shapes(weights) or outputs is None:
        return False
    expected = probabilities(weights, probe)
    return outputs.shape == expected.shape and bool(np.all(np.abs(outputs - expected) <= RTOL * expected + ATOL))


def prepared_training_set(images: NDArray[np.uint8], labels: NDArray[np.uint8]
                          ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The training set as the seed prepares it: rows of 784 float32 values in [0, 1], one-hot float32 labels."""
    x_train = images.reshape((len(images), 28 * 28)).astype("float32")
    x_train /= 255  # The same values as astype("float32") / 255, in one array of 188 MB instead of two.
    y_train = np.eye(10, dtype="float32")[labels]
    return x_train, y_train


def prepared_test_images(images: NDArray[np.uint8]) -> NDArray[np.float64]:
    """MNIST's test `images` as the seed's program gives them to the model (astype("float32") / 255), in float64 for
    logits(): a grading makes them while fit trains, so that accuracy_of has only the network to compute."""
    return np.asarray(images.reshape(len(images), 784).astype("float32") / 255, dtype=np.float64)


def accuracy_of(weights: Sequence[np.ndarray], inputs: NDArray[np.float64], labels: NDArray[np.uint8],
                chunk: int = 2000) -> float:
    """The fraction of `inputs` (prepared_test_images()) the trained network labels right. In chunks of `chunk` rows:
    the same labels, in a fifth of the memory, which a first run spends as much time faulting in as computing."""
    weights = [np.asarray(w, dtype=np.float64) for w in weights]
    right = 0
    for start in range(0, len(inputs), chunk):
        found = np.argmax(logits(weights, inputs[start:start + chunk]), axis=1)
        right += int(np.sum(found == labels[start:start + chunk]))
    return right / len(inputs)
