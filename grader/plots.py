"""Figures of a trained model for `python -m exercises --plots DIR`: learning curves, mistakes, confusion matrix."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # Draw into files only: no window, no display needed.

import numpy as np
from matplotlib import pyplot as plt

DPI = 100


def plot_training(history):
    """Draw the loss and the accuracy per epoch, on the training and the validation images, side by side."""
    figure, panels = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    epochs = range(1, len(history.history["loss"]) + 1)
    for panel, metric in zip(panels, ["loss", "accuracy"], strict=True):
        panel.plot(epochs, history.history[metric], "o-", label="training")
        if f"val_{metric}" in history.history:
            panel.plot(epochs, history.history[f"val_{metric}"], "s--", label="validation")
        panel.set(title=f"{metric.capitalize()} per epoch", xlabel="epoch", ylabel=metric, xticks=list(epochs))
        panel.grid(alpha=0.3)
        panel.legend()
    figure.suptitle("A widening gap between training and validation means the model is overfitting")
    return figure


def plot_mistakes(images, labels, predictions, rows=5, columns=5):
    """Draw the first test digits the model got wrong, each titled with its true and its predicted label."""
    wrong = np.flatnonzero(labels != predictions)
    figure, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.2 * rows), layout="constrained")
    for ax, index in zip(axes.flat, wrong, strict=False):  # At most rows × columns of the mistakes.
        ax.imshow(images[index].reshape(28, 28), cmap="gray_r")
        ax.set_title(f"true {labels[index]}, predicted {predictions[index]}", fontsize=9)
    for ax in axes.flat:
        ax.axis("off")
    shown = min(len(wrong), rows * columns)
    figure.suptitle(f"{len(wrong):,} of {len(labels):,} test digits misclassified; the first {shown} are shown")
    return figure


def plot_confusion(labels, predictions, num_classes=10):
    """Draw the confusion matrix: how many test digits of each true label got each predicted label."""
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (labels, predictions), 1)
    figure, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, label="test digits")
    for (true, predicted), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(predicted, true, count, ha="center", va="center", fontsize=8, color=color)
    classes = list(range(num_classes))
    ax.set(xticks=classes, yticks=classes, xlabel="predicted label", ylabel="true label")
    ax.set_title(f"Confusion matrix on {len(labels):,} test digits")
    return figure


def save_all(folder, history, images, labels, predictions):
    """Save the three figures as PNG files in `folder`, made if missing, and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "training.png": plot_training(history),
        "mistakes.png": plot_mistakes(images, labels, predictions),
        "confusion.png": plot_confusion(labels, predictions),
    }
    paths = []
    for name, figure in figures.items():
        paths.append(folder / name)
        figure.savefig(paths[-1], dpi=DPI)
        plt.close(figure)
    return paths
