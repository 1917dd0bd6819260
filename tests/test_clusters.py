"""The cluster templates (`mnist-grade batch ... --template slurm|kubernetes|parallel --shards N`), run as they are:
the Slurm script on a real one-node cluster (tests/slurm.py), the Kubernetes manifest against the API's schema, its
shard and merge commands here."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
import slurm
from conftest import EXERCISES, SOLUTIONS, copy, mnist_grade
from nbformat import v4

from grader.course.assign import solution
from grader.course.steps import FILE_STEPS
from grader.instructor.batch import Shard

KUBERNETES = "1.33.0"  # The API version the manifest is checked against: backoffLimitPerIndex is GA from 1.33.


def class_of_eight(folder):
    """Eight submissions, each kind a batch meets: right, half right, hanging, a stub, a zip bomb, a broken zip, a
    notebook of the first three steps, nothing at all."""
    folder.mkdir(parents=True)
    copy(SOLUTIONS, folder / "right")
    copy(SOLUTIONS, folder / "half", normalize="def normalize_images(images):\n    return images / 255\n",
         fit="def fit_model(model, images, labels):\n    raise NotImplementedError\n")
    copy(EXERCISES, folder / "hang",  # Asleep: a loop that spins would take a processor for its time limit.
         reshape="import time\n\n\ndef reshape_images(images):\n    while True:\n        time.sleep(1)\n")
    copy(EXERCISES, folder / "stub")
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb/zeros.bin", "w") as member:
            for _ in range(200):
                member.write(bytes(1 << 20))  # 200 MB of zeros in about 200 kB.
    (folder / "broken.zip").write_bytes(b"not a zip")
    cells = [solution((SOLUTIONS / step.file).read_text()) for step in FILE_STEPS[:3]]
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(cell) for cell in cells]), folder / "notebook.ipynb")
    (folder / "empty").mkdir()
    return folder


def template(kind, submissions, out, *options):
    run = mnist_grade("batch", str(submissions), "--out", str(out), "--template", kind, *options)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "@@" not in run.stdout
    return run.stdout


def test_each_template_is_filled_in_and_parses(tmp_path):
    """The shell scripts pass `bash -n`; every value is in place; without --shards, or with SUBMISSIONS and RESULTS
    on no common folder (Kubernetes' volume), it is bad usage."""
    class_ = tmp_path / "class"
    copy(EXERCISES, class_ / "bob")
    for kind in ("slurm", "parallel"):
        script = tmp_path / f"{kind}.sh"
        script.write_text(template(kind, class_, tmp_path / "results", "--shards", "3", "--jobs", "2"))
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
        assert f"submissions={class_}\n" in script.read_text() and f"python={sys.executable}\n" in script.read_text()
    slurm_script = (tmp_path / "slurm.sh").read_text()
    assert "--array=0-$((shards - 1)) --ntasks=1 --cpus-per-task=2 --mem-per-cpu=4352M --time=0-00:25:00 --requeue" in \
        slurm_script  # One student, one round of 900 s, and 600 s to start.
    assert '--shard "$SLURM_ARRAY_TASK_ID/$shards" --timeout 900 --memory 4096 --sandbox auto\n' in slurm_script
    run = mnist_grade("batch", str(class_), "--out", str(tmp_path / "results"), "--template", "slurm")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == ("mnist-grade batch: --template needs --shards N, how many shards to grade the class in "
                          "(1 or more).\n")
    run = mnist_grade("batch", str(class_), "--out", "/", "--template", "kubernetes", "--shards", "2")
    assert run.returncode == 2 and "must be in one folder, the volume the pods share" in run.stderr


@pytest.mark.slow
@pytest.mark.needs("kubernetes")
def test_the_kubernetes_manifest_validates_and_its_commands_grade_here(tmp_path):
    """The manifest passes kubernetes-validate --strict for a named version; the shard Job is Indexed, with a
    per-index retry limit and a ReadWriteMany volume mounted where the class is; its command, run here with
    JOB_COMPLETION_INDEX set (and this interpreter for the image's venv), grades each shard; the merge's command
    then writes the gradebook."""
    import yaml

    course = tmp_path / "course"
    class_ = course / "class"
    copy(EXERCISES, class_ / "bob")
    (class_ / "frank.zip").write_bytes(b"not a zip")
    (class_ / "erin").mkdir()
    os.symlink(Path(os.environ["MNIST_DATA"]).resolve(), course / "mnist")  # Where the manifest says MNIST is.
    assert mnist_grade("classroom50", "bundle", str(course / "mnist-grader")).returncode == 0
    manifest = tmp_path / "job.yaml"
    manifest.write_text(template("kubernetes", class_, course / "results", "--shards", "2", "--jobs", "1",
                                 "--sandbox", "off"))
    checked = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", "-k", KUBERNETES,
                              str(manifest)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    documents = {(document["kind"], document["metadata"]["name"]): document
                 for document in yaml.safe_load_all(manifest.read_text())}
    assert documents[("PersistentVolumeClaim", "mnist-grade-class")]["spec"]["accessModes"] == ["ReadWriteMany"]
    shards = documents[("Job", "mnist-grade")]["spec"]
    assert (shards["completionMode"], shards["completions"], shards["parallelism"], shards["backoffLimitPerIndex"]) == (
        "Indexed", 2, 2, 2)
    merge = documents[("Job", "mnist-grade-merge")]["spec"]
    assert merge["suspend"] is True  # Started once the shards are done (kubectl patch, as the comments say).

    def run(job, **extra):
        container = job["template"]["spec"]["containers"][0]
        assert {"name": "class", "mountPath": str(course)} in container["volumeMounts"]
        env = {item["name"]: item["value"] for item in container.get("env", [])}
        env.update(PYTHON=sys.executable, **extra)  # The image's venv: this interpreter, with the same pins.
        base = {key: value for key, value in os.environ.items() if key != "MNIST_DATA"}
        return subprocess.run(container["command"], env={**base, **env}, cwd=tmp_path, capture_output=True,
                              text=True, timeout=600)

    for index in range(2):
        graded = run(shards, JOB_COMPLETION_INDEX=str(index))
        assert graded.returncode == 0, graded.stderr[-2000:]
        assert graded.stdout.startswith(f"Shard {index}/2: ")
    merged = run(merge)
    assert merged.returncode == 0, merged.stderr[-2000:]
    assert merged.stdout.startswith(f"3 submissions in {course / 'results' / 'grades.csv'}: 1 graded, 2 errors")


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.needs("parallel")
def test_the_parallel_script_grades_the_shards_on_its_hosts_then_merges(tmp_path):
    """The script --template parallel prints, run as it is with HOSTS listing this machine (`:`, no ssh): GNU parallel
    runs each shard, the merge writes the gradebook a single-machine batch writes."""
    class_ = tmp_path / "class"
    copy(EXERCISES, class_ / "bob")
    (class_ / "frank.zip").write_bytes(b"not a zip")
    (class_ / "erin").mkdir()
    script, hosts = tmp_path / "grade.sh", tmp_path / "hosts.txt"
    script.write_text(template("parallel", class_, tmp_path / "results", "--shards", "3", "--sandbox", "off"))
    hosts.write_text(":\n")
    graded = subprocess.run(["bash", str(script)], env={**os.environ, "HOME": str(tmp_path), "HOSTS": str(hosts)},
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert graded.stdout == (f"3 submissions in {tmp_path / 'results' / 'grades.csv'}: 1 graded, 2 errors, 0 timeouts, "
                             "0 over memory, 0 missing.\n")
    log = (tmp_path / "results" / "logs" / "parallel.log").read_text().splitlines()
    assert len(log) == 4 and all(line.split("\t")[6] == "0" for line in log[1:])  # Three shards, each exit 0.
    whole = tmp_path / "whole"
    assert mnist_grade("batch", str(class_), "--out", str(whole), "--sandbox", "off").returncode == 0
    for name in ("grades.csv", "checks.csv", "canvas.csv", "moodle.csv", "failures.csv"):
        assert (tmp_path / "results" / name).read_bytes() == (whole / name).read_bytes(), name


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s")


def job_state(cluster, job):
    """(JobState, ExitCode) of a job, as scontrol shows it."""
    shown = subprocess.run(["scontrol", "show", "job", str(job)], env=cluster.env, capture_output=True,
                           text=True).stdout
    state, code = re.search(r"JobState=(\S+)", shown), re.search(r"ExitCode=(\S+)", shown)
    return (state.group(1) if state else None), (code.group(1) if code else None)


def submitted(output):
    """The job ids the Slurm script says it submitted: (the array's, the merge's)."""
    found = re.search(r"Shards: job (\d+) \(array 0-\d+\); merge: job (\d+)\.", output)
    assert found, output
    return found.group(1), found.group(2)


@pytest.fixture
def cluster():
    """A one-node Slurm cluster, stopped after the test (its daemons by PID). Its folder is not under pytest's own,
    which only root may enter: munged runs as the munge user."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-slurm-"))
    folder.chmod(0o755)
    started = slurm.Cluster(folder)
    try:
        yield started.start()
    finally:
        started.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.needs("slurm")
def test_the_slurm_script_grades_as_one_machine_and_a_cancelled_shard_is_named_then_recovered(tmp_path, cluster):
    """The script --template slurm --shards 4 prints, run as it is on a one-node cluster, with shards cancelled while
    they grade: the merge job (which runs after its shards however they end) exits 1 naming exactly the students with
    no stored result; those indexes submitted again as the script says, the merge is whole and its gradebook equals a
    single-machine batch's, file for file."""
    class_ = class_of_eight(tmp_path / "class")
    options = ["--sandbox", "off", "--timeout", "120"]
    whole = tmp_path / "whole"
    alone = mnist_grade("batch", str(class_), "--out", str(whole), "--jobs", "2", *options)
    assert alone.returncode == 0, alone.stderr[-2000:]
    students = sorted(path.name.partition(".")[0] for path in class_.iterdir())
    shard_of = {name: next(index for index in range(4) if Shard(index, 4).holds(name)) for name in students}

    def graded_by_slurm(out):
        script = tmp_path / f"{out.name}.sh"
        script.write_text(template("slurm", class_, out, "--shards", "4", "--jobs", "1", *options))
        started = subprocess.run(["bash", str(script)], env=cluster.env, capture_output=True, text=True, timeout=60)
        assert started.returncode == 0, started.stderr
        return script, *submitted(started.stdout)

    def ended(job):
        return wait_for(lambda: (state := job_state(cluster, job))[0] in ("COMPLETED", "FAILED", "CANCELLED") and state,
                        600, f"job {job} to end")

    def same(out):
        for name in ("grades.csv", "checks.csv", "canvas.csv", "moodle.csv", "identical.txt", "failures.csv"):
            assert (out / name).read_bytes() == (whole / name).read_bytes(), name

    out = tmp_path / "faulty"
    script, array, merge = graded_by_slurm(out)
    hanging = shard_of["hang"]  # Its shard grades for 20 s at least: cancelled while it grades.
    cancelled = sorted({hanging, shard_of["right"]})
    wait_for(lambda: all(job_state(cluster, f"{array}_{index}")[0] == "RUNNING" for index in cancelled), 300,
             "the shards to cancel to run")
    subprocess.run(["scancel", *(f"{array}_{index}" for index in cancelled)], env=cluster.env, check=True)
    assert ended(merge) == ("FAILED", "1:0"), cluster.logs()  # The merge exits 1.
    assert sorted(path.name for path in (out / "logs").iterdir()) == [
        "merge.log", "shard-0.log", "shard-1.log", "shard-2.log", "shard-3.log"]
    log = (out / "logs" / "merge.log").read_text()
    unstored = sorted(name for name in students if not (out / name / "row.json").exists())
    assert "hang" in unstored and set(unstored) <= {name for name in students if shard_of[name] in cancelled}
    assert f"no stored result for {len(unstored)} students: {', '.join(unstored)}. Their shards did not finish" in log
    resources = re.search(r"`sbatch --array=I (.+) THIS_FILE`", script.read_text()).group(1)
    again = subprocess.run(["sbatch", "--parsable", "--wait", f"--array={','.join(map(str, cancelled))}",
                            *resources.split(), f"--output={out}/logs/again-%a.log", str(script)],
                           env=cluster.env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr + cluster.logs()
    merged = subprocess.run(["bash", str(script), "merge"], env=cluster.env, capture_output=True, text=True,
                            timeout=300)
    assert merged.returncode == 0, merged.stderr[-2000:]
    same(out)
    assert json.loads((out / "right" / "row.json").read_text())["row"]["total"] == 100
