"""`mnist-grade batch SUBMISSIONS --out RESULTS --template slurm|kubernetes|parallel --shards N`: the job script or
manifest that grades the class as N shards (`batch --shard I/N`, grader/instructor/batch.py) and then merges them
(`batch --merge`), filled in with these paths, N, the batch's options and what runs the grader: this interpreter
(Slurm, GNU parallel) or a Python image that installs the grader's pinned versions (Kubernetes).

The templates are files beside this module, template-KIND.* (grader/instructor/templates.py).
"""

import json
import math
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.course.i18n import _
from grader.instructor.templates import fill

TEMPLATES = {"slurm": "slurm.sh", "kubernetes": "kubernetes.yaml", "parallel": "parallel.sh"}
IMAGE = "python:3.11-slim"  # Kubernetes: the grader's Python; each pod installs the pinned grader into it.
RETRIES = 2  # Kubernetes: the tries an index gets after its first (backoffLimitPerIndex).
START_SECONDS = 600  # What a shard may spend besides grading (start, MNIST, warm server), in its time limit.
NAME = "mnist-grade"


@dataclass(frozen=True)
class Cluster:
    """A class to grade as `shards` shards: its folders (absolute), its count of students, the cores each shard grades
    with (one student per core) and the batch's options besides (`options` for the shards, `merge_options` for the
    merge, as command-line words), its time and memory limit per student."""

    kind: str
    submissions: Path
    results: Path
    shards: int
    students: int
    cores: int = 4
    timeout: float = 900
    memory_mb: int = 4096
    options: tuple = ()
    merge_options: tuple = ()

    @property
    def per_shard(self):
        return math.ceil(self.students / self.shards) if self.students else 0


class TemplateError(Exception):
    """The template cannot be filled in for this class; the message says why and what to do."""


def render(cluster: Cluster, env: Mapping[str, str] | None = None) -> str:
    """The filled-in template of `cluster`, as text; MNIST_DATA comes from `env` (default os.environ)."""
    env = os.environ if env is None else env
    values = {"submissions": str(cluster.submissions), "submissions_q": shlex.quote(str(cluster.submissions)),
              "results_q": shlex.quote(str(cluster.results)), "shards": cluster.shards, "students": cluster.students,
              "per_shard": cluster.per_shard, "cores": cluster.cores, "timeout": f"{cluster.timeout:g}",
              "python": shlex.quote(sys.executable), "options": shlex.join(cluster.options),
              "merge_options": shlex.join(cluster.merge_options)}
    mnist = env.get("MNIST_DATA")
    values["mnist_data"] = (f"export MNIST_DATA={shlex.quote(str(Path(mnist).resolve()))}" if mnist else
                            "export MNIST_DATA=${MNIST_DATA:-}  # Not set where this was made: each node's own cache.")
    if cluster.kind == "slurm":
        values["resources"] = slurm_resources(cluster)
    elif cluster.kind == "kubernetes":
        values.update(kubernetes_values(cluster, mnist))
    return fill(TEMPLATES[cluster.kind], values)


def slurm_resources(cluster):
    """sbatch's options for one shard: its cores, memory per core (a student's limit and a little), the longest it can
    take (every one of its students to the time limit, a core each) and a requeue when its node fails."""
    seconds = math.ceil(cluster.per_shard / cluster.cores) * cluster.timeout + START_SECONDS
    minutes = math.ceil(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    return (f"--ntasks=1 --cpus-per-task={cluster.cores} --mem-per-cpu={cluster.memory_mb + 256}M "
            f"--time={days}-{minutes // 60:02d}:{minutes % 60:02d}:00 --requeue")


def kubernetes_values(cluster, mnist):
    """The manifest's values: the volume is mounted where the class is on this machine (the folder holding
    SUBMISSIONS and RESULTS), so that every path in it is the same in a pod."""
    mount = Path(os.path.commonpath([cluster.submissions, cluster.results]))
    if mount == Path(mount.anchor):
        raise TemplateError(_("SUBMISSIONS and RESULTS must be in one folder, the volume the pods share; {submissions} "
                              "and {results} are not.", submissions=cluster.submissions, results=cluster.results))
    bundle = mount / "mnist-grader"
    if mnist and Path(mnist).resolve().is_relative_to(mount):
        mnist = Path(mnist).resolve()
    else:
        mnist = mount / "mnist"
    shard = (f'exec "$PYTHON" -P -m grader.cli batch {shlex.quote(str(cluster.submissions))} --out '
             f'{shlex.quote(str(cluster.results))} --shard "$JOB_COMPLETION_INDEX/{cluster.shards}" --jobs '
             f"{cluster.cores} {shlex.join(cluster.options)}").strip()
    merge = (f'exec "$PYTHON" -P -m grader.cli batch {shlex.quote(str(cluster.submissions))} --out '
             f"{shlex.quote(str(cluster.results))} --merge {shlex.join(cluster.merge_options)}").strip()
    install = ("python -m venv /grader/venv && /grader/venv/bin/pip install --quiet --disable-pip-version-check "
               f"--retries 5 -r {shlex.quote(str(bundle / 'source' / 'requirements.txt'))}")
    return {"mount": json.dumps(str(mount)), "bundle": str(bundle), "bundle_source": json.dumps(str(bundle / "source")),
            "mnist": json.dumps(str(mnist)), "name": NAME, "claim": f"{NAME}-class", "image": IMAGE, "retries": RETRIES,
            "memory_request": f"{2048 * cluster.cores}Mi",
            "memory_limit": f"{cluster.memory_mb * cluster.cores + 1024}Mi",
            "shard_command": json.dumps(shard), "merge_command": json.dumps(merge),
            "install_command": json.dumps(install)}
