"""Every command prints on any console: GBK (Chinese Windows), cp1252 (Western Windows) and ASCII, as a pipe, Git Bash
or an IDE's run pane gets them (simulated with PYTHONIOENCODING). Marks become ASCII where the stream lacks them;
zh falls back to English, after one line saying why, where the stream cannot show Chinese."""

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import EXERCISES, ROOT, SOLUTIONS

from grader.course.i18n import in_language, lang
from grader.results import console

ENCODINGS = ("gbk", "cp1252", "ascii")
NOTE = ("mnist-grade: this console's encoding ({encoding}) cannot show Chinese, so messages are in English. To see "
        "them in Chinese, run `chcp 65001` first (Windows), or set PYTHONUTF8=1.")


def shows_chinese(encoding):
    return encoding == "gbk"


def run(encoding, lang, *args, cwd=ROOT):
    """`mnist-grade ARGS --lang LANG` on a console in `encoding`, with hints' state of its own (in `cwd`): (exit
    code, stdout, stderr), decoded strictly as that console would, so a byte it could not show fails here."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "TERM": "dumb", "XDG_STATE_HOME": str(Path(cwd) / "state")}
    done = subprocess.run([sys.executable, "-m", "grader.cli", *args, "--lang", lang], cwd=cwd, env=env,
                          capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
    stdout, stderr = done.stdout.decode(encoding), done.stderr.decode(encoding)
    assert "Traceback" not in stdout + stderr and "INTERNALERROR" not in stdout + stderr, stdout + stderr
    return done.returncode, stdout, stderr


def shown(encoding, lang, text, **params):
    """`text` as the student reads it on that console: in zh only where it shows Chinese."""
    return in_language(lang if shows_chinese(encoding) else "en", text, **params)


def score_line(encoding, lang, score, points, done, steps):
    text = ("Score: {score}/{points} ({done} of {steps} step done)" if steps == 1
            else "Score: {score}/{points} ({done} of {steps} steps done)")
    return shown(encoding, lang, text, score=score, points=points, done=done, steps=steps)


def noted(encoding, lang, stderr):
    """The English note is on stderr exactly when zh cannot be shown."""
    expected = lang == "zh" and not shows_chinese(encoding)
    assert (NOTE.format(encoding=encoding) in stderr) == expected, stderr


def test_fit_writes_ascii_marks_and_look_alikes_where_a_stream_lacks_them(monkeypatch):
    monkeypatch.setenv("MNIST_LANG", "en")
    monkeypatch.setattr(console, "ASKED", None)
    for encoding, marks in (("gbk", "+ x - -"), ("cp1252", "+ x - -"), ("ascii", "+ x - -"), ("utf-8", "✓ ✗ – ─")):
        out, err = (io.TextIOWrapper(io.BytesIO(), encoding=encoding) for _ in range(2))
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        assert console.fit() is None
        print("✓ ✗ – ─", end="")
        print("…→ 评分 ß", end="", file=sys.stderr)
        sys.stdout.flush(), sys.stderr.flush()
        assert out.buffer.getvalue().decode(encoding) == marks
        expected = {"gbk": "…→ 评分 ?", "cp1252": "…-> ?? ß", "ascii": "...-> ?? ?", "utf-8": "…→ 评分 ß"}[encoding]
        assert err.buffer.getvalue().decode(encoding) == expected
        console.fit()  # Again: nothing is wrapped twice.
        assert not isinstance(getattr(sys.stdout, "_stream", None), console.Fitted)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_fit_falls_back_to_english_where_chinese_cannot_be_shown(monkeypatch, encoding):
    monkeypatch.setenv("MNIST_LANG", "zh")
    monkeypatch.setattr(console, "ASKED", None)  # What fit() sets, this process's: put back after the test.
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding=encoding) for _ in range(2))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    note = console.fit()
    if shows_chinese(encoding):
        assert (note, os.environ["MNIST_LANG"]) == (None, "zh")
    else:
        assert (note, os.environ["MNIST_LANG"]) == (NOTE.format(encoding=encoding), "en")
        err.flush()
        assert err.buffer.getvalue().decode(encoding) == note + "\n"
        assert console.asked_language() == "zh"  # What a batch's files are written in.
        with console.files_language():  # In this thread only: a batch grades in several.
            assert lang() == "zh"
            other = []
            thread = threading.Thread(target=lambda: other.append(lang()))
            thread.start()
            thread.join()
        assert (lang(), other) == ("en", ["en"])


# Each console with each language, in turns: what one command shows in one, the next shows in the other.
TURNS = (("gbk", "zh", "en"), ("cp1252", "en", "zh"), ("ascii", "zh", "en"))


@pytest.mark.slow
@pytest.mark.parametrize("encoding, lang, other", TURNS)
def test_grading_on_every_console(encoding, lang, other):
    """A failing submission graded in full (in `lang`), and a passing one's single step (in `other`): the exit code,
    the score line in the language the console can show, ASCII marks, no traceback."""
    code, stdout, stderr = run(encoding, lang, str(EXERCISES))
    assert code == 1
    assert score_line(encoding, lang, 0, 100, 0, 7) in stdout.splitlines()
    assert "x reshape    0/10" in stdout.splitlines()
    noted(encoding, lang, stderr)
    code, stdout, stderr = run(encoding, other, str(SOLUTIONS), "--step", "normalize")
    assert code == 0
    assert stdout.splitlines()[-4:-1] == ["+ normalize  10/10", "", score_line(encoding, other, 10, 10, 1, 1)]
    noted(encoding, other, stderr)


@pytest.mark.slow
def test_a_passing_submission_on_a_chinese_console():
    """Trained in full, on GBK, in Chinese. (On the others, test_grading_on_every_console's passing step shows the
    same score line and marks; the progress bars are a terminal's, not a pipe's.)"""
    encoding, lang = "gbk", "zh"
    code, stdout, stderr = run(encoding, lang, str(SOLUTIONS))
    assert code == 0, stdout + stderr
    assert score_line(encoding, lang, 100, 100, 7, 7) in stdout.splitlines()
    assert shown(encoding, lang, "All checks passed. Well done!") in stdout.splitlines()
    noted(encoding, lang, stderr)


@pytest.mark.slow
@pytest.mark.parametrize("encoding, lang, other", TURNS)
def test_the_other_commands_on_every_console(encoding, lang, other, tmp_path):
    """hint and notebook (in `lang`), data and --help (in `other`): their exit codes, no traceback."""
    code, stdout, stderr = run(encoding, lang, "hint", "reshape", cwd=tmp_path)
    again = "mnist-grade hint reshape --lang " + lang
    assert code == 0 and shown(encoding, lang, "Ask again for the next hint: {command}", command=again) in stdout
    noted(encoding, lang, stderr)
    code, stdout, stderr = run(encoding, other, "data", cwd=tmp_path)
    assert code == 0 and stdout.startswith(shown(encoding, other, "MNIST is ready: {train} training and {test} test "
                                                 "images, all four arrays matching their SHA-256.",
                                                 train="60,000", test="10,000"))
    noted(encoding, other, stderr)
    code, stdout, _ = run(encoding, lang, "notebook", "--out", "course.ipynb", cwd=tmp_path)
    assert code == 0 and stdout.startswith(shown(encoding, lang, "wrote {path}", path="course.ipynb"))
    assert (tmp_path / "course.ipynb").read_bytes().decode("utf-8")
    code, stdout, _ = run(encoding, other, "--help", cwd=tmp_path)
    assert code == 0 and stdout.startswith("usage: mnist-grade")


@pytest.mark.slow
@pytest.mark.parametrize("encoding, lang", (("gbk", "zh"), ("cp1252", "en"), ("ascii", "zh")))
def test_a_batch_on_every_console(encoding, lang, tmp_path):
    classroom = tmp_path / "class"
    (classroom / "ann").mkdir(parents=True)
    for path in EXERCISES.glob("*.py"):
        (classroom / "ann" / path.name).write_bytes(path.read_bytes())
    code, stdout, stderr = run(encoding, lang, "batch", str(classroom), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert code == 0
    noted(encoding, lang, stderr)
    feedback = (tmp_path / "out" / "ann" / "feedback.txt").read_bytes().decode("utf-8")
    assert in_language(lang, "Score: {score}/{points} ({done} of {steps} steps done)", score=0, points=100, done=0,
                       steps=7) in feedback.splitlines()


@pytest.mark.skipif(sys.getfilesystemencoding() != "utf-8", reason="makes the surrogates a UTF-8 locale makes")
def test_text_to_write_is_read_as_utf_8_where_the_locale_cannot_and_refused_where_neither_can():
    """--assignment's type: what a GBK locale cannot read of a UTF-8 terminal's bytes (test_batch.py runs the whole
    batch so) is read as UTF-8; bytes neither can read are refused, saying what to do, before any grading."""
    import argparse

    from grader.engine.arguments import text

    assert text("第一次作业") == "第一次作业"
    # As a locale that cannot read them keeps the bytes.
    gbk_read = "第一次作业".encode().decode("ascii", errors="surrogateescape")
    assert text(gbk_read) == "第一次作业"
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        text(os.fsdecode(b"\xff\xfeMNIST"))
    assert str(refused.value) == ("'\\udcff\\udcfeMNIST' is neither in this locale's encoding nor in UTF-8: set LANG "
                                  "(or LC_ALL) to your terminal's encoding, then run the command again.")
