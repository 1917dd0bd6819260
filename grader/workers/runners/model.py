"""The runners of the model's steps, which build on each other in one worker (one import of Keras): build,
compile and fit; and how a model, its compile settings and its training are described as facts (protocol.Model,
protocol.Compiled, protocol.History)."""

from grader.backend.runtime import import_keras
from grader.course.steps import SEED
from grader.workers import protocol
from grader.workers.runners import runs
from grader.workers.student_code import call, type_name, wait_for_go


@runs("build", inputs=(protocol.PROBE,))
def build_step(step, folder, workdir, state):
    import warnings

    keras = import_keras()
    keras.utils.set_random_seed(SEED)
    with warnings.catch_warnings(record=True) as warned:  # What Keras warns about teaches (grader/checks).
        warnings.simplefilter("always")
        model = state["model"] = call(folder, step)
    save_probe_outputs(model, state["inputs"], workdir)  # First: a subclassed model makes its weights when called.
    return {"returned": type_name(model), "model": describe_model(model),
            "warnings": [str(warning.message)[:300] for warning in warned[:10]]}


def save_probe_outputs(model, inputs, workdir):
    """Save the built model's weights and its outputs on the probe images, as the program predicts and as it trains
    (built.npz, probe_outputs.npy, probe_training.npy): the grading process computes them again from the weights, so
    a network that computes something else shows, whatever its layers say. As training, only a model whose
    weights are the seed network's is run: one with more weights (BatchNormalization) might change them."""
    import keras
    import numpy as np

    probe = inputs / f"{protocol.PROBE}.npy"
    if not isinstance(model, keras.Model) or not model.built or not probe.exists():
        return
    try:
        from grader.backend.reference import SHAPES

        images = np.load(probe)
        outputs = np.asarray(model(images, training=False))
        weights = model.get_weights()
        np.savez(workdir / f"{protocol.BUILT}.npz", *weights)
        np.save(workdir / f"{protocol.PROBE_OUTPUTS}.npy", outputs)
        if sorted(w.shape for w in weights) == sorted(SHAPES):
            np.save(workdir / f"{protocol.PROBE_TRAINING}.npy", np.asarray(model(images, training=True)))
    except Exception:
        pass  # A model that cannot run on 784 inputs; build's checks say what is wrong with it.


@runs("compile")
def compile_step(step, folder, workdir, state):
    returned = state["compiled"] = call(folder, step, state["model"])
    return {"returned": type_name(returned), "compiled": describe_compiled(returned),
            "same_model": returned is state["model"]}  # The program goes on with what compile returns.


@runs("fit", inputs=(protocol.TRAIN_IMAGES, protocol.TRAIN_LABELS))
def fit_step(step, folder, workdir, state):
    """Train the compiled model on the training set the grading process wrote, prepared as the course does.

    The facts are those of the model fit_model was given, which the program goes on to test, whatever
    History it returns: its training steps, its compile settings after training and its weights.
    """
    import numpy as np

    from grader.backend.reference import prepared_training_set

    keras = import_keras()
    # Mapped, not loaded again: the grading process wrote these pages, and the two processes share them.
    images, labels = (np.load(state["inputs"] / f"{name}.npy", mmap_mode="r")
                      for name in (protocol.TRAIN_IMAGES, protocol.TRAIN_LABELS))
    x_train, y_train = prepared_training_set(images, labels)
    wait_for_go()
    model = state["compiled"]
    compiled = describe_compiled(model)
    calls = watch_fit(model)
    history = call(folder, step, model, x_train, y_train)
    facts = {"returned": type_name(history), "history": history_facts(history, model, calls, keras)}
    getattr(model, "jax_state_sync", lambda: None)()  # On JAX, the values training left in its own state.
    facts["trained"] = {
        "iterations": int(model.optimizer.iterations) if model.optimizer is not None else 0,
        "recompiled": describe_compiled(model) != compiled,
        "model": describe_model(model),
    }
    np.savez(workdir / f"{protocol.WEIGHTS}.npz", *model.get_weights())
    return facts


def history_facts(history, model, calls, keras):
    """The facts of what fit_model returned when it is a History (protocol.History); else None."""
    if not isinstance(history, keras.callbacks.History):
        return None
    params = history.params if isinstance(history.params, dict) else {}
    return {
        "epochs": params.get("epochs"),
        "epoch": list(history.epoch),
        "steps": params.get("steps"),
        "of_model": getattr(history, "_model", None) is model,  # Made by training this very model.
        "calls": calls,
    }


def watch_fit(model):
    """Note how student code calls `model.fit`: what it trains on, and how (protocol.History's calls)."""
    import inspect

    fit, calls = model.fit, []
    signature = inspect.signature(fit)

    def watched(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            bound = None  # fit itself says what is wrong with the call.
        if bound is not None:
            given = bound.arguments
            images = given.get("x")
            split = given.get("validation_split") or 0.0
            calls.append({
                "images": len(images) if hasattr(images, "__len__") and hasattr(images, "shape") else None,
                "validation_split": float(split) if isinstance(split, (int, float)) else None,
                "class_weight": given.get("class_weight") is not None,
                "sample_weight": given.get("sample_weight") is not None,
            })
        return fit(*args, **kwargs)

    model.fit = watched
    return calls

def describe_model(model):
    """The facts the build checks read: inputs, layers, parameters. None when it is not a model."""
    import keras

    if not isinstance(model, keras.Model):
        return None
    try:
        inputs = [list(tensor.shape) for tensor in model.inputs]
    except (AttributeError, ValueError):
        inputs = None
    layers = [
        {
            "class": type(layer).__name__,
            "units": getattr(layer, "units", None),
            "activation": activation_name(getattr(layer, "activation", None)),
            "inputs": kernel_rows(layer),
            "settings": settings(layer),
            "dtype": compute_dtype(layer),
        }
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    form = ("Sequential" if isinstance(model, keras.Sequential) else
            "functional" if type(model).__name__ == "Functional" else "subclassed")
    return {"inputs": inputs, "layers": layers, "params": model.count_params() if model.built else None, "form": form}

def kernel_rows(layer):
    """How many inputs a built Dense layer takes; None for other layers."""
    kernel = getattr(layer, "kernel", None) if getattr(layer, "built", False) else None
    try:
        return int(kernel.shape[0]) if kernel is not None and len(kernel.shape) == 2 else None
    except (AttributeError, TypeError, ValueError):
        return None

def compute_dtype(layer):
    """The dtype a layer computes in, as a string: "float32", or "float16" under mixed_float16; None if it says none."""
    try:
        dtype = layer.compute_dtype
    except Exception:
        return None
    return None if dtype is None else str(dtype)

SETTINGS = ("max_value", "negative_slope", "threshold", "axis", "rate", "activation")  # What activation layers take.

def settings(layer):
    """The settings of an activation layer that change what it computes, as plain values."""
    try:
        config = layer.get_config()
    except Exception:
        return {}
    return {key: value for key, value in config.items()
            if key in SETTINGS and (value is None or isinstance(value, (str, int, float, bool)))}

def activation_name(activation):
    if activation is None:
        return None
    return getattr(activation, "__name__", type(activation).__name__)

def describe_compiled(model):
    """The facts the compile checks read: optimizer, loss and metrics. None when it is not a model."""
    import keras

    if not isinstance(model, keras.Model):
        return None
    config = model.get_compile_config() if model.compiled else None
    if not config:
        return {"compiled": False}
    loss = config.get("loss")
    loss_config = loss.get("config") if isinstance(loss, dict) and isinstance(loss.get("config"), dict) else {}
    return {
        "compiled": True,
        "optimizer": type(model.optimizer).__name__,
        "optimizer_settings": optimizer_settings(model.optimizer),
        "loss": config_name(loss),
        "from_logits": bool(loss_config.get("from_logits")),
        "loss_settings": {key: loss_config[key] for key in ("label_smoothing", "reduction", "axis")
                          if key in loss_config and isinstance(loss_config[key], (str, int, float, type(None)))},
        "loss_weights": plain(config.get("loss_weights")),
        "metrics": [config_name(metric) for metric in
                    flatten(config.get("metrics")) + flatten(config.get("weighted_metrics"))],
    }

def optimizer_settings(optimizer):
    """An optimizer's settings as plain values: a learning-rate schedule as its class name."""
    try:
        config = optimizer.get_config()
    except Exception:
        return {}
    found = {key: plain(value) for key, value in config.items() if key != "name"}
    if isinstance(config.get("learning_rate"), dict):
        found["learning_rate"] = str(config["learning_rate"].get("class_name", "a schedule"))
    return found

def plain(value):
    """`value` as JSON holds it: numbers, strings, booleans, None, and lists and dicts of them; else its repr."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    try:
        return float(value)
    except (TypeError, ValueError):
        return repr(value)

def config_name(item):
    """A loss's or metric's name from its compile config: 'accuracy', or 'CategoricalAccuracy' for an object."""
    if isinstance(item, dict):
        return item.get("config") if item.get("class_name") == "function" else item.get("class_name")
    return item if isinstance(item, str) else repr(item)

def flatten(items):
    if items is None:
        return []
    if isinstance(items, dict):
        items = list(items.values())
    if not isinstance(items, (list, tuple)):
        return [items]
    return [leaf for item in items for leaf in flatten(item)]
