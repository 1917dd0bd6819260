"""JAX's compiled programs for sandboxed workers: written by the grader's own code only, read-only to student code.

A model worker compiles a few dozen programs (the layers' operations, the training step), seconds of a grading
(INSTRUCTORS.md), and JAX keeps them in a cache folder (runtime.environment). Workers outside the sandbox share
that folder and write it. Under the sandbox no submission may write what another's training reads: sandboxed
workers read a folder of their own, read-only (folder()), which grader/engine/compiling.py writes by grading the
seed's own code (steps.toml's `reference`) outside the sandbox, once per machine and settings.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from grader.backend import runtime

if TYPE_CHECKING:
    import pwd

# What a compiled program depends on besides the code: the settings workers get (runtime.environment, thread pools).
SETTINGS = ("KERAS_BACKEND", "JAX_PLATFORMS", "XLA_FLAGS", "CUDA_VISIBLE_DEVICES", "JAX_DEFAULT_MATMUL_PRECISION")


def folder() -> Path:
    """Where sandboxed workers' compiled programs are kept: beside MNIST's cache, apart from other workers'."""
    return runtime.cache_file().parent / "jax-sandbox"


def key(env: Mapping[str, str]) -> str:
    """What the programs compiled with `env` depend on, as a short digest: versions and settings."""
    versions: dict[str, str | None] = {}
    for package in ("jax", "jaxlib", "keras"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    settings = {name: value for name, value in env.items() if name in SETTINGS or name.endswith("_NUM_THREADS")}
    text = json.dumps([sys.version, versions, sorted(settings.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def readable_folder(user: pwd.struct_passwd | None = None) -> Path | None:
    """folder() when sandboxed workers can read it, as `user` (MNIST_WORKER_USER) or this one; else None."""
    path = folder()
    if not path.is_dir():
        return None
    for part in [path, *path.parents]:  # Each must let the user through: owner, group or others.
        info = part.stat()
        if user is None or info.st_uid == user.pw_uid:
            continue
        if not info.st_mode & (0o010 if info.st_gid == user.pw_gid else 0o001):
            return None
    return path


