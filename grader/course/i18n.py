"""The student's language: English, or Chinese with --lang zh or a zh_* locale.

Messages are written in English in the code, wrapped in _(); grader/course/zh.toml gives each its Chinese.
tests/test_i18n.py fails when a message has no Chinese, or Chinese has no message.
"""

import contextlib
import contextvars
import functools
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

LANGUAGES = ("en", "zh")
# speaking()'s language, in this thread and context only.
SPOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar("SPOKEN", default=None)


def lang() -> str:
    """"zh" or "en": speaking()'s within it; else MNIST_LANG (which --lang sets) when set, otherwise the locale."""
    spoken = SPOKEN.get()
    if spoken is not None:
        return spoken
    chosen = os.environ.get("MNIST_LANG")
    if chosen in LANGUAGES:
        return chosen
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


@functools.cache
def chinese() -> dict[str, str]:
    with open(Path(__file__).with_name("zh.toml"), "rb") as file:
        return tomllib.load(file)


def _(text: str, **params: object) -> str:
    """`text` in the student's language, with its {placeholders} filled from `params`."""
    return in_language(lang(), text, **params)


def in_language(language: str, text: str, **params: object) -> str:
    """`text` in `language` ("en" or "zh"), whatever the student's: for what is written for others (a notebook in
    the language it is made for). Mark `text` with N_() where it is written, so that it is translated."""
    if language == "zh":
        text = chinese().get(text, text)
    return text.format(**params) if params else text


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within, in this thread only: every message in `language` (what goes into a file, in a batch's thread)."""
    token = SPOKEN.set(language)
    try:
        yield
    finally:
        SPOKEN.reset(token)


def again(command: str, lang: str | None = None) -> str:
    """A command the student is told to run next, with `lang`, the --lang the command that says it was given."""
    return f"{command} --lang {lang}" if lang else command


def N_(text: str) -> str:
    """Mark `text` as a message to translate where it is used, with _(); return it unchanged."""
    return text


def pick(texts: dict[str, str]) -> str:
    """The student's language's entry of a {"en": ..., "zh": ...} table from steps.toml."""
    if not isinstance(texts, dict):
        return texts
    return texts.get(lang()) or texts["en"]
