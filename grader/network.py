"""The seed's network computed with numpy, in the grading process: 784 → Dense 512 relu → Dense 10 softmax.

The checks never trust what a worker says its model computes: they compute it again from the
weights the worker saved. The training set is prepared here too, as the seed program prepares it.
"""

import numpy as np

SHAPES = [(784, 512), (512,), (512, 10), (10,)]  # The weights and biases of the two Dense layers.
PARAMETERS = sum(int(np.prod(shape)) for shape in SHAPES)  # 407,050.
# How far a model's outputs may be from the seed network's computed here: 5 % of each probability, plus
# 1e-6. Float32 rounding on a CPU is about 1e-6 of it and TF32 matrix products on a GPU about 1e-3; a
# model that computes anything else is off by far more (tests/test_determinism.py).
RTOL, ATOL = 0.05, 1e-6


def describes_seed_network(model):
    """Whether a worker's description of a model (protocol.Model) is the seed's network."""
    return model is not None and model["inputs"] == [[None, 784]] and model["params"] == PARAMETERS and [
        (layer["class"], layer["units"], layer["activation"]) for layer in model["layers"]
    ] == [("Dense", 512, "relu"), ("Dense", 10, "softmax")]


def has_seed_shapes(weights):
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


def outputs_match(weights, probe, outputs):
    """Whether `outputs` are the seed network's with these weights on `probe`, within RTOL and ATOL."""
    if not has_seed_shapes(weights) or outputs is None:
        return False
    expected = probabilities(weights, probe)
    return outputs.shape == expected.shape and bool(np.all(np.abs(outputs - expected) <= RTOL * expected + ATOL))


def prepared_training_set(images, labels):
    """The training set as the seed prepares it: rows of 784 float32 values in [0, 1], one-hot float32 labels."""
    x_train = images.reshape((len(images), 28 * 28)).astype("float32")
    x_train /= 255  # The same values as astype("float32") / 255, in one array of 188 MB instead of two.
    y_train = np.eye(10, dtype="float32")[labels]
    return x_train, y_train


def accuracy_of(weights, images, labels):
    """The fraction of test images the trained network labels right."""
    x_test = images.reshape(len(images), 784).astype("float32") / 255
    return float(np.mean(np.argmax(logits(weights, x_test), axis=1) == labels))
