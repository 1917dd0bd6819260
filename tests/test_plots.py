"""`python -m solutions --plots DIR` saves the training curves, the mistakes and the confusion matrix as PNG files."""

import os
import re
import struct
import subprocess
import sys

import pytest
from conftest import ROOT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = ["training.png", "mistakes.png", "confusion.png"]


def python_m(*args, env=None):
    """Run `python -m ARGS` from the repository's root as a user would; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def png_size(path):
    """Return a PNG file's width and height, read from its IHDR chunk; fail if the file is not a PNG."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG file"
    assert header[12:16] == b"IHDR", f"{path.name} does not start with an IHDR chunk"
    return struct.unpack(">II", header[16:24])


needs_matplotlib = pytest.mark.needs("plots")


@pytest.fixture(scope="module")
def plotted(tmp_path_factory):
    """Train the reference solutions once with --plots, in Chinese; return the run and its folder of plots."""
    folder = tmp_path_factory.mktemp("plots") / "new folder"  # Missing: the command makes it.
    return python_m("solutions", "--plots", str(folder), env={**os.environ, "MNIST_LANG": "zh"}), folder


@pytest.mark.slow
@needs_matplotlib
def test_plots_saves_three_pngs_and_lists_them(plotted):
    from grader.student.plots import chinese_font

    run, folder = plotted
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
    assert "--plots：用 50,000 张图像训练模型，最后 10,000 张用于验证。" in run.stdout
    assert re.search(r"^测试准确率（test_acc）：0\.9\d{3}$", run.stdout, re.MULTILINE), run.stdout[-500:]
    note = ("图中的文字是英文的：这台机器上没有能显示中文的字体。"
            "安装一个（Noto Sans CJK SC：在 Debian 和 Ubuntu 上运行 `sudo apt install fonts-noto-cjk`）"
            "后就会显示中文。")
    assert (note in run.stdout.splitlines()) == (chinese_font() is None)
    assert "val_accuracy" in run.stdout  # Keras reports validation after each epoch.
    lines = run.stdout.splitlines()
    for name in FIGURES:
        path = folder / name
        assert str(path) in lines
        width, height = png_size(path)
        assert 300 <= width <= 3000 and 300 <= height <= 3000, f"{name} is {width}×{height} px"
        assert path.stat().st_size > 10_000, f"{name} is only {path.stat().st_size} bytes"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FIGURES)


def test_plots_without_matplotlib_says_what_to_install_and_trains_nothing(tmp_path):
    # A matplotlib package that cannot be imported, first on the path, stands in for a missing one.
    fake = tmp_path / "no-matplotlib" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("No module named \'matplotlib\'")\n')
    pythonpath = os.pathsep.join([str(fake.parent), str(ROOT), os.environ.get("PYTHONPATH", "")])
    folder = tmp_path / "plots"
    run = python_m("solutions", "--plots", str(folder), env={**os.environ, "PYTHONPATH": pythonpath})
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout == ""  # Stopped before loading MNIST.
    message = run.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert "matplotlib" in message and "pip install -e '.[plots]'" in message and "pip install matplotlib" in message
    assert not folder.exists()


@pytest.mark.parametrize(
    "args, error",
    [
        (["--plot-everything"], "unrecognized arguments: --plot-everything"),
        (["--plots"], "argument --plots: expected one argument"),
    ],
)
def test_a_wrong_option_is_rejected_with_a_usage_line(args, error):
    run = python_m("solutions", *args)
    assert run.returncode == 2
    assert run.stdout == ""
    assert "usage: python -m solutions [-h] [--plots DIR]" in run.stderr
    assert error in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.slow
@needs_matplotlib
def test_exercises_with_plots_still_stop_at_the_first_unfinished_step(tmp_path):
    run = python_m("exercises", "--plots", str(tmp_path / "plots"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Step 1 of 6, reshape, is not done yet: open exercises/reshape.py" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "plots").exists()


@needs_matplotlib
@pytest.mark.parametrize("font, title", [
    ("DejaVu Sans", "训练和验证之间的差距越来越大，说明模型过拟合了"),
    (None, "A widening gap between training and validation means the model is overfitting"),
])
def test_the_figures_speak_chinese_where_a_font_can_draw_it(monkeypatch, font, title):
    """With a CJK font the texts are Chinese (DejaVu stands in for one here); without one, English."""
    from grader.student import plots

    monkeypatch.setenv("MNIST_LANG", "zh")
    monkeypatch.setattr(plots, "chinese_font", lambda: font)
    history = type("History", (), {"history": {"loss": [0.3, 0.1], "accuracy": [0.9, 0.97],
                                               "val_loss": [0.2, 0.1], "val_accuracy": [0.95, 0.97]}})()
    figure = plots.plot_training(history, _=plots.texts())
    assert figure._suptitle.get_text() == title
    caption = figure.texts[-1].get_text()
    assert caption.startswith("训练准确率是整轮的平均值" if font else "Training accuracy is averaged over each epoch")
    plots.plt.close(figure)

