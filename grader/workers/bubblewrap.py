"""--sandbox: a grading's workers run inside one sandbox that bubblewrap (bwrap) makes, so that student code sees
nothing of the machine.

In the sandbox a worker has no network (a loopback of its own only), its own process ids (it sees
only the sandbox's processes), no capabilities, and a file system of a few things: the system's
programs and libraries (/usr and its links), the Python installation with its packages and the
grader's own package, all read-only; the submission's Python files and each worker's inputs,
read-only; and each worker's scratch folder, a tmpfs of --max-scratch megabytes, the one place it can
write: nothing it writes reaches the disk, and the folder is gone with the sandbox. Nothing else is
there: no home folder, no /tmp, no /etc but the loader's cache and the font settings, no other
student's files, and of the variables only the settings it needs. The sandbox dies with the grading
process.

bubblewrap only holds the sandbox (Sandbox): a process that has imported Keras then enters it
(grader/workers/namespaces.py) and forks the workers there (grader/workers/host.py), so that no sandboxed worker
imports Keras again. Different students never share a sandbox; a student's steps share one, each in
its own process, with a scratch folder of its own.

`--sandbox on` refuses to grade where that cannot be had (not Linux, no bwrap, no user namespaces);
`auto` uses it where it works and says once when it does not; `off` runs workers as before.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import shutil
import site
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.i18n import _
from grader.workers.users import as_user, hand_over

if TYPE_CHECKING:
    import pwd

MODES = ("auto", "on", "off")
GRADER = Path(__file__).resolve().parent.parent  # The grader's package: only it, not the checkout it may be in.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache", "/etc/fonts")
# The variables a sandboxed worker keeps: the grader's and the frameworks' settings, thread pools, language.
KEPT = ("MNIST_", "KERAS_", "JAX_", "XLA_", "TF_", "CUDA_", "NVIDIA_", "OMP_", "MKL_", "OPENBLAS_", "PYTHON", "LC_")
KEPT_NAMES = ("LANG", "LANGUAGE", "TZ", "HOME", "TMPDIR", "MPLCONFIGDIR")
# What the grading process itself keeps besides, when its memory is what sandboxed workers start from (a batch's).
GRADING_KEPT = ("XDG_",)
GRADING_KEPT_NAMES = ("PATH", "USER", "LOGNAME")
START_LIMIT = 60  # Seconds for bubblewrap to make the sandbox, and for a host to enter it: well under one.
# What bubblewrap runs in the sandbox, holding it until the grading closes its stdin: it says when all is mounted.
HOLD = "import sys; sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()"


class SandboxError(Exception):
    """--sandbox on cannot be had here; the message says why and what to do."""


def resolve(mode: str, device: str = "cpu", user: pwd.struct_passwd | None = None,
            say: Callable[[str], object] | None = None) -> bool:
    """Whether workers run under bubblewrap for `--sandbox MODE`, as `user` (MNIST_WORKER_USER) or this one.

    "on" raises SandboxError where they cannot; "auto" then calls say(why) once and returns False.
    """
    if mode == "off":
        return False
    reason = why_unavailable(user) if device == "cpu" else _("the sandbox trains on the CPU only (--device cpu)")
    if reason is None:
        return True
    if mode == "on":
        raise SandboxError(_("--sandbox on: {reason}. Fix that, or grade with --sandbox off.", reason=reason))
    if say:
        say(_("student code runs without a sandbox here: {reason} (--sandbox auto; INSTRUCTORS.md says what a "
              "submission can do then).", reason=reason))
    return False


@functools.cache
def why_unavailable(user=None):
    """Why workers cannot run in a sandbox here, or None when a process can enter one and import the worker there.
    Asked once per process: the processes a grading starts are told what it settled (GradingOptions)."""
    if not sys.platform.startswith("linux"):
        return _("the sandbox works on Linux only")
    if not shutil.which("bwrap"):
        return _("bubblewrap is not installed (Debian, Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap)")
    if "--size" not in bwrap_help():
        return _("this bubblewrap cannot limit the size of a scratch folder (it has no --size option): install a newer "
                 "one")
    from grader.workers import host

    with tempfile.TemporaryDirectory(prefix="mnist-sandbox-") as folder:
        os.chmod(folder, 0o711)
        scratch = Path(folder) / "scratch"
        scratch.mkdir()
        hand_over([scratch], user)
        try:
            with Sandbox(Path(folder), [], [scratch], scratch_mb=1, user=user) as sandbox:
                host.probe(sandbox, {**environment(os.environ), "PYTHONPATH": str(GRADER.parent)}, user)
        except (SandboxError, host.HostError, OSError) as error:
            return _("bubblewrap cannot start a sandbox here ({error}); user namespaces may be turned off, as in many "
                     "containers", error=str(error).strip().splitlines()[-1] if str(error).strip() else repr(error))
    return None


@functools.cache
def bwrap_help():
    try:
        return subprocess.run([shutil.which("bwrap"), "--help"], capture_output=True, encoding="utf-8",
                              errors="replace", timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


class Sandbox:
    """One grading's sandbox, which bubblewrap makes and holds until close(): see the module's docstring.

    `submission` (the copy of the student's Python files), each of `inputs` and `cache` (compiled
    programs, grader/workers/compiled.py) are readable at their own paths; each of `scratches` is a tmpfs of
    `scratch_mb` megabytes at its path. Once open, pid is a process in it, for a host to enter
    (grader/workers/host.py), and scratch(path) an open folder: what was written there, readable by the
    grading process even after the sandbox has ended, until close().
    """

    def __init__(self, submission, inputs, scratches, scratch_mb, cache=None, user=None):
        self.submission, self.inputs, self.scratches = Path(submission), list(inputs), list(scratches)
        self.scratch_mb, self.cache, self.user = scratch_mb, cache, user
        self.process, self.pid, self.folders = None, None, {}

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def command(self, info_fd):
        """The bwrap command line that makes this sandbox, writing its process id to `info_fd`."""
        readable = [path for path in SYSTEM if os.path.lexists(path)]
        readable += sorted(python_folders(readable))
        readable += [str(GRADER), str(self.submission), *map(str, self.inputs)]
        readable += [str(self.cache)] if self.cache else []
        options = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        for path in readable:
            options += ["--ro-bind", path, path]
        for path in self.scratches:
            options += ["--size", str(int(self.scratch_mb * (1 << 20))), "--tmpfs", str(path)]
        options += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--info-fd", str(info_fd)]
        return [shutil.which("bwrap"), *options, "--", sys.executable, "-I", "-S", "-c", HOLD]

    def open(self):
        """Make the sandbox and open its scratch folders; SandboxError, with bubblewrap's words, when it fails."""
        info_read, info_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                self.command(info_write), env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=[info_write],
                **as_user(self.user))
        finally:
            os.close(info_write)
        try:
            ready = _line(self.process.stdout, START_LIMIT)
            if ready != b"ready\n":
                self.process.kill()
                said = self.process.stderr.read().decode(errors="replace").strip()
                raise SandboxError(said or f"bwrap ended with exit code {self.process.wait()}")
            self.pid = _info(info_read, START_LIMIT)["child-pid"]
            for path in self.scratches:
                self.folders[str(path)] = self._opened_scratch(path)
        except (OSError, ValueError, KeyError) as error:
            self.close()
            raise SandboxError(str(error)) from None
        except BaseException:
            self.close()
            raise
        finally:
            os.close(info_read)
        return self

    def _opened_scratch(self, path):
        """The scratch folder at `path` as the sandbox has it (its tmpfs, not the folder under it), open."""
        descriptor = os.open(f"/proc/{self.pid}/root{path}", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        if os.fstat(descriptor).st_dev == os.stat(path).st_dev:
            os.close(descriptor)
            raise SandboxError(f"{path} is not the sandbox's own folder")
        return descriptor

    def scratch(self, path):
        """The open folder of the scratch at `path`, as a file descriptor (None once closed)."""
        return self.folders.get(str(path))

    def close(self):
        """End the sandbox and everything in it, and let go of its scratch folders: nothing of them is left."""
        for descriptor in self.folders.values():
            with contextlib.suppress(OSError):
                os.close(descriptor)
        self.folders = {}
        if self.process is not None:
            from grader.workers.processes import kill_tree

            kill_tree(self.process)  # bwrap's own process ends the sandbox's: the kernel kills the rest.
            for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
                with contextlib.suppress(OSError):
                    pipe.close()
            self.process = None


def _info(descriptor, timeout):
    """What bubblewrap wrote on its --info-fd, read whole: its sandbox may be ready before it has written it."""
    text, deadline = b"", time.monotonic() + timeout
    while True:
        try:
            return json.loads(text)
        except ValueError:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([descriptor], [], [], left)[0]:
                raise SandboxError("bwrap did not say which process holds the sandbox") from None
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                raise SandboxError(f"bwrap said {text.decode(errors='replace')!r}, not which process holds the "
                                   "sandbox") from None
            text += chunk


def _line(pipe, timeout):
    """A line from `pipe` within `timeout` seconds; b"" when it ends first or the time runs out."""
    line, deadline = b"", time.monotonic() + timeout
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([pipe], [], [], left)[0]:
            return b""
        chunk = os.read(pipe.fileno(), 1)
        if not chunk:
            return line
        line += chunk
    return line


def python_folders(system=()):
    """The folders Python and its packages are in, but those inside the `system` folders."""
    folders = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
               os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages()}
    if site.ENABLE_USER_SITE:
        folders.add(site.getusersitepackages())
    return {folder for folder in map(os.path.realpath, folders)
            if os.path.isdir(folder) and not any(Path(folder).is_relative_to(path) for path in system)}


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """A sandboxed worker's variables: those it needs from `env`, nothing else. Secrets the grading machine
    keeps in variables (tokens, keys) stay out."""
    kept = {name: value for name, value in env.items() if name.startswith(KEPT) or name in KEPT_NAMES
            or name.endswith("_NUM_THREADS")}
    return {**kept, "PATH": "/usr/bin:/bin"}


def grading_environment(env: Mapping[str, str]) -> dict[str, str]:
    """What a batch's sandboxed grading keeps of `env`: a worker's variables, and where programs and caches are.

    Its workers start as forks of it, with its memory: no secret of the batch's may be there.
    """
    kept = {name: value for name, value in env.items() if name.startswith(GRADING_KEPT) or name in GRADING_KEPT_NAMES}
    return {**environment(env), **kept}


@contextlib.contextmanager
def only_grading_environment() -> Iterator[None]:
    """Within: this process's variables are grading_environment()'s alone (for a process started in between)."""
    saved = dict(os.environ)
    kept = grading_environment(saved)
    try:
        for name in set(saved) - set(kept):
            del os.environ[name]
        os.environ.update(kept)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
