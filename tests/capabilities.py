"""What a test may need that a machine may lack, as a pytest plugin: @pytest.mark.needs("sandbox").

A test marked needs(NAME) is skipped where NAME is missing, saying why: fine on a laptop. Where
MNIST_REQUIRE names it (a comma-separated list; .ci/run names what CI installs), its absence fails
the test instead, with the same reason: a skip there would hide a failure. The GPU and other
systems are no capabilities: their skips stay skips.
"""

import functools
import importlib.util
import os
import sys
from pathlib import Path

import pytest

REQUIRE = "MNIST_REQUIRE"


def _modules(extra, *names):
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    return f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed: pip install -e " \
           f"'.[{extra}]'" if missing else None


def _sandbox():
    from grader.workers import bubblewrap

    reason = bubblewrap.why_unavailable()
    return f"the sandbox cannot run here: {reason}" if reason else None


def chromium():
    """The Chromium (or Chrome) the browser tests drive: MNIST_CHROMIUM, else the first on PATH; None if none."""
    import shutil

    chosen = os.environ.get("MNIST_CHROMIUM")
    if chosen:
        return chosen if Path(chosen).exists() else None
    return next((found for name in ("chromium", "chromium-browser", "google-chrome", "chrome")
                 if (found := shutil.which(name))), None)


def _browser():
    if _modules("test", "playwright"):
        return _modules("test", "playwright")
    if chromium() is None:
        return "no Chromium is installed (Debian, Ubuntu: apt install chromium), or set MNIST_CHROMIUM to one"
    return None


def _actionlint():
    import shutil

    if shutil.which("actionlint") is None and not (Path(sys.executable).parent / "actionlint").exists():
        return "actionlint is not installed: pip install -e '.[test]'"
    return None


def _root():
    if os.name != "posix" or os.geteuid() != 0:
        return "needs root, as Gradescope's image has"
    return None if Path("/usr/bin/python3.11").exists() else "needs /usr/bin/python3.11, as Gradescope's image has"


def _locales():
    import shutil

    charmaps, sources = Path("/usr/share/i18n/charmaps"), Path("/usr/share/i18n/locales")
    if shutil.which("localedef") is None or not any((charmaps / name).exists() for name in ("GBK", "GBK.gz")) \
            or not (sources / "zh_CN").exists():
        return "a zh_CN.GBK locale cannot be made here: localedef or its sources are missing (Debian, Ubuntu: apt " \
               "install locales)"
    return None


def _parallel():
    import shutil
    import subprocess

    found = shutil.which("parallel")
    if found and "GNU parallel" in subprocess.run([found, "--version"], capture_output=True, text=True).stdout:
        return None
    return "GNU parallel is not installed (Debian, Ubuntu: apt install parallel; moreutils' parallel is another tool)"


GITLAB_CI_LOCAL = "gitlab-ci-local@4.73.0"  # The last that runs on Node.js 20; 4.74 needs Node.js 22.


def _gitlab():
    import shutil
    import subprocess

    if _modules("test", "check_jsonschema"):
        return _modules("test", "check_jsonschema")
    if shutil.which("rsync") is None:
        return "rsync, which gitlab-ci-local copies the repository with, is not installed (Debian, Ubuntu: apt " \
               "install rsync)"
    found = shutil.which("gitlab-ci-local")
    runs = found and subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60).returncode == 0
    return None if runs else f"gitlab-ci-local is not installed, or does not run on this Node.js: npm install -g " \
                             f"{GITLAB_CI_LOCAL}"


def _slurm():
    import slurm

    return slurm.why_unavailable()


# Each capability, and why it is missing here (None when it is not).
CAPABILITIES = {
    "sandbox": _sandbox,
    "plots": lambda: _modules("plots", "matplotlib"),
    "notebook": lambda: _modules("notebook", "nbclient", "ipykernel"),
    "tensorflow": lambda: _modules("tensorflow", "tensorflow"),
    "yaml": lambda: _modules("test", "yaml"),
    "nbgrader": lambda: _modules("nbgrader", "nbgrader"),
    "browser": _browser,
    "actionlint": _actionlint,
    "root": _root,
    "locales": _locales,  # A non-UTF-8 locale (zh_CN.GBK, as on Chinese Windows) made with localedef.
    "slurm": _slurm,  # A one-node cluster of Debian's slurm-wlm and munge, started as root (tests/slurm.py).
    "kubernetes": lambda: _modules("test", "kubernetes_validate"),
    "parallel": _parallel,  # GNU parallel, which the parallel template runs (here on this machine alone, `:`).
    "junit": lambda: _modules("test", "xmlschema", "junitparser"),  # What reads the JUnit XML back.
    # gitlab-ci-local (npm), which runs a .gitlab-ci.yml job here, and check-jsonschema, which holds it to GitLab's
    # schema.
    "gitlab": _gitlab,
}


@functools.cache
def missing(name):
    """Why the capability `name` is missing here, or None."""
    return CAPABILITIES[name]()


def required():
    """The capabilities MNIST_REQUIRE names; pytest.UsageError for a name that is none."""
    names = [name.strip() for name in os.environ.get(REQUIRE, "").split(",") if name.strip()]
    unknown = [name for name in names if name not in CAPABILITIES]
    if unknown:
        raise pytest.UsageError(f"{REQUIRE} names {', '.join(unknown)}, which the tests do not know; the "
                                f"capabilities are {', '.join(CAPABILITIES)}.")
    return names


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(name): a capability the test needs, skipped without it unless "
                                       f"{REQUIRE} names it ({', '.join(CAPABILITIES)})")
    required()


@pytest.hookimpl(tryfirst=True)  # Before the test's fixtures, which may need what is missing.
def pytest_runtest_setup(item):
    for marker in item.iter_markers("needs"):
        need(marker.args[0])


def need(name):
    """Skip the running test, or fixture, where the capability `name` is missing; fail it when MNIST_REQUIRE names
    it. What a needs(NAME) mark does, for a fixture that needs NAME."""
    __tracebackhide__ = True
    if name not in CAPABILITIES:
        pytest.fail(f"needs({name!r}): there is no such capability; they are {', '.join(CAPABILITIES)}")
    reason = missing(name)
    if reason and name in required():
        pytest.fail(f"{REQUIRE} requires {name}, but {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)
