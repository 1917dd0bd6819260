"""The seed program, end to end, with a folder's six functions: what `python -m exercises` runs."""

import argparse
import functools
import math
import os
import sys
from pathlib import Path

from grader.backend.quiet import quiet
from grader.backend.runtime import import_keras
from grader.course.i18n import _
from grader.course.steps import FILE_STEPS, SEED, STEPS
from grader.results.console import fit as fit_streams

# With --plots, the last sixth of the training images (10,000 of 60,000) validate the model, as in
# Chollet's book, so the plots show the gap between training and validation.
VALIDATION_SPLIT = 1 / 6


def main(folder, argv=None):
    """Load MNIST, prepare it, build, compile and train the model, and print its test accuracy."""
    fit_streams()
    quiet()
    relative = os.path.relpath(folder)  # Paths in messages as the student types them.
    folder = Path(folder if relative.startswith("..") else relative)
    options = parse_arguments(folder, argv)
    sys.exit(run(folder, plots=options.plots))


def parse_arguments(folder, argv=None):
    """Read the command line; stop at once, before any data is loaded, if --plots cannot work."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {folder.name}",
        description=_("Train the MNIST network with this folder's six functions and print its test accuracy."),
    )
    parser.add_argument(
        "--plots",
        metavar="DIR",
        type=Path,
        help=_("also validate while training, and save training.png, mistakes.png and confusion.png in DIR"),
    )
    options = parser.parse_args(argv)
    if options.plots is not None:
        if options.plots.exists() and not options.plots.is_dir():
            parser.error(_("--plots {path}: this is a file, not a folder", path=options.plots))
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.exit(
                2,
                _("{prog}: --plots needs matplotlib, which is not installed: "
                  "run `pip install -e '.[plots]'` (or `pip install matplotlib`).", prog=parser.prog) + "\n",
            )
    return options


def run(folder, plots=None):
    """The seed program with the functions of `folder`; with `plots`, its figures saved there. Its exit code."""
    from grader.data import DataError, load_data
    from grader.data.progress import Bar

    print(_("Loading MNIST…"))
    try:
        with Bar() as bar:  # Shown only while MNIST downloads.
            (x_train, y_train), (x_test, y_test) = load_data(bar)
    except DataError as error:
        print(_("MNIST data unavailable: {error}", error=error), file=sys.stderr)
        return 2
    keras = import_keras()
    keras.utils.set_random_seed(SEED)
    step = Steps(folder)
    try:
        # Flatten the images into rows of 784 values and scale them to [0, 1].
        images_train = step("normalize", step("reshape", x_train))
        images_test = step("normalize", step("reshape", x_test))
        print(_("✓ reshape, normalize: x_train is {shape} {dtype}", shape=images_train.shape,
                dtype=images_train.dtype))
        # Turn the digit labels into one-hot rows of 10 values.
        labels_train, labels_test = step("one_hot", y_train), step("one_hot", y_test)
        print(_("✓ one_hot: y_train is {shape}", shape=labels_train.shape))
        # Build and compile the network, then train it.
        model = step("compile", step("build"))
        print(_("✓ build, compile: training for 5 epochs…"))
        if plots is not None:
            validate_while_training(model, len(images_train))
        step("fit", model, images_train, labels_train)
    except Unfinished as unfinished:
        print(unfinished)
        return 1
    # Test the trained network on 10,000 images it has never seen.
    test_loss, test_acc = model.evaluate(images_test, labels_test, verbose=0)
    print(_("test_acc: {accuracy}", accuracy=f"{test_acc:.4f}"))
    if plots is not None:  # The plots show the test digits and labels as they come, whatever the steps made of them.
        save_plots(plots, model, images_test, x_test, y_test)
    return 0


class Steps:
    """The step functions of `folder`, called by name; one still a stub stops the program with a friendly message."""

    def __init__(self, folder):
        from grader.workers.student_code import load_function

        self.folder = folder
        self.functions = {step.name: load_function(folder, step) for step in FILE_STEPS}

    def __call__(self, name, *args):
        try:
            return self.functions[name](*args)
        except NotImplementedError:
            number = [s.name for s in FILE_STEPS].index(name) + 1
            path = self.folder / STEPS[name].file
            raise Unfinished(_(
                "Step {number} of {count}, {name}, is not done yet: open {path} and replace "
                "`raise NotImplementedError` with your code. Then run `python -m {package}` again.",
                number=number, count=len(FILE_STEPS), name=name, path=path, package=self.folder.name)
            ) from None


def save_plots(folder, model, prepared_test, images_test, labels_test):
    """Save the figures of the trained `model` in `folder` and print their paths: the test images as the model
    sees them (`prepared_test`) give its predictions, shown on `images_test` and `labels_test` as they came."""
    from grader.course.i18n import lang
    from grader.student.plots import chinese_font, save_all

    predictions = model.predict(prepared_test, verbose=0).argmax(axis=1)
    for path in save_all(folder, model.history, images_test, labels_test, predictions):
        print(path)
    if lang() == "zh" and chinese_font() is None:
        print(_("The figures are in English: no font here draws Chinese. Install one (Noto Sans CJK SC: "
                "`sudo apt install fonts-noto-cjk` on Debian and Ubuntu), and they will be in Chinese."))


def validate_while_training(model, num_images):
    """Make the student's own `model.fit(...)` call also validate the model on the last sixth of the images."""
    model.fit = functools.partial(model.fit, validation_split=VALIDATION_SPLIT)
    # Keras trains on the first floor(n × (1 − split)) images and validates on the rest.
    num_train = math.floor(num_images * (1 - VALIDATION_SPLIT))
    print(_("--plots: {train} images train the model, the last {held_out} validate it.",
            train=f"{num_train:,}", held_out=f"{num_images - num_train:,}"))


class Unfinished(Exception):
    """A step's function is still the exercise's stub."""


if __name__ == "__main__":  # python -m grader.student.program FOLDER: what a notebook's run_all() runs.
    main(Path(sys.argv[1]), sys.argv[2:])
