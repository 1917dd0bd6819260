"""The user student code runs as: MNIST_WORKER_USER (when the grader runs as root, as on Gradescope), else the
grading process's own. Every process that runs student code, or holds its sandbox, is started as that user."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.i18n import _

if TYPE_CHECKING:
    import pwd

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # What holds the grader's package.


def grader_command(module: str, *args: object) -> list[str]:
    """`python -P -m MODULE ARGS` with this Python: a module of the grader, never one of the folder it runs in (-P
    keeps the working folder off sys.path: a student's checkout may hold a grader/ of its own)."""
    return [sys.executable, "-P", "-m", module, *map(str, args)]


def with_absolute_folders(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of `env` whose folders for MNIST, its cache and Keras's home are absolute: what a process that works
    in another folder needs to find them."""
    env = dict(env)
    for variable in ("MNIST_DATA", "MNIST_CACHE", "KERAS_HOME"):
        if env.get(variable):
            env[variable] = str(Path(env[variable]).resolve())
    return env


def grader_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default os.environ) with this grader's folder first on PYTHONPATH: a process of grader_command()
    imports the grader that started it."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    return env


def worker_user() -> pwd.struct_passwd | None:
    """The user workers run as (MNIST_WORKER_USER), or None: then they run as the grading process does."""
    name = os.environ.get("MNIST_WORKER_USER")
    if not name:
        return None
    if os.name != "posix":
        raise WorkerUserError(_("MNIST_WORKER_USER works on Linux and macOS only; unset it here."))
    import pwd

    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise WorkerUserError(_("MNIST_WORKER_USER is {user}, but there is no such user. Create it "
                                "(useradd --system {user}) or unset MNIST_WORKER_USER.", user=name)) from None
    if os.geteuid() != 0:
        raise WorkerUserError(_("MNIST_WORKER_USER is set, but only root can run workers as another user. "
                                "Grade as root, or unset MNIST_WORKER_USER.", user=name))
    return user


def check_worker_user() -> None:
    """Raise WorkerUserError unless MNIST_WORKER_USER is unset or can run this Python with the grader."""
    user = worker_user()
    if user is None:
        return
    try:
        subprocess.run([sys.executable, "-P", "-c", "import grader.workers.worker"], cwd="/", check=True,
                       capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}, **as_user(user))
    except (OSError, subprocess.CalledProcessError) as error:
        reason = getattr(error, "stderr", b"").decode(errors="replace").strip().splitlines()[-1:] or [str(error)]
        raise WorkerUserError(
            _(
                "MNIST_WORKER_USER is {user}, but {user} cannot run {python} with the grader ({reason}). "
                "Use a Python and packages outside folders only root can read, such as /root.",
                user=user.pw_name,
                python=sys.executable,
                reason=reason[0],
            )
        ) from None


class WorkerUserError(Exception):
    """MNIST_WORKER_USER cannot be used."""


def as_user(user: pwd.struct_passwd | None) -> dict:
    """The keyword arguments of subprocess.Popen that start a process as `user` (worker_user()), or {} for None."""
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}


def hand_over(paths: Iterable[Path], user: pwd.struct_passwd | None) -> None:
    """Give each of `paths` to `user`, when there is one, so that its processes can write there."""
    if user is None:
        return
    for path in paths:
        os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
