"""Keras's global settings that change what later code computes (keras.config): read, compared and put back.

In the program every step runs in one process, so a step whose code sets one of these (mixed precision, floatx, a
cap on epochs) changes the steps after it: a step may change only what it returns. The worker notes them before
student code runs and compares them after (grader/workers/student_code.py). Only the settings of modules imported
already are read: nothing here imports Keras.

The settings are those that change a later step's results: the dtypes layers compute in (floatx, the dtype
policy), the fuzz factor losses clip with (epsilon), the layout convolutions read (image data format) and the caps
on fit's epochs and steps. Seeds change which random numbers come, not what is computed, and a grading holds
for any seed; logging and traceback settings change only what is printed.
"""

import sys
from typing import Any

CONFIG = "keras.src.backend.config"  # Where floatx, epsilon and the others live, with their getters and setters.
GLOBAL_STATE = "keras.src.backend.common.global_state"  # Where the dtype policy lives, unset until first read.
# Each setting by the name of its getter in keras.config, in the order a change is reported (floatx before the
# dtype policy that follows it), and the calls that set it, as student code writes them.
SETTINGS = {
    "floatx": "keras.config.set_floatx, keras.backend.set_floatx",
    "dtype_policy": "keras.config.set_dtype_policy, keras.mixed_precision.set_global_policy",
    "epsilon": "keras.config.set_epsilon, keras.backend.set_epsilon",
    "image_data_format": "keras.config.set_image_data_format, keras.backend.set_image_data_format",
    "max_epochs": "keras.config.set_max_epochs",
    "max_steps_per_epoch": "keras.config.set_max_steps_per_epoch",
}


def snapshot() -> dict[str, object]:
    """The settings now, by name, as Keras holds them (the dtype policy as its object, or None while unset): those
    of Keras's modules imported so far, and that this version of Keras has."""
    found = {}
    config, state = sys.modules.get(CONFIG), sys.modules.get(GLOBAL_STATE)
    for name in SETTINGS:
        if name == "dtype_policy" and state is not None:
            found[name] = state.get_global_attribute("dtype_policy")
        elif name != "dtype_policy" and callable(getattr(config, name, None)):
            found[name] = getattr(config, name)()
    return found


def shown(found):
    """A snapshot's settings as a message shows them and JSON holds them: the dtype policy by its name
    ("mixed_float16"), an unset one as the floatx it will take."""
    values = {}
    for name, value in found.items():
        if name == "dtype_policy":
            value = found.get("floatx") if value is None else getattr(value, "name", value)
        values[name] = value if value is None or isinstance(value, (str, bool, int, float)) else repr(value)
    return values


def changed(before: dict[str, object], after: dict[str, object] | None = None) -> dict[str, object] | None:
    """The first setting that `after` (by default, the settings now) holds otherwise than `before`, two snapshots,
    as {"setting": "dtype_policy", "value": "mixed_float16", "was": "float32"}; None when none changed. A setting
    of a module imported since `before` is not compared: there is nothing to compare it with."""
    was, now = shown(before), shown(snapshot() if after is None else after)
    for name in SETTINGS:
        if name in was and name in now and was[name] != now[name]:
            return {"setting": name, "value": now[name], "was": was[name]}
    return None


def restore(before: dict[str, object]) -> None:
    """Put the settings back as the snapshot `before` holds them."""
    # Keras's modules, untyped; None where student code removed one from sys.modules, which fails as it always did.
    config: Any = sys.modules.get(CONFIG)
    state: Any = sys.modules.get(GLOBAL_STATE)
    for name, value in before.items():
        if name == "dtype_policy":
            state.set_global_attribute("dtype_policy", value)
        else:
            getattr(config, f"set_{name}")(value)
