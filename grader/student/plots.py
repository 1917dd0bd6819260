"""Figures of a trained model for `python -m exercises --plots DIR`: learning curves, mistakes, confusion matrix.

Their text is in the student's language where a font can draw it: Chinese needs a CJK font, which
many machines lack; then the figures are in English and `python -m exercises` says how to get one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # Draw into files only: no window, no display needed.

import numpy as np
from matplotlib import font_manager
from matplotlib import pyplot as plt

from grader.course.i18n import _, lang

if TYPE_CHECKING:
    import keras

DPI = 100
# Fonts that draw Chinese, as Linux, macOS and Windows name them.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "STHeiti", "Arial Unicode MS")


def chinese_font() -> str | None:
    """The name of an installed font that draws Chinese, or None."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def texts():
    """The function the figures' texts go through: the student's language when a font can draw it, else English."""
    if lang() != "zh":
        return _
    font = chinese_font()
    if font is None:
        return lambda text, **params: text.format(**params) if params else text
    plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]
    plt.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack the minus sign.
    return _


def plot_training(history, _=_):
    """Draw the loss and the accuracy per epoch, on the training and the validation images, side by side."""
    figure, panels = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
    epochs = range(1, len(history.history["loss"]) + 1)
    names = {"loss": _("Loss per epoch"), "accuracy": _("Accuracy per epoch")}
    for panel, metric in zip(panels, ["loss", "accuracy"], strict=True):
        panel.plot(epochs, history.history[metric], "o-", label=_("training set"))
        if f"val_{metric}" in history.history:
            panel.plot(epochs, history.history[f"val_{metric}"], "s--", label=_("validation set"))
        panel.set(title=names[metric], xlabel=_("epoch"), ylabel=metric, xticks=list(epochs))
        panel.grid(alpha=0.3)
        panel.legend()
    figure.suptitle(_("A widening gap between training and validation means the model is overfitting"))
    # Why validation can beat training early on: the two are not measured alike.
    figure.text(0.5, 0.005, _("Training accuracy is averaged over each epoch while the model still improves; "
                              "validation accuracy is measured at its end, so after epoch 1 it can be higher."),
                ha="center", va="bottom", fontsize=8, wrap=True)
    return figure


def plot_mistakes(images, labels, predictions, rows=5, columns=5, _=_):
    """Draw the first test digits the model got wrong, each titled with its true and its predicted label."""
    wrong = np.flatnonzero(labels != predictions)
    figure, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.2 * rows), layout="constrained")
    for ax, index in zip(axes.flat, wrong, strict=False):  # At most rows × columns of the mistakes.
        ax.imshow(images[index].reshape(28, 28), cmap="gray_r")
        ax.set_title(_("true {true}, predicted {predicted}", true=labels[index], predicted=predictions[index]),
                     fontsize=9)
    for ax in axes.flat:
        ax.axis("off")
    shown = min(len(wrong), rows * columns)
    figure.suptitle(_("{wrong} of {count} test digits misclassified; the first {shown} are shown",
                      wrong=f"{len(wrong):,}", count=f"{len(labels):,}", shown=shown))
    return figure


def plot_confusion(labels, predictions, num_classes=10, _=_):
    """Draw the confusion matrix: how many test digits of each true label got each predicted label."""
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (labels, predictions), 1)
    figure, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, label=_("test digits"))
    for (true, predicted), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(predicted, true, count, ha="center", va="center", fontsize=8, color=color)
    classes = list(range(num_classes))
    ax.set(xticks=classes, yticks=classes, xlabel=_("predicted label"), ylabel=_("true label"))
    ax.set_title(_("Confusion matrix on {count} test digits", count=f"{len(labels):,}"))
    return figure


def save_all(folder: str | Path, history: keras.callbacks.History, images: np.ndarray, labels: np.ndarray,
             predictions: np.ndarray) -> list[Path]:
    """Save the three figures as PNG files in `folder`, made if missing, and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    t = texts()
    figures = {
        "training.png": plot_training(history, _=t),
        "mistakes.png": plot_mistakes(images, labels, predictions, _=t),
        "confusion.png": plot_confusion(labels, predictions, _=t),
    }
    paths = []
    for name, figure in figures.items():
        paths.append(folder / name)
        figure.savefig(paths[-1], dpi=DPI)
        plt.close(figure)
    return paths
