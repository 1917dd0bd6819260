"""The course itself: every solution passes, every stub fails as "not attempted", and the files keep their style."""

import ast
import json
import subprocess
import sys

import pytest
from conftest import EXERCISES, ROOT, SOLUTIONS, accuracy_in

from grader.course.steps import ACCURACY_BAR, FILE_STEPS, REFERENCE_ACCURACY, REFERENCE_BAND, STEPS

SOLUTIONS_REPORT = """\
✓ reshape    10/10
✓ normalize  10/10
✓ one_hot    10/10
✓ build      20/20
✓ compile    15/15
✓ fit        15/15
✓ accuracy   20/20  test accuracy {accuracy}

Score: 100/100 (7 of 7 steps done)
All checks passed. Well done!
"""


@pytest.mark.slow
def test_solutions_pass_every_check(graded_solutions):
    accuracy = accuracy_in(graded_solutions.stdout)
    assert graded_solutions.returncode == 0, graded_solutions.stdout + graded_solutions.process.stderr
    assert graded_solutions.stdout.endswith(SOLUTIONS_REPORT.format(accuracy=accuracy)), graded_solutions.stdout
    assert graded_solutions.process.stderr == ""  # No TensorFlow log lines, no warnings.
    assert graded_solutions.results["score"] == 100
    assert all(test["status"] == "passed" for test in graded_solutions.results["tests"])


@pytest.mark.slow
def test_reference_accuracy_lies_in_the_measured_band(graded_solutions):
    """The reference reaches the band steps.toml states (measured across seeds, backends and devices), whose
    lower edge is no lower than the bar, and the "about" that messages quote lies inside it."""
    accuracy_in(graded_solutions.stdout)
    low, high = REFERENCE_BAND
    assert ACCURACY_BAR <= low < REFERENCE_ACCURACY < high < 0.99


@pytest.mark.slow
def test_untouched_exercises_are_not_attempted(graded_exercises):
    out = graded_exercises.stdout
    assert graded_exercises.returncode == 1
    for step in FILE_STEPS[:4]:
        assert (
            f"✗ {step.name:<10} 0/{10 if step.name != 'build' else 20}\n"
            f"    not attempted yet: {step.function}() in exercises/{step.file} still raises NotImplementedError\n"
            f"    Help: open exercises/{step.file}, replace `raise NotImplementedError` "
            f"with your code, and grade again.\n"
        ) in out
    assert "– compile    0/15  skipped: fix build first\n" in out
    assert "– fit        0/15  skipped: fix build first\n" in out
    assert "– accuracy   0/20  skipped: fix build first\n" in out
    assert out.endswith(("Score: 0/100 (0 of 7 steps done)\n"
        "Next: fix reshape in exercises/reshape.py, then grade again.\n"))
    assert "Traceback" not in out


@pytest.mark.slow
def test_gradescope_results(graded_exercises):
    results = graded_exercises.results
    assert results["score"] == 0
    assert sum(test["max_score"] for test in results["tests"]) == 100
    for test in results["tests"]:
        assert test["name"].split()[0].split("'")[0] in STEPS  # Names begin with the step name.
        assert test["status"] == "failed" and test["score"] == 0
    compile_tests = [t for t in results["tests"] if t["name"].startswith("compile")]
    assert compile_tests[0]["output"] == "skipped: fix build first"


@pytest.mark.parametrize("step", FILE_STEPS, ids=lambda step: step.name)
def test_stub_is_rustlings_style(step):
    """2–4 comment lines state the task, one TODO in the function, and the function raises NotImplementedError."""
    source = (EXERCISES / step.file).read_text()
    comments = [line.strip() for line in source.splitlines() if line.strip().startswith("#")]
    assert 3 <= len(comments) <= 5 and sum("TODO" in line for line in comments) == 1
    functions = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    assert [f.name for f in functions] == [step.function]
    assert (
        isinstance(functions[0].body[-1], ast.Raise)
        and ast.unparse(functions[0].body[-1]) == "raise NotImplementedError"
    )


@pytest.mark.parametrize("folder", [EXERCISES, SOLUTIONS], ids=["exercises", "solutions"])
def test_folder_has_exactly_the_six_steps(folder):
    modules = {path.name for path in folder.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert modules == {step.file for step in FILE_STEPS}


def test_solutions_use_keras_input_not_input_shape():
    source = (SOLUTIONS / "build.py").read_text()
    assert "keras.Input(" in source and "input_shape" not in source


def test_check_labels_begin_with_their_step():
    """Gradescope test names are the labels: each begins with its step's name."""
    for path in (ROOT / "grader" / "checks").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        step = next(n.value.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "STEP")
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                assert ast.get_docstring(node).startswith(step), (path.name, node.name)


@pytest.mark.slow
def test_python_m_exercises_stops_at_the_first_unfinished_step():
    run = subprocess.run([sys.executable, "-m", "exercises"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert run.stdout == (
        "Loading MNIST…\n"
        "Step 1 of 6, reshape, is not done yet: open exercises/reshape.py and replace "
        "`raise NotImplementedError` with your code. Then run `python -m exercises` again.\n"
    )
    assert run.stderr == ""  # No TensorFlow log lines.


@pytest.mark.long
@pytest.mark.slow
def test_python_m_solutions_trains_and_prints_the_test_accuracy():
    run = subprocess.run([sys.executable, "-m", "solutions"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Epoch 5/5" in run.stdout
    accuracy_in(run.stdout, r"^test_acc: (\d\.\d{4})$")
    assert "oneDNN" not in run.stderr and "cuda" not in run.stderr.lower()


def test_each_stub_imports_what_its_step_needs():
    """A student never meets NameError for keras or layers: the stubs import them, as the solutions do."""
    assert (EXERCISES / "build.py").read_text().count("import keras\nfrom keras import layers\n") == 1
    assert "from keras.utils import to_categorical\n" in (EXERCISES / "one_hot.py").read_text()



@pytest.mark.slow
def test_the_seed_s_settings_are_keras_s_defaults():
    """optimizer="rmsprop" and loss="categorical_crossentropy" mean Keras's defaults: the settings compile's checks
    compare with are those of the installed Keras."""
    code = (
        "import json, keras\n"
        "print(json.dumps([keras.optimizers.RMSprop().get_config(), keras.losses.CategoricalCrossentropy()"
        ".get_config()]))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    from grader.checks.test_compile import CROSSENTROPY, RMSPROP, same

    optimizer, loss = json.loads(run.stdout.splitlines()[-1])
    assert [key for key in RMSPROP if not same(optimizer[key], RMSPROP[key])] == []
    assert {key: loss[key] for key in CROSSENTROPY} == CROSSENTROPY
