"""Same submission, same grade: no verdict depends on a random draw, or on float noise of the size a GPU's
TF32 matrix products or another CPU's rounding make."""

import csv
import shutil

import numpy as np
import pytest
from conftest import SOLUTIONS, mnist_grade
from variants import WRONG

from grader.backend.reference import SHAPES, accuracy_of, logits, outputs_match, prepared_test_images
from grader.engine.workers import PROBE_SIZE


def glorot(rng, scale):
    """Weights as Keras initializes Dense layers (Glorot uniform, zero biases), times `scale`: at 4 they are as
    large as after training, and the logits spread wider."""
    weights = []
    for shape in SHAPES:
        if len(shape) == 2:
            limit = np.sqrt(6 / sum(shape))
            weights.append(scale * rng.uniform(-limit, limit, shape).astype(np.float32))
        else:
            weights.append(scale * rng.normal(0, 0.05, shape).astype(np.float32))
    return weights


def tf32(array):
    """`array` rounded as a TF32 matrix product reads its float32 inputs: 10 bits of mantissa, not 23."""
    bits = np.asarray(array, dtype=np.float32).view(np.uint32)
    return ((bits + np.uint32(1 << 12)) & np.uint32(0xFFFFE000)).view(np.float32)


def softmax(logits):
    found = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (found / found.sum(axis=1, keepdims=True)).astype(np.float32)


def forward(weights, probe, hidden=lambda x: np.maximum(x, 0), output=softmax, cast=lambda x: x):
    """A model's outputs in float32 as a framework computes them, with its own activations and input rounding."""
    w1, b1, w2, b2 = (cast(w) for w in weights)
    return output(cast(hidden(cast(probe) @ w1 + b1)) @ w2 + b2)


@pytest.fixture(params=[1, 4], ids=["initialized", "trained-size"])
def case(request):
    rng = np.random.default_rng(request.param)
    return glorot(rng, request.param), rng.random((PROBE_SIZE, 784), dtype=np.float32)


def test_the_seed_network_in_float32_passes(case):
    weights, probe = case
    assert outputs_match(weights, probe, forward(weights, probe))


def test_outputs_off_by_1e_3_relative_pass(case):
    weights, probe = case
    outputs = forward(weights, probe)
    noise = np.random.default_rng(0).uniform(-1e-3, 1e-3, outputs.shape).astype(np.float32)
    assert outputs_match(weights, probe, outputs * (1 + noise))


def test_tf32_matrix_products_pass(case):
    """A GPU's TF32: every matrix product's inputs rounded to 10 bits of mantissa."""
    weights, probe = case
    assert outputs_match(weights, probe, forward(weights, probe, cast=tf32))


@pytest.mark.parametrize("impostor", [
    "no relu", "sigmoid, not relu", "sigmoid, not softmax", "softmax of twice the logits", "another model's weights",
    "no hidden biases",
])
def test_a_model_that_is_not_the_seed_network_fails(case, impostor):
    weights, probe = case
    w1, b1, w2, b2 = weights
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    outputs = {
        "no relu": lambda: forward(weights, probe, hidden=lambda x: x),
        "sigmoid, not relu": lambda: forward(weights, probe, hidden=sigmoid),
        "sigmoid, not softmax": lambda: forward(weights, probe, output=lambda x: sigmoid(x).astype(np.float32)),
        "softmax of twice the logits": lambda: forward(weights, probe, output=lambda x: softmax(2 * x)),
        "another model's weights": lambda: forward(glorot(np.random.default_rng(99), 1), probe),
        "no hidden biases": lambda: forward([w1, 0 * b1, w2, b2], probe),
    }[impostor]()
    assert not outputs_match(weights, probe, outputs)


def test_wrong_shapes_or_no_outputs_fail(case):
    weights, probe = case
    assert not outputs_match(weights[:2], probe, forward(weights, probe))
    assert not outputs_match(weights, probe, None)
    assert not outputs_match(weights, probe, forward(weights, probe)[:, :9])


def test_the_accuracy_check_counts_each_test_image_once_in_its_chunks(case):
    """accuracy_of computes 2,000 images at a time (the last chunk here is 1,001): the fraction is the one computed
    at once, on the images as the seed scales them."""
    weights, _ = case
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (5001, 28, 28), dtype=np.uint8)
    inputs = prepared_test_images(images)
    assert inputs.dtype == np.float64
    assert np.array_equal(inputs, images.reshape(5001, 784).astype("float32") / 255)
    predicted = np.argmax(logits(weights, inputs), axis=1)
    labels = np.where(rng.random(5001) < 0.3, (predicted + 1) % 10, predicted)  # About 30 % labelled wrong.
    expected = np.mean(labels == predicted)
    assert 0.6 < expected < 0.8
    assert accuracy_of(weights, inputs, labels) == expected
    assert accuracy_of(weights, inputs, labels, chunk=len(inputs)) == expected


@pytest.mark.long
@pytest.mark.slow
def test_two_gradings_of_a_submission_give_the_same_points(tmp_path):
    """The solutions, a submission that trains too little and one wrong in several steps, each graded twice (in one
    batch, two at a time, so that each is graded beside another): every check's points are the same each time."""
    mixed = {**WRONG["normalize_float64"][1], **WRONG["build_sigmoid_output"][1]}
    submissions = {"solutions": {}, "one_epoch": WRONG["fit_one_epoch"][1], "mixed": mixed}
    class_ = tmp_path / "class"
    for name, files in submissions.items():
        for copy in range(2):
            folder = class_ / f"{name}-{copy}"
            shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("__pycache__", "__*__.py"))
            for step, code in files.items():
                (folder / f"{step}.py").write_text(code)
    run = mnist_grade("batch", str(class_), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    with open(tmp_path / "out" / "grades.csv", encoding="utf-8-sig") as file:
        rows = {row.pop("student"): row for row in csv.DictReader(file)}
    points = {name: [rows[f"{name}-{copy}"] for copy in range(2)] for name in submissions}
    expected = {
        "solutions": ["10", "10", "10", "20", "15", "15", "20", "100"],
        "one_epoch": ["10", "10", "10", "20", "15", "10", "0", "75"],
        "mixed": ["10", "7", "10", "17", "0", "0", "0", "44"],  # Compile, fit and accuracy wait for build.
    }
    for name, copies in points.items():
        assert copies[0] == copies[1], (name, copies)
        assert list(copies[0].values())[:8] == expected[name], (name, copies[0])
