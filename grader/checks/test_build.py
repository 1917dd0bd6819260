"""Step 4, build: the network from the seed, 784 inputs → Dense 512 relu → Dense 10 softmax."""

import pytest

from grader import network, protocol
from grader.checks.expect import CheckFailed, facts, fail
from grader.grade import Failure
from grader.i18n import _
from grader.network import PARAMETERS

STEP = "build"


def model_of(run):
    """The facts about the model build_model() returned; fails the check when it is not a model, or
    when they describe the seed's network but the model does not compute as that network does."""
    __tracebackhide__ = True
    found = facts(run)
    if found["model"] is None:
        fail(_("a Keras model"), found["returned"], _("build the model, then `return` it."))
    if network.describes_seed_network(found["model"]) and not computes_as_described(run):
        raise CheckFailed(Failure(
            problem=_("build's model says it is Dense 512 relu → Dense 10 softmax, but its weights and outputs are "
                      "not those of that network"),
            help=_(("return the Keras model itself, and leave Keras as it is: do not change "
                "how it describes or runs models."))))
    return found["model"]


def computes_as_described(run):
    """Whether the model's outputs on the probe images are what its weights give through relu then softmax."""
    return network.outputs_match(
        run.arrays(protocol.BUILT), run.given[protocol.PROBE], run.array(protocol.PROBE_OUTPUTS)
    )


def layer(run, index, name):
    __tracebackhide__ = True
    layers = model_of(run)["layers"]
    if len(layers) < 2:
        count = _("{count} layer", count=1) if len(layers) == 1 else _("{count} layers", count=len(layers))
        fail(_("a {name} layer", name=name), count, _("the model needs two Dense layers."))
    return layers[index]


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
    kinds = [layer["class"] for layer in model_of(run)["layers"]]
    if kinds != ["Dense", "Dense"]:
        fail(
            "Dense, Dense",
            ", ".join(kinds) or _("no layers"),
            _("the seed's network has two Dense layers and nothing else."),
        )


@pytest.mark.points(3)
def test_hidden(run):
    """build gives the first Dense layer 512 units and relu"""
    found = layer(run, 0, _("first"))
    if (found["units"], found["activation"]) != (512, "relu"):
        fail(
            'Dense(512, activation="relu")',
            f'{found["class"]}({found["units"]}, activation="{found["activation"]}")',
            _("the hidden layer has 512 units; relu keeps positive values and zeroes the rest."),
        )


@pytest.mark.points(3)
def test_output(run):
    """build gives the last Dense layer 10 units and softmax"""
    found = layer(run, -1, _("last"))
    if (found["units"], found["activation"]) != (10, "softmax"):
        fail(
            'Dense(10, activation="softmax")',
            f'{found["class"]}({found["units"]}, activation="{found["activation"]}")',
            _("one unit per digit; softmax turns them into 10 probabilities that add up to 1."),
        )


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
