"""Step 4, build: the network from the seed, 784 inputs → Dense 512 relu → Dense 10 softmax.

A model is judged by the network it makes (network.units): activations given as arguments or as layers of
their own (Activation, ReLU, Softmax), in a Sequential, functional or subclassed model. Where its layers do
not say an activation (a subclassed model's call() applies it), what the model computes decides.
"""

import pytest

from grader.backend import reference as network
from grader.backend.reference import PARAMETERS
from grader.checks.expect import CheckFailed, facts, fail
from grader.course.i18n import _
from grader.results.grade import Failure
from grader.workers import protocol

STEP = "build"
NARROW_FLOATS = ("float16", "bfloat16", "float8")  # Dtypes narrower than the seed's float32 (float8_e4m3fn…).


def model_of(run):
    """The facts about the model build_model() returned; fails the check when it is not a model, when it computes
    in less than float32 (its outputs then differ from the seed network's by its rounding, and so does its
    training), or when its layers describe the seed's network but the model does not compute as that network does."""
    __tracebackhide__ = True
    found = facts(run)
    if found["model"] is None:
        fail(_("a Keras model"), found["returned"], _("build the model, then `return` it."))
    model = found["model"]
    narrow = sorted({layer.get("dtype") for layer in model["layers"]
                     if str(layer.get("dtype")).startswith(NARROW_FLOATS)})
    if narrow:
        fail(_("a network that computes in float32"), _("layers that compute in {dtype}", dtype=", ".join(narrow)),
             _("the seed's network computes in float32, Keras's default: remove dtype= from its layers, and any "
               "mixed precision."))
    if network.describes_seed_network(model) and not predicts_as_seed(run):
        raise CheckFailed(Failure(
            problem=_("build's model says it is Dense 512 relu → Dense 10 softmax, but its weights and outputs are "
                      "not those of that network"),
            help=_(("return the Keras model itself, and leave Keras as it is: do not change "
                "how it describes or runs models."))))
    return model


def predicts_as_seed(run, output=protocol.PROBE_OUTPUTS):
    """Whether the model's outputs on the probe images (as the program predicts, or with PROBE_TRAINING as it
    trains) are what its weights give through relu then softmax: the seed network's function."""
    return network.outputs_match(run.arrays(protocol.BUILT), run.given[protocol.PROBE], run.array(output))


def dense(run, index, name):
    """The first (0) or last (-1) Dense layer of the network the model makes, with the activation after it."""
    __tracebackhide__ = True
    found = [unit for unit in network.units(model_of(run)) if unit.kind == "Dense"]
    if len(found) < 2:
        count = _("{count} layer", count=1) if len(found) == 1 else _("{count} layers", count=len(found))
        fail(_("a {name} layer", name=name), count, _("the model needs two Dense layers."))
    return found[index]


def check_activation(run, unit, units, activation, help):
    """Fail unless `unit` has `units` units and is followed by `activation`: its layers say so, or they say none and
    the model computes the seed's function (a subclassed model's call() or keras.ops apply it)."""
    __tracebackhide__ = True
    applied = unit.activation == activation or (unit.activation in network.LINEAR and predicts_as_seed(run))
    if unit.units == units and applied:
        return
    got = unit.written
    if unit.activation in network.LINEAR and model_of(run)["form"] != "Sequential":  # Its code applies one.
        got = _("{layer}, in a model whose outputs are not those of relu then softmax", layer=got)
    fail(f'Dense({units}, activation="{activation}")', got, help)


@pytest.mark.points(4)
def test_model(run):
    """build returns a Keras model"""
    model_of(run)


@pytest.mark.points(4)
def test_inputs(run, record_property):
    """build makes a model that takes 784 inputs"""
    inputs = model_of(run)["inputs"]
    if any("input_shape" in warning for warning in facts(run).get("warnings") or []):  # Keras 3 warns; points stay.
        record_property("note", _("note: Keras 3 starts a model with keras.Input(shape=(784,)); input_shape= on a "
                                  "layer still works, with a warning"))
    first = next((unit for unit in network.units(model_of(run)) if unit.kind == "Dense"), None)
    if inputs is None and first and first.inputs == 784:  # A subclassed model, built for 784 inputs.
        return
    if inputs is None:
        fail(
            _("a model that takes 784 inputs"),
            _("a model with no input shape yet"),
            _("start the model with keras.Input(shape=(784,))."),
        )
    if inputs != [[None, 784]]:
        fail(
            _("inputs of shape (None, 784)"),
            ", ".join(str(tuple(i)) for i in inputs),
            _("each image arrives as one row of 784 values: keras.Input(shape=(784,))."),
        )


@pytest.mark.points(4)
def test_layers(run):
    """build stacks exactly two Dense layers"""
    model = model_of(run)
    found = network.units(model)
    if [unit.kind for unit in found] != ["Dense", "Dense"]:
        kinds = [layer["class"] for layer in model["layers"]]
        fail("Dense, Dense", ", ".join(kinds) or _("no layers"), layers_help(found))
    if predicts_as_seed(run) and not predicts_as_seed(run, protocol.PROBE_TRAINING):
        fail(_("a network that trains as it predicts"), _("a model whose outputs change while it trains"),
             _("dropout or noise in call() changes how the network trains, and the seed's network has none: "
               "remove it."))


def layers_help(found):
    """What to change in a network that is not two Dense layers, each with its activation."""
    others = [unit.kind for unit in found if unit.kind != "Dense"]
    if "Dropout" in others:
        return _("Dropout changes how the network trains, and the seed's network has none: remove it.")
    if len(found) > 2 and not others:
        return _("the seed's network has two Dense layers, 784 → 512 → 10: remove the others.")
    if others and len(found) - len(others) == 2:
        return _("the seed's network has two Dense layers, each with its activation, and nothing else: remove "
                 "{layers}.", layers=", ".join(dict.fromkeys(others)))
    return _("the seed's network has two Dense layers and nothing else.")


@pytest.mark.points(3)
def test_hidden(run):
    """build gives the first Dense layer 512 units and relu"""
    check_activation(run, dense(run, 0, _("first")), 512, "relu",
                     _("the hidden layer has 512 units; relu keeps positive values and zeroes the rest."))


@pytest.mark.points(3)
def test_output(run):
    """build gives the last Dense layer 10 units and softmax"""
    check_activation(run, dense(run, -1, _("last")), 10, "softmax",
                     _("one unit per digit; softmax turns them into 10 probabilities that add up to 1."))


@pytest.mark.points(2)
def test_parameters(run):
    """build's model has 407,050 parameters"""
    params = model_of(run)["params"]
    if params != PARAMETERS:
        fail(
            f"{PARAMETERS:,}",
            _("an unbuilt model") if params is None else f"{params:,}",
            _("784 × 512 + 512 weights and biases, then 512 × 10 + 10: check the layer sizes and inputs."),
        )
