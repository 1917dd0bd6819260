"""The runner of the steps that take one array and return one (reshape, normalize, one_hot): called on the sample
first, then on the program's inputs (protocol.SIZES) that were given; for those, the kept rows of what came back
are saved."""

from grader.backend.runtime import import_keras
from grader.workers import protocol
from grader.workers.runners import runs
from grader.workers.student_code import StudentError, calling, load, type_name, uses_keras


@runs("reshape", "normalize", "one_hot")
def array_step(step, folder, workdir, state):
    """Call the step's function on its input (steps.toml's `input`: the sample, then the program's inputs)."""
    import numpy as np

    if uses_keras([step.name], folder):  # Imported before the file runs, forked or not: a setting it changes shows.
        import_keras()
    function = load(folder, step)  # Its file runs once, as in the program, whatever it is called on.
    given = np.load(state["inputs"] / f"{step.input}.npy")
    returned = calling(function, step, given)
    np.save(workdir / f"{protocol.INPUT_AFTER}.npy", given)
    facts = {"returned": save_array(returned, workdir / f"{protocol.OUTPUT}.npy"), "answers": []}
    for size in protocol.SIZES:
        path = state["inputs"] / f"{protocol.sized(step.input, size)}.npy"
        if path.exists():
            given = np.load(path)
            try:
                returned = calling(function, step, given)
            except StudentError as error:
                error.given = {"given": size, "count": len(given)}
                raise
            facts["answers"].append(answer(returned, size, len(given), workdir))
    return facts


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
