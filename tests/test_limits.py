"""Size limits: a submission too large, a zip bomb, a zip whose directory lies; refused before anything is copied
or unpacked, with a gradebook row that names the limit, and nothing left on disk."""

import io
import json
import os
import re
import struct
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, SOLUTIONS, arrays_done

from grader.course.steps import FILE_STEPS
from grader.engine import limits


def with_solutions(path, name="alice"):
    """A zip holding the six reference files under `name`/, open for more members."""
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
    for step in FILE_STEPS:
        archive.write(SOLUTIONS / step.file, f"{name}/{step.file}")
    return archive


def zeros(archive, name, megabytes):
    """Add a member of `megabytes` MB of zeros: a few kB once deflated."""
    with archive.open(name, "w") as member:
        for _ in range(megabytes):
            member.write(bytes(limits.MB))


def lie(path, name, size):
    """Make the zip's local header and central directory say that member `name` unpacks to `size` bytes."""
    data, encoded = bytearray(path.read_bytes()), name.encode()
    # (signature, where the uncompressed size is, where the name is) in a local header and a directory entry.
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(signature)
        while data[at + name_at:at + name_at + len(encoded)] != encoded:
            at = data.find(signature, at + 1)
        data[at + size_at:at + size_at + 4] = struct.pack("<I", size)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(name).file_size == size


def batch(class_, out, tmp_path, *options):
    """Run mnist-grade batch with its temporary files in a folder of the test's own; return the process."""
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(scratch)}
    return subprocess.run([sys.executable, "-m", "grader.cli", "batch", str(class_), "--out", str(out), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)


def row(out, student):
    return json.loads((out / student / "row.json").read_text())["row"]


@pytest.mark.slow
def test_zip_bombs_too_many_files_and_large_folders_are_refused_before_anything_is_unpacked(tmp_path):
    """Each entry passes one limit: its gradebook row says error, its feedback names the limit and what to do,
    no grading starts, and nothing of it is left in the temporary folder."""
    class_ = tmp_path / "class"
    class_.mkdir()
    with with_solutions(class_ / "bomb.zip") as archive:
        zeros(archive, "alice/zeros.bin", 200)  # 200 MB in about 200 kB.
    with with_solutions(class_ / "dense.zip") as archive:
        zeros(archive, "alice/zeros.bin", 10)  # Within the size, not the ratio.
    with with_solutions(class_ / "many.zip") as archive:
        for i in range(1001):
            archive.writestr(f"alice/junk/{i}.txt", "x")
    with with_solutions(class_ / "liar.zip") as archive:
        zeros(archive, "alice/zeros.bin", 200)
    lie(class_ / "liar.zip", "alice/zeros.bin", 1000)
    large = arrays_done(class_ / "large")
    with open(large / "data.bin", "wb") as file:
        file.truncate(60 * limits.MB)  # Sparse: 60 MB as the file system counts it, nothing on the disk.
    crowded = arrays_done(class_ / "crowded")
    for i in range(1001):
        (crowded / f"{i}.txt").write_text("x")
    with open(class_ / "heavy.ipynb", "wb") as file:
        file.truncate(51 * limits.MB)
    out = tmp_path / "out"

    run = batch(class_, out, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].endswith(": 0 graded, 7 errors, 0 timeouts, 0 over memory.")
    feedback = {student: (out / student / "feedback.txt").read_text() for student in
                ("bomb", "dense", "many", "liar", "large", "crowded", "heavy")}
    ratio = re.search(r"unpacks to ([\d,]+) times", feedback["dense"]).group(1)
    assert int(ratio.replace(",", "")) > 100  # Zeros deflate about a thousand times, by how much depends on zlib.
    feedback["dense"] = feedback["dense"].replace(ratio, "RATIO", 1)
    assert feedback == {
        "bomb": "bomb.zip unpacks to 200 MB, more than the limit of 50 MB (--max-size): zip only your step files "
                "and the Python modules they use, and submit again.\n",
        "dense": "dense.zip: alice/zeros.bin unpacks to RATIO times its compressed size, more than the limit of 100 "
                 "times (--max-ratio), as a zip bomb does; nothing of dense.zip was unpacked.\n",
        "many": "many.zip holds more than 1,000 files, the limit (--max-files): keep only your step files and the "
                "Python modules they use, and submit again.\n",
        "liar": "liar.zip is not a readable zip file (Bad CRC-32 for file 'alice/zeros.bin').\n",
        "large": "large holds 60 MB, more than the limit of 50 MB (--max-size): keep only your step files and the "
                 "Python modules they use, and submit again.\n",
        "crowded": "crowded holds more than 1,000 files, the limit (--max-files): keep only your step files and the "
                   "Python modules they use, and submit again.\n",
        "heavy": "heavy.ipynb is 51 MB, more than the limit of 50 MB (--max-size): clear the notebook's outputs (in "
                 "Jupyter: Edit, Clear Outputs of All Cells), save it and submit it again.\n",
    }
    assert {student: row(out, student)["status"] for student in feedback} == dict.fromkeys(feedback, "error")
    assert list((tmp_path / "tmp").iterdir()) == []  # Nothing unpacked or copied is left.


@pytest.mark.slow
def test_limits_are_options_and_only_python_files_are_copied_once_for_all_workers(tmp_path):
    """A folder over the default size is graded with --max-size raised; its workers import one copy of its
    Python files (a module it imports included) and see nothing else of it."""
    class_ = tmp_path / "class"
    large = arrays_done(class_ / "large")
    with open(large / "data.bin", "wb") as file:
        file.truncate(60 * limits.MB)
    (large / "helper.py").write_text(
        "import os\n\n\ndef where():\n    return sorted(os.listdir(os.path.dirname(__file__)))\n")
    for step in ("reshape", "normalize"):  # Each fails, saying what its folder holds and where it is.
        (large / f"{step}.py").write_text(
            f"import os\nimport helper\n\n\ndef {step}_images(images):\n"
            "    raise RuntimeError(f'{helper.where()} in {os.path.dirname(__file__)}')\n")
    out = tmp_path / "out"

    run = batch(class_, out, tmp_path, "--max-size", "100", "--sandbox", "off")
    assert run.returncode == 0, run.stderr
    assert (row(out, "large")["status"], str(row(out, "large")["one_hot"])) == ("graded", "10")
    said = [line.split("RuntimeError: ", 1)[1] for line in (out / "large" / "feedback.txt").read_text().splitlines()
            if "RuntimeError: " in line]
    listed = str(sorted(["build.py", "compile.py", "fit.py", "helper.py", "normalize.py", "one_hot.py", "reshape.py"]))
    assert len(said) == 2 and said[0] == said[1] and said[0].startswith(listed + " in ")  # One copy, .py only.
    assert said[0].endswith(os.sep + "submission")


def test_extraction_stops_at_the_limit_whatever_the_directory_says(tmp_path, monkeypatch):
    """Bytes are counted as they are written: a member that unpacks to more than its directory says (here,
    zipfile made to yield zeros without end) stops at the size limit, and nothing past it is written."""
    with with_solutions(tmp_path / "small.zip"):
        pass

    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = bytes(len(buffer))
            return len(buffer)

    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info, *args: io.BufferedReader(Endless()))
    with pytest.raises(limits.TooLarge) as refused:
        limits.extract(tmp_path / "small.zip", tmp_path / "unpacked", limits.Limits(size_mb=1))
    assert str(refused.value) == ("small.zip unpacked to more than its directory says, past the limit of 1 MB "
                                  "(--max-size); nothing of it is graded.")
    written = sum(path.stat().st_size for path in (tmp_path / "unpacked").rglob("*") if path.is_file())
    assert written <= limits.MB


def test_a_local_grading_refuses_a_folder_of_too_many_python_files(tmp_path):
    """A grading copies a folder's Python files within its limits too (a batch's, given in its GradingOptions): past
    them, exit 2 and why."""
    from grader.engine.limits import Limits
    from grader.engine.options import GradingOptions
    from grader.engine.spawn import in_a_process

    folder = arrays_done(tmp_path / "work")
    for i in range(3):
        (folder / f"module_{i}.py").write_text("")
    run = in_a_process(GradingOptions(str(folder), limits=Limits(files=8)), cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert run.returncode == 2
    assert run.stderr == ("mnist-grade: work holds more than 8 files, the limit (--max-files): keep only your step "
                          "files and the Python modules they use, and submit again.\n")


def test_a_gradescope_submission_past_a_limit_gets_a_result_saying_which(tmp_path):
    """The upload is checked before it is copied: results.json has score 0 and the limit."""
    from grader.instructor.gradescope import run

    upload = arrays_done(tmp_path / "submission")
    with open(upload / "model.keras", "wb") as file:
        file.truncate(80 * limits.MB)
    assert run(tmp_path, within=limits.Limits()) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["output"] == ("submission holds 80 MB, more than the limit of 50 MB (--max-size): keep only your "
                                 "step files and the Python modules they use, and submit again.")
