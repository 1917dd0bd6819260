"""Run steps of a student's code in a process of their own: python -m grader.workers.worker STEPS FOLDER INPUTS WORKDIR.

STEPS is one step, or several that build on each other ("build,compile,fit": one model, one import
of Keras). The worker reads what it is given in INPUTS and works in WORKDIR, its scratch folder. It
calls the student's functions and writes down what came back: plain facts,
one JSON line per step on its stdout as each step ends, signed with the token the grading process
sent as the first line on stdin, and arrays (.npy, .npz) in WORKDIR. What student code prints goes
to stderr, never among the reports. It
decides nothing: the grading process reads these and checks them itself. Before a step in protocol.GATED it
waits for a line on stdin, so that a model trains only once the grading process has found the
steps before it right.
"""

import faulthandler
import json
import os
import signal
import sys
import traceback
from pathlib import Path

from grader.backend.quiet import quiet, silenced_stderr
from grader.backend.runtime import import_keras
from grader.workers import protocol


def main(step_names, folder, inputs, workdir):
    token = sys.stdin.readline().strip()  # Read before any student code runs; every report carries it.
    quiet()
    compilation_cache()
    report = os.fdopen(os.dup(1), "w")  # The reports keep stdout's pipe to themselves;
    os.dup2(2, 1)  # what anything prints from now on goes to stderr.
    if hasattr(signal, "SIGUSR1"):  # At a time limit, the grading process asks where the code was.
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=False)
    sys.dont_write_bytecode = True  # Never write __pycache__ into the student's folder.
    sys.path.append(str(Path(folder).resolve()))  # Let a step file import its siblings.
    from grader.course.steps import SEED, STEPS

    workdir, state = Path(workdir), {"inputs": Path(inputs)}
    for name in step_names.split(","):
        try:
            facts = {"status": "ok", **STEP_CALLS[name](Path(folder), workdir, STEPS, SEED, state)}
        except BaseException as error:  # Student code may raise anything, SystemExit included.
            facts = failure(error, Path(folder))
        sys.stdout.flush()
        report.write(json.dumps(protocol.Report(token=token, step=name, facts=facts)) + "\n")
        report.flush()
        if facts["status"] != "ok":
            break
    os._exit(0)  # Skip interpreter teardown: student threads or atexit hooks cannot hang us.


def compilation_cache():
    """Where JAX keeps compiled programs, as this worker's variables say: a worker forked from a process that
    imported JAX already (grader/workers/host.py) would otherwise use that process's folder, which it may not reach."""
    if "jax" not in sys.modules:
        return
    import jax

    jax.config.update("jax_compilation_cache_dir", os.environ.get("JAX_COMPILATION_CACHE_DIR"))


class Stopped(Exception):
    """The grading process closed stdin instead of letting a gated step start."""


def wait_for_go():
    """Block until the grading process writes a line: the steps before this one passed their checks."""
    if sys.stdin.readline().strip() != protocol.GO:
        raise Stopped()


class StudentError(Exception):
    """An exception raised by the student's code, tagged with the step and when: "import" or "call"."""

    def __init__(self, step, when, error):
        super().__init__(step.name)
        self.step, self.when, self.error = step, when, error
        self.given = None  # The program's input it failed on (protocol.SIZES) and its length, when not the sample.


def call(folder, step, *args):
    """Load the step's function from the student's file and call it; tag any failure with the step."""
    return calling(load(folder, step), step, *args)


def load(folder, step):
    """The step's function, from the student's file, imported once; an error tagged with the step."""
    from grader.engine.submission import load_function

    try:
        with silenced_stderr():  # A student file that imports keras would start TensorFlow's log lines.
            return load_function(folder, step)
    except BaseException as error:
        raise StudentError(step, "import", error) from None


def calling(function, step, *args):
    """function(*args), what student code returns; an error tagged with the step."""
    try:
        return function(*args)
    except BaseException as error:
        raise StudentError(step, "call", error) from None


def failure(error, folder):
    """Turn an exception into facts: was it a stub, a missing function, or an error in student code?"""
    from grader.engine.submission import MissingFunction

    if isinstance(error, Stopped):
        return {"status": "stopped"}
    if not isinstance(error, StudentError):
        return {"status": "grader_error", "exception": "".join(traceback.format_exception(error))}
    inner = error.error
    where = {"step": error.step.name, "when": error.when, **(error.given or {})}
    if isinstance(inner, NotImplementedError):
        return {"status": "not_attempted", **where}
    if isinstance(inner, MissingFunction):
        return {"status": "missing", **where}
    if isinstance(inner, SystemExit):
        return {"status": "exit", **where, "code": "" if inner.code is None else repr(inner.code)}
    return {
        "status": "error",
        **where,
        "exception": exception_line(inner),
        "frames": student_frames(inner, folder),
        **undefined_name(inner),
    }


def undefined_name(error):
    """For a NameError: the name, and the closest name the code could see there (a typo's fix), if any."""
    if not isinstance(error, NameError) or not getattr(error, "name", None):
        return {}
    import builtins
    import difflib

    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    known = set(dir(builtins))
    if tb is not None:
        known |= set(tb.tb_frame.f_locals) | set(tb.tb_frame.f_globals)
    close = difflib.get_close_matches(error.name, sorted(known), n=1, cutoff=0.75)
    return {"name": error.name, "suggestion": close[0] if close else None}


def exception_line(error):
    """ValueError: the message (for a SyntaxError without the code it quotes: the frames show it)."""
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error.msg}"
    return "".join(traceback.format_exception_only(error)).strip()


def student_frames(error, folder):
    """The traceback frames that are in the student's files, as [file, line, function, code]."""
    folder = folder.resolve()
    frames = []
    tb = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        tb.append(traceback.FrameSummary(error.filename, error.lineno or 0, "<module>", line=error.text))
    for frame in tb:
        path = Path(frame.filename).resolve()
        if path.parent == folder:
            frames.append([path.name, frame.lineno, frame.name, (frame.line or "").strip()])
    return frames


# How each step calls the student's function. Each returns the step's facts and may write arrays into the workdir.


def call_array_step(step_name):
    """A step that takes one array and returns one: reshape, normalize, one_hot. Called on the sample first, then
    on the program's inputs (protocol.SIZES) that were given; for those, the kept rows of what came back are saved."""
    input_name = protocol.INPUT_OF[step_name]

    def call_it(folder, workdir, steps, seed, state):
        import numpy as np

        step = steps[step_name]
        function = load(folder, step)  # Its file runs once, as in the program, whatever it is called on.
        given = np.load(state["inputs"] / f"{input_name}.npy")
        returned = calling(function, step, given)
        np.save(workdir / f"{protocol.INPUT_AFTER}.npy", given)
        facts = {"returned": save_array(returned, workdir / f"{protocol.OUTPUT}.npy"), "answers": []}
        for size in protocol.SIZES:
            path = state["inputs"] / f"{protocol.sized(input_name, size)}.npy"
            if path.exists():
                given = np.load(path)
                try:
                    returned = calling(function, step, given)
                except StudentError as error:
                    error.given = {"given": size, "count": len(given)}
                    raise
                facts["answers"].append(answer(returned, size, len(given), workdir))
        return facts

    return call_it


def answer(returned, size, count, workdir):
    """The facts of what an array step returned for one of the program's inputs (protocol.Answer); its kept rows
    saved as OUTPUT_size.npy."""
    import numpy as np

    facts = {"size": size, "count": count, "returned": type_name(returned), "shape": None, "dtype": None}
    try:
        array = None if returned is None or isinstance(returned, (str, bytes, dict)) else np.asarray(returned)
    except Exception:
        array = None
    if array is None or array.dtype == object:
        return facts
    facts.update(shape=list(array.shape), dtype=str(array.dtype))
    if array.ndim:
        rows = protocol.kept_rows(count)
        np.save(workdir / f"{protocol.sized(protocol.OUTPUT, size)}.npy", array[rows[rows < len(array)]])
    return facts


def save_array(value, path):
    """Save what a function returned as an array, when it is one; return its type's name."""
    import numpy as np

    kind = type_name(value)
    if value is None or isinstance(value, (str, bytes, dict)):
        return kind
    try:
        array = np.asarray(value)
        if array.dtype != object:
            np.save(path, array)
    except Exception:
        pass
    return kind


def call_build(folder, workdir, steps, seed, state):
    import warnings

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    with warnings.catch_warnings(record=True) as warned:  # What Keras warns about teaches (grader/checks).
        warnings.simplefilter("always")
        model = state["model"] = call(folder, steps["build"])
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


def call_compile(folder, workdir, steps, seed, state):
    if "model" not in state:
        call_build(folder, workdir, steps, seed, state)
    returned = state["compiled"] = call(folder, steps["compile"], state["model"])
    return {"returned": type_name(returned), "compiled": describe_compiled(returned),
            "same_model": returned is state["model"]}  # The program goes on with what compile returns.


def call_fit(folder, workdir, steps, seed, state):
    """Train the compiled model on the training set the grading process wrote, prepared as the course does.

    The facts are those of the model fit_model was given, which the program goes on to test, whatever
    History it returns: its training steps, its compile settings after training and its weights.
    """
    import numpy as np

    from grader.backend.reference import prepared_training_set

    if "compiled" not in state:
        call_compile(folder, workdir, steps, seed, state)
    keras = import_keras()
    # Mapped, not loaded again: the grading process wrote these pages, and the two processes share them.
    images, labels = (np.load(state["inputs"] / f"{name}.npy", mmap_mode="r")
                      for name in (protocol.TRAIN_IMAGES, protocol.TRAIN_LABELS))
    x_train, y_train = prepared_training_set(images, labels)
    wait_for_go()
    model = state["compiled"]
    compiled = describe_compiled(model)
    calls = watch_fit(model)
    history = call(folder, steps["fit"], model, x_train, y_train)
    facts = {"returned": type_name(history), "history": None}
    if isinstance(history, keras.callbacks.History):
        params = history.params if isinstance(history.params, dict) else {}
        facts["history"] = {
            "epochs": params.get("epochs"),
            "epoch": list(history.epoch),
            "steps": params.get("steps"),
            "of_model": getattr(history, "_model", None) is model,  # Made by training this very model.
            "calls": calls,
        }
    getattr(model, "jax_state_sync", lambda: None)()  # On JAX, the values training left in its own state.
    facts["trained"] = {
        "iterations": int(model.optimizer.iterations) if model.optimizer is not None else 0,
        "recompiled": describe_compiled(model) != compiled,
        "model": describe_model(model),
    }
    np.savez(workdir / f"{protocol.WEIGHTS}.npz", *model.get_weights())
    return facts


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


def type_name(value):
    """What a function returned, as a student reads it: None, ndarray, list, Sequential…"""
    return "None" if value is None else type(value).__name__


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


STEP_CALLS = {
    "reshape": call_array_step("reshape"),
    "normalize": call_array_step("normalize"),
    "one_hot": call_array_step("one_hot"),
    "build": call_build,
    "compile": call_compile,
    "fit": call_fit,
}

if __name__ == "__main__":
    main(*sys.argv[1:5])
