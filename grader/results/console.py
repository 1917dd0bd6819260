"""The streams every command prints on, fitted to what they can show: a Windows console, Git Bash or an IDE's run
pane in GBK or cp1252, a file, a plain ASCII pipe. Nothing printed ever crashes a command.

fit() is called once as a process of the grader starts (grader/cli.py, a grading's own process, `python -m
exercises`, `pytest grader/checks`, a --watch grading):
- where a stream cannot encode the report's marks and rules (✓ ✗ – ─), it writes ASCII ones (+ x - -) for all;
- where it cannot encode Chinese and the language is zh, messages are in English, after one English line on
  stderr that says why and how to see Chinese (MNIST_LANG=en then carries that to the processes it starts); what
  goes into files stays in the language asked for (asked_language(), files_language(): a batch's);
- any other character it cannot encode (what student code prints, a file name) is written as an ASCII
  look-alike, or "?".
Files are another matter: the grader writes every file as UTF-8, whatever the locale.
"""

import codecs
import contextlib
import os
import sys

from grader.course.i18n import chinese, lang, speaking

MARKS = "✓✗–─"  # The report's marks (passed, failed, skipped) and watch's rule.
ASCII_MARKS = str.maketrans({"✓": "+", "✗": "x", "–": "-", "─": "-"})
# What else the grader's own texts hold that some code page lacks, as ASCII; anything else becomes "?".
LOOK_ALIKES = {"—": "-", "…": "...", "·": ".", "×": "x", "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "≈": "~",
               "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*", "━": "-", "√": "v", " ": " ", "\u202f": " "}
HANDLER = "mnist-grade-ascii"  # The codec error handler that writes LOOK_ALIKES.
STREAMS = ("stdout", "stderr")
ASKED = None  # The language asked for, where fit_language() has switched this process's messages to English.


def fit() -> str | None:
    """Fit sys.stdout and sys.stderr to what they can encode, and the language to them (see above). Returns the
    note it printed, or None. Calling it again changes nothing."""
    codecs.register_error(HANDLER, _look_alike)
    for name in STREAMS:
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, Fitted):
            continue
        try:
            stream.reconfigure(errors=HANDLER)
        except (AttributeError, ValueError, OSError):  # Not a TextIOWrapper: Jupyter's, pytest's, a test's.
            pass
        if not can_encode(stream, MARKS):
            setattr(sys, name, Fitted(stream))
    return fit_language()


def fit_language():
    """Switch to English where the language is zh and a stream cannot encode Chinese, saying so on stderr in
    English; the note, or None."""
    if lang() != "zh":
        return None
    cannot = [stream for stream in (sys.stdout, sys.stderr) if stream is not None
              and not can_encode(stream, chinese_sample())]
    if not cannot:
        return None
    global ASKED
    ASKED, os.environ["MNIST_LANG"] = "zh", "en"
    note = (f"mnist-grade: this console's encoding ({encoding_of(cannot[0])}) cannot show Chinese, so messages are "
            "in English. To see them in Chinese, run `chcp 65001` first (Windows), or set PYTHONUTF8=1.")
    if sys.stderr is not None:
        print(note, file=sys.stderr, flush=True)
    return note


def asked_language() -> str:
    """The language asked for, even where the console shows English: what files are written in (a batch's)."""
    return ASKED or lang()


def files_language() -> contextlib.AbstractContextManager[None]:
    """Within, in this thread: messages in the language asked for (asked_language()), for what goes into a file,
    not on the console."""
    return speaking(asked_language())


def chinese_sample():
    """Every Chinese character of the grader's messages (grader/course/zh.toml), and its punctuation."""
    return "".join(sorted({char for text in chinese().values() for char in text
                           if "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"}))


def can_encode(stream, text):
    """Whether `stream` can write `text` as it is."""
    try:
        text.encode(encoding_of(stream))
    except UnicodeEncodeError:
        return False
    except LookupError:  # An encoding Python does not know: it would have failed on the first write.
        return True
    return True


def encoding_of(stream):
    return getattr(stream, "encoding", None) or "utf-8"


def _look_alike(error):
    """The codec error handler: what a stream cannot encode, as ASCII look-alikes or "?"."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    return "".join(LOOK_ALIKES.get(char, "?") for char in text), error.end


class Fitted:
    """A text stream that cannot encode the marks, writing ASCII ones for all: "+ x -" reads better than a mix."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        return self._stream.write(text.translate(ASCII_MARKS))

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):  # encoding, flush, fileno, isatty…: the stream's own.
        return getattr(self._stream, name)
