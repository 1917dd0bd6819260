"""--sandbox: run each worker under bubblewrap (bwrap), so that student code sees nothing of the machine.

Under bubblewrap a worker has no network (a loopback of its own only), its own process ids (it
sees only its own processes), no capabilities, and a file system of four things: the system's
programs and libraries (/usr and its links), the Python installation with its packages and the
grader's own package, all read-only; the submission's Python files, read-only; and its scratch
folder, the one place it can write. Nothing else is there: no home folder, no /tmp, no /etc but
the loader's cache and the font settings, no other worker's or student's files, and of the variables
only the settings it needs. It dies with the grading process.

`--sandbox on` refuses to grade where that cannot be had (not Linux, no bwrap, no user namespaces);
`auto` uses it where it works and says once when it does not; `off` runs workers as before.
"""

import functools
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.i18n import _

MODES = ("auto", "on", "off")
GRADER = Path(__file__).resolve().parent  # The grader's package: only it, not the checkout it may be in.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache", "/etc/fonts")
# The variables a sandboxed worker keeps: the grader's and the frameworks' settings, thread pools, language.
KEPT = ("MNIST_", "KERAS_", "JAX_", "XLA_", "TF_", "CUDA_", "NVIDIA_", "OMP_", "MKL_", "OPENBLAS_", "PYTHON", "LC_")
KEPT_NAMES = ("LANG", "LANGUAGE", "TZ", "HOME", "TMPDIR", "MPLCONFIGDIR")
PROBE_LIMIT = 60  # Seconds for a sandboxed Python to import the worker: well under one, unless the disk is slow.


class SandboxError(Exception):
    """--sandbox on cannot be had here; the message says why and what to do."""


def use(mode, device="cpu", user=None, say=None):
    """Whether workers run under bubblewrap for `--sandbox MODE`, as `user` (MNIST_WORKER_USER) or this one.

    "on" raises SandboxError where they cannot; "auto" then calls say(why) once and returns False.
    """
    if mode == "off":
        return False
    reason = problem(user) if device == "cpu" else _("the sandbox trains on the CPU only (--device cpu)")
    if reason is None:
        return True
    if mode == "on":
        raise SandboxError(_("--sandbox on: {reason}. Fix that, or grade with --sandbox off.", reason=reason))
    if say:
        say(_("student code runs without a sandbox here: {reason} (--sandbox auto; INSTRUCTORS.md says what a "
              "submission can do then).", reason=reason))
    return False


@functools.cache
def problem(user=None):
    """Why workers cannot run under bubblewrap here, or None when a sandboxed Python imports the worker.

    The answer is kept in MNIST_SANDBOX_CHECKED for the processes this one starts (a batch's gradings).
    """
    checked = user.pw_name if user else "-"
    if os.environ.get("MNIST_SANDBOX_CHECKED") == checked:
        return None
    if not sys.platform.startswith("linux"):
        return _("the sandbox works on Linux only")
    if not shutil.which("bwrap"):
        return _("bubblewrap is not installed (Debian, Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap)")
    with tempfile.TemporaryDirectory(prefix="mnist-sandbox-") as scratch:
        os.chmod(scratch, 0o755)
        if user:
            os.chown(scratch, user.pw_uid, user.pw_gid)
        try:
            probe = subprocess.run(
                command([sys.executable, "-P", "-c", "import grader.worker"], scratch, scratch),
                cwd=scratch, env={**environment(os.environ), "HOME": scratch}, stdin=subprocess.DEVNULL,
                capture_output=True, timeout=PROBE_LIMIT,
                **({"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}))
            said = probe.stderr.decode(errors="replace").strip().splitlines() or [f"exit code {probe.returncode}"]
            failed = probe.returncode != 0
        except (OSError, subprocess.SubprocessError) as error:
            said, failed = [str(error)], True
    if failed:
        return _("bubblewrap cannot start a sandbox here ({error}); user namespaces may be turned off, as in many "
                 "containers", error=said[-1])
    os.environ["MNIST_SANDBOX_CHECKED"] = checked
    return None


def command(argv, submission, scratch, niceness=0, cache=None):
    """`argv` run under bubblewrap: `submission` (a folder) and `cache` (compiled programs, grader/compiled.py)
    readable, `scratch` writable, at their own paths; with `niceness`, at that lower priority from its start."""
    readable = [path for path in SYSTEM if os.path.lexists(path)]
    readable += sorted(python_folders(readable))
    options = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    for path in readable:
        options += ["--ro-bind", path, path]
    options += ["--ro-bind", str(GRADER), str(GRADER)]
    options += ["--ro-bind", str(submission), str(submission), "--bind", str(scratch), str(scratch)]
    options += ["--ro-bind", str(cache), str(cache)] if cache else []
    options += ["--ro-bind", "/root/.cache/mnist-grade/jax", "/root/.cache/mnist-grade/jax"]
    options += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--remount-ro", "/"]
    nice = ["nice", "-n", str(niceness)] if niceness else []
    return [*nice, shutil.which("bwrap"), *options, "--chdir", str(scratch), *argv]


def python_folders(system=()):
    """The folders Python and its packages are in, but those inside the `system` folders."""
    folders = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
               os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages()}
    if site.ENABLE_USER_SITE:
        folders.add(site.getusersitepackages())
    return {folder for folder in map(os.path.realpath, folders)
            if os.path.isdir(folder) and not any(Path(folder).is_relative_to(path) for path in system)}


def environment(env):
    """A sandboxed worker's variables: those it needs from `env`, nothing else. Secrets the grading machine
    keeps in variables (tokens, keys) stay out."""
    kept = {name: value for name, value in env.items() if name.startswith(KEPT) or name in KEPT_NAMES
            or name.endswith("_NUM_THREADS")}
    return {**kept, "PATH": "/usr/bin:/bin"}
