"""The Grade is data: it survives JSON unchanged, and every output is rendered from it, never parsed back."""

import json

import pytest

from grader.results import render
from grader.results.grade import VERSION, CheckResult, Failure, Grade


def a_grade():
    return Grade("work", checks=[
        CheckResult("reshape", "reshape returns (N, 784) for any number of images N", 4, "passed"),
        CheckResult("reshape", "reshape keeps the pixels' dtype (uint8)", 6, "failed",
                    Failure(expected="uint8", got="float64", help="reshape only changes the shape.")),
        CheckResult("build", "build returns a Keras model", 20, "failed",
                    Failure(problem="not attempted yet", help="open work/build.py.")),
        CheckResult("compile", "compile returns the compiled model", 15, "skipped", blocked_by="build"),
    ])


def test_a_grade_survives_json_as_it_was():
    grade = a_grade()
    assert Grade.from_json(grade.to_json()) == grade
    assert json.loads(grade.to_json())["version"] == VERSION


def test_a_grade_of_another_version_is_refused():
    data = json.loads(a_grade().to_json())
    data["version"] = VERSION + 1
    with pytest.raises(ValueError, match="a grade of version 2, not 1"):
        Grade.from_json(json.dumps(data))


def test_each_output_renders_the_same_facts():
    grade = a_grade()
    assert render.report(grade) == (
        "✗ reshape    4/10\n"
        "    ✓ reshape returns (N, 784) for any number of images N\n"
        "    ✗ reshape keeps the pixels' dtype (uint8)\n"
        "      expected uint8, got float64\n"
        "      Help: reshape only changes the shape.\n"
        "✗ build      0/20\n"
        "    not attempted yet\n"
        "    Help: open work/build.py.\n"
        "– compile    0/15  skipped: fix build first\n"
        "\n"
        "Score: 4/45 (0 of 3 steps done)\n"
        "Next: fix reshape in work/reshape.py, then grade again."
    )
    results = render.gradescope(grade)
    assert (results["score"], [test["score"] for test in results["tests"]]) == (4, [4, 0, 0, 0])
    assert results["tests"][3]["output"] == "skipped: fix build first"
    assert [test["tags"] for test in results["tests"]] == [["reshape"], ["reshape"], ["build"], ["compile"]]
    # Markdown with the report in a code block keeps its columns; each check's output is plain text.
    assert (results["output_format"], results["test_output_format"]) == ("md", "text")
    assert results["output"] == "```\n" + render.report(grade) + "\n```"
    assert "leaderboard" not in results  # Nothing was measured.
    rows = render.classroom50_tests(grade)  # Classroom 50: one row per check, named after its step, whole points.
    assert [(row["test-name"], row["passed"], row["score"], row["max-score"]) for row in rows] == [
        ("reshape: reshape returns (N, 784) for any number of images N", True, 4, 4),
        ("reshape: reshape keeps the pixels' dtype (uint8)", False, 0, 6),
        ("build: build returns a Keras model", False, 0, 20),
        ("compile: compile returns the compiled model", False, 0, 15)]
    assert rows[3]["message"] == "skipped: fix build first"
    assert render.markdown(grade, "MNIST course").split("\n\n<details>")[0] == (
        "### MNIST course: 4/45\n\n"
        "| | Step | Points | What to fix |\n|---|---|---|---|\n"
        "| ✗ | reshape | 4/10 | expected uint8, got float64 |\n"
        "| ✗ | build | 0/20 | not attempted yet |\n"
        "| – | compile | 0/15 | fix build first |\n\n"
        "Next: fix reshape in work/reshape.py, then grade again.")
    assert "````text\n" + render.report(grade) + "\n````" in render.markdown(grade, "MNIST course")
    assert render.annotations(grade) == [  # GitHub Actions' workflow commands, newlines escaped as it reads them.
        "::error file=work/reshape.py,title=reshape 4/10::expected uint8, got float64%0AHelp: reshape only changes "
        "the shape.",
        "::error file=work/build.py,title=build 0/20::not attempted yet%0AHelp: open work/build.py.",
        "::warning file=work/compile.py,title=compile 0/15::fix build first",
        "::notice::Score: 4/45 (0 of 3 steps done)%0ANext: fix reshape in work/reshape.py, then grade again."]
    assert render.gradebook_row(grade, "ana") == {
        "student": "ana", "reshape": 4, "normalize": 0, "one_hot": 0, "build": 0, "compile": 0, "fit": 0,
        "accuracy": 0, "total": 4, "max": 45, "status": "graded"}


def test_a_stopped_grading_keeps_its_points_and_says_why_the_rest_stopped():
    grade = a_grade()
    grade.checks.append(CheckResult("accuracy", "accuracy of the trained model", 20))
    grade.stop("stopped: grading took longer than 900 s")
    assert grade.score == 4 and grade.checks[-1].outcome == "stopped"
    assert render.step_block(grade, "accuracy") == "– accuracy   0/20  stopped: grading took longer than 900 s"
    assert render.gradescope(grade)["tests"][-1]["output"] == "stopped: grading took longer than 900 s"


def test_markdown_and_annotations_keep_their_syntax_whatever_a_message_holds():
    """A message with pipes, percent signs, colons and commas stays in its table cell and its workflow command."""
    grade = Grade("work", checks=[CheckResult("reshape", "reshape a", 10, "failed", failure=Failure(
        problem="got 50% | a, b: c\nmore"))])
    assert "| ✗ | reshape | 0/10 | got 50% \\| a, b: c |" in render.markdown(grade, "T")
    assert render.annotations(grade)[0] == "::error file=work/reshape.py,title=reshape 0/10::got 50%25 | a, b: c%0Amore"
    assert render._property("a:b,c%") == "a%3Ab%2Cc%25"


def test_the_test_accuracy_goes_to_gradescope_s_leaderboard():
    grade = Grade("work", checks=[CheckResult("accuracy", "accuracy …", 20, "passed", note="test accuracy 0.9782",
                                              value=0.9782)], seconds=12.5)
    results = render.gradescope(grade)
    assert results["leaderboard"] == [{"name": "Test accuracy", "value": 0.9782}]
    assert results["execution_time"] == 12.5


@pytest.mark.parametrize("lang, last_line", [
    ("en", "Next: fix reshape in work/reshape.py, then save again."),
    ("zh", "下一步：修正 work/reshape.py 中的 reshape，然后再保存一次。"),
])
def test_watch_mode_says_save_again(monkeypatch, lang, last_line):
    """--watch grades on every save, so what to do next is to save, not to grade."""
    monkeypatch.setenv("MNIST_LANG", lang)
    assert render.compact(a_grade()).splitlines()[-1] == last_line
    assert render.report(a_grade()).splitlines()[-1].endswith(("then grade again.", "然后重新评分。"))
