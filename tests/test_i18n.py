"""Every student-facing message exists in English and in Chinese, with the same placeholders."""

import ast
import string
import tomllib
from pathlib import Path

import pytest

from grader.course.i18n import _
from grader.course.steps import STEPS

GRADER = Path(__file__).resolve().parent.parent / "grader"


def english_messages():
    """Each message the code marks for translation: _("...") and N_("...") literals, and each check's label."""
    found = {}
    for path in sorted(GRADER.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
            if path.name.startswith("test_") and isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.setdefault(ast.get_docstring(node).splitlines()[0], f"{path.name}:{node.lineno}")
    return found


def chinese():
    with open(GRADER / "course" / "zh.toml", "rb") as file:
        return tomllib.load(file)


def fields(text):
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)


def test_every_message_has_chinese():
    missing = [f"{where}: {text}" for text, where in english_messages().items() if text not in chinese()]
    assert missing == []


def test_every_chinese_text_has_its_message():
    assert sorted(set(chinese()) - set(english_messages())) == []


def test_chinese_keeps_the_placeholders():
    wrong = [text for text, zh in chinese().items() if fields(text) != fields(zh)]
    assert wrong == []


@pytest.mark.parametrize("step", STEPS)
def test_every_step_text_is_in_both_languages(step):
    texts = [STEPS[step].title, STEPS[step].explain, *STEPS[step].hints]
    texts += [STEPS[step].on_error] if STEPS[step].on_error else []
    assert all(set(text) == {"en", "zh"} and all(text.values()) for text in texts)
    assert len(STEPS[step].hints) == 3


def test_lang_zh_and_a_chinese_locale_choose_chinese(monkeypatch):
    monkeypatch.delenv("MNIST_LANG")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert _("fix {step} first", step="build") == chinese()["fix {step} first"].format(step="build")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert _("fix {step} first", step="build") == "fix build first"
    monkeypatch.setenv("MNIST_LANG", "zh")
    assert _("fix {step} first", step="build") != "fix build first"
