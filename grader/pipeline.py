"""The seed program, end to end, with a folder's six functions: what `python -m exercises` runs."""

import os
import sys
from pathlib import Path

from grader.quiet import import_keras, quiet
from grader.steps import FILE_STEPS, SEED, STEPS


def main(folder):
    """Load MNIST, prepare it, build, compile and train the model, and print its test accuracy."""
    quiet()
    relative = os.path.relpath(folder)  # Paths in messages as the student types them.
    sys.exit(run(Path(folder if relative.startswith("..") else relative)))


def run(folder):
    from grader.data import DataError, load_data
    from grader.data.progress import Bar
    from grader.submission import load_function

    print("Loading MNIST…")
    try:
        with Bar() as bar:  # Shown only while MNIST downloads.
            (x_train, y_train), (x_test, y_test) = load_data(bar)
    except DataError as error:
        print(f"MNIST data unavailable: {error}", file=sys.stderr)
        return 2
    keras = import_keras()
    keras.utils.set_random_seed(SEED)
    functions = {step.name: load_function(folder, step) for step in FILE_STEPS}

    def step(name, *args):
        """Call one step's function; stop with a friendly message while it is still a stub."""
        try:
            return functions[name](*args)
        except NotImplementedError:
            number = [s.name for s in FILE_STEPS].index(name) + 1
            path = folder / STEPS[name].file
            raise Unfinished(
                f"Step {number} of {len(FILE_STEPS)}, {name}, is not done yet: open {path} and replace "
                f"`raise NotImplementedError` with your code. Then run `python -m {folder.name}` again."
            ) from None

    try:
        # Flatten the images into rows of 784 values and scale them to [0, 1].
        x_train = step("normalize", step("reshape", x_train))
        x_test = step("normalize", step("reshape", x_test))
        print(f"✓ reshape, normalize: x_train is {x_train.shape} {x_train.dtype}")
        # Turn the digit labels into one-hot rows of 10 values.
        y_train, y_test = step("one_hot", y_train), step("one_hot", y_test)
        print(f"✓ one_hot: y_train is {y_train.shape}")
        # Build and compile the network, then train it.
        model = step("compile", step("build"))
        print("✓ build, compile: training for 5 epochs…")
        step("fit", model, x_train, y_train)
    except Unfinished as unfinished:
        print(unfinished)
        return 1
    # Test the trained network on 10,000 images it has never seen.
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return 0


class Unfinished(Exception):
    """A step's function is still the exercise's stub."""
