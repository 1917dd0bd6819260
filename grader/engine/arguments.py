"""The grading's settings as command-line options, declared once for every command that takes them (mnist-grade,
batch, gradescope), and each command's parser with the --lang option they all take."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from grader.course.i18n import LANGUAGES, _


def language() -> argparse.ArgumentParser:
    """The --lang option every command takes (choose_language has applied it already)."""
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument("--lang", choices=LANGUAGES, help=_("the language of every message (default: from the locale)"))
    return option


def choose_language(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """Apply --lang, wherever it is on the command line, for this command and the processes it starts (as
    MNIST_LANG); return (argv without it, the language it gave or None). A value that is not a language stays,
    for argparse to refuse."""
    rest, chosen, i = [], None, 0
    while i < len(argv):
        arg = argv[i]
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.partition("=")[2] if arg.startswith(
            "--lang=") else None
        if value in LANGUAGES:
            os.environ["MNIST_LANG"] = chosen = value
            i += 2 if arg == "--lang" else 1
            continue
        rest.append(arg)
        i += 1
    return rest, chosen


def text(value: str) -> str:
    """argparse's type of an option that is text to write (a gradebook's column): as typed. Where the locale's
    encoding (GBK) is not the terminal's (UTF-8), Python keeps the bytes it cannot read as surrogates, which no file
    can hold: those read as UTF-8 instead; ArgumentTypeError if they are not UTF-8 either."""
    if not any("\udc80" <= character <= "\udcff" for character in value):
        return value
    try:
        return os.fsencode(value).decode("utf-8")
    except UnicodeError:
        raise argparse.ArgumentTypeError(_(
            "{value} is neither in this locale's encoding nor in UTF-8: set LANG (or LC_ALL) to your terminal's "
            "encoding, then run the command again.", value=ascii(value))) from None


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, description: str,
                epilog: str | None = None) -> argparse.ArgumentParser:
    """The parser of `mnist-grade NAME` among `commands` (argparse subparsers), with --lang."""
    return commands.add_parser(name, parents=[language()], prog=f"mnist-grade {name}", description=description,
                               epilog=epilog, add_help=True)


def device_option(parser: argparse.ArgumentParser) -> None:
    from grader.backend.runtime import DEVICES

    parser.add_argument("--device", choices=DEVICES,
                        help=_("train on the CPU (the default) or a GPU; MNIST_DEVICE sets the default"))


def sandbox_option(parser: argparse.ArgumentParser, default: str) -> None:
    from grader.workers.bubblewrap import MODES

    parser.add_argument("--sandbox", choices=MODES, default=default, help=_(
        "run student code under bubblewrap, with no network and nothing of this machine to see: on, off, or "
        "auto, where it works (default: {default})", default=default))
