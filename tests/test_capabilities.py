"""The suite's own rules: a test whose capability is missing is skipped, saying why, unless MNIST_REQUIRE names it,
and then it fails; the session runs with a home and caches of its own."""

import os
import sys
from pathlib import Path

import capabilities
import pytest
from conftest import FRESH_HOME

NEEDS_A_UNICORN = """
import pytest


@pytest.mark.needs("unicorn")
def test_rides():
    pass


def test_walks():
    pass
"""


@pytest.fixture
def unicorn(monkeypatch, pytester):
    """A capability no machine has, and a file of two tests, one of which needs it."""
    monkeypatch.setitem(capabilities.CAPABILITIES, "unicorn", lambda: "there is no unicorn here")
    capabilities.missing.cache_clear()
    pytester.makepyfile(NEEDS_A_UNICORN)
    yield pytester
    capabilities.missing.cache_clear()


def test_a_missing_capability_skips_its_test_saying_why(unicorn, monkeypatch):
    monkeypatch.delenv(capabilities.REQUIRE, raising=False)
    result = unicorn.runpytest("-p", "capabilities", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: there is no unicorn here"])


def test_where_mnist_require_names_it_a_missing_capability_fails_its_test(unicorn, monkeypatch):
    monkeypatch.setenv(capabilities.REQUIRE, "sandbox, unicorn")
    result = unicorn.runpytest("-p", "capabilities")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*MNIST_REQUIRE requires unicorn, but there is no unicorn here"])
    assert result.ret == 1


def test_mnist_require_with_a_name_that_is_no_capability_stops_the_session(unicorn, monkeypatch):
    monkeypatch.setenv(capabilities.REQUIRE, "sandbox,bubblewarp")
    result = unicorn.runpytest("-p", "capabilities")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*MNIST_REQUIRE names bubblewarp, which the tests do not know; the capabilities are "
                                 "sandbox, plots, notebook, tensorflow, yaml, nbgrader, browser, actionlint, root, "
                                 "locales, slurm, kubernetes, parallel, junit, gitlab, unicorn."])


@pytest.mark.skipif(sys.platform == "win32", reason="pwd is POSIX's")
def test_the_session_has_a_home_of_its_own():
    """Not the user's: what the tests run can neither read caches there nor leave any."""
    import pwd

    users = Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert Path.home() == FRESH_HOME != users and os.environ["XDG_CACHE_HOME"] == str(FRESH_HOME / ".cache")
    assert not any(Path(os.environ[name]).is_relative_to(users) for name in ("KERAS_HOME", "MNIST_CACHE"))
