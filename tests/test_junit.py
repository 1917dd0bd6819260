"""JUnit XML, the test report GitLab and Jenkins show: `mnist-grade PATH --junit FILE` and `mnist-grade gitlab` (a
batch's junit.xml per student: tests/test_batch.py). Each file is held to junit-10.xsd (conftest's junit_schema),
read back with junitparser, and says what the terminal says."""

import pytest
from conftest import mnist_grade

from grader.course.i18n import _, speaking
from grader.instructor.gitlab import gitlab
from grader.results import render
from grader.results.grade import CheckResult, Failure, Grade, Outcome

pytestmark = pytest.mark.needs("junit")


def suite_of(path):
    """The one testsuite of a JUnit file, read by junitparser."""
    import junitparser

    [suite] = list(junitparser.JUnitXml.fromfile(str(path)))
    return suite


def outcome_of(case):
    """How junitparser reads a testcase: "passed", "failed" or "skipped", with its message and text."""
    if case.is_passed:
        return "passed", None, None
    [result] = case.result
    return ("skipped" if case.is_skipped else "failed"), result.message, result.text


@pytest.mark.slow
def test_the_exercises_junit_has_a_case_per_check_failed_as_the_terminal_says(graded_exercises, junit_schema):
    """The untouched stubs: every check a testcase, classname its step and name its label; the data and build checks
    failed with the report's message, those after build skipped with "fix build first"."""
    junit_schema.validate(str(graded_exercises.junit))
    suite, tests = suite_of(graded_exercises.junit), graded_exercises.results["tests"]
    skipped = [test["name"] for test in tests if test["output"] == "skipped: fix build first"]
    assert len(tests) == 26 and len(skipped) == 9
    assert (suite.name, suite.tests, suite.failures, suite.errors, suite.skipped) == (
        "MNIST course: 0/100", 26, 17, 0, 9)
    cases = list(suite)
    assert [(case.classname, case.name) for case in cases] == [(test["tags"][0], test["name"]) for test in tests]
    failed = {}
    for case in cases:
        outcome, message, text = outcome_of(case)
        if case.name in skipped:
            assert (outcome, message, text) == ("skipped", "fix build first", None)
            continue
        assert outcome == "failed" and message == text.splitlines()[0], case.name
        # As the terminal shows it: under its step, indented, line by line.
        assert "".join(f"    {line}\n" for line in text.splitlines()) in graded_exercises.stdout, text
        failed[case.classname] = text
    assert failed["build"] == (
        "not attempted yet: build_model() in exercises/build.py still raises NotImplementedError\n"
        "Help: open exercises/build.py, replace `raise NotImplementedError` with your code, and grade again.")
    properties = {found.name: found.value for found in suite.properties()}
    assert properties == {"score": "0", "max_score": "100",
                          **{test["name"]: f"0/{test['max_score']:g}" for test in tests}}


@pytest.mark.slow
def test_the_solutions_junit_passes_every_check_and_names_the_score(graded_solutions, junit_schema):
    junit_schema.validate(str(graded_solutions.junit))
    suite = suite_of(graded_solutions.junit)
    assert (suite.name, suite.tests, suite.failures, suite.errors, suite.skipped) == (
        "MNIST course: 100/100", 26, 0, 0, 0)
    assert {outcome_of(case) for case in suite} == {("passed", None, None)}
    properties = {found.name: found.value for found in suite.properties()}
    assert properties["score"] == properties["max_score"] == "100"
    assert {properties[test["name"]] for test in graded_solutions.results["tests"]} == {
        f"{test['max_score']:g}/{test['max_score']:g}" for test in graded_solutions.results["tests"]}


def test_what_student_code_printed_stays_valid_xml_and_a_stopped_check_failed(tmp_path, junit_schema):
    """A failure quoting what student code printed (a colour code, a NUL, markup, Chinese) stays valid XML, its
    characters XML cannot hold shown escaped; a check stopped at the time limit failed; in Chinese, in Chinese."""
    grade = Grade("exercises", seconds=3.5, checks=[
        CheckResult("reshape", "reshape returns (N, 784) for any number of images N", 3, Outcome.FAILED,
                    Failure(problem='reshape_images() raised ValueError: \x1b[31m形状\x00 <b>&"bad"</b>',
                            help="read the error")),
        CheckResult("normalize", "normalize returns float32", 3, Outcome.STOPPED,
                    Failure(problem="stopped: grading took longer than 60 s")),
        CheckResult("one_hot", "one_hot returns floats", 2, Outcome.PASSED)])
    path = tmp_path / "junit.xml"
    path.write_text(render.junit(grade, "MNIST course"), encoding="utf-8")
    junit_schema.validate(str(path))
    suite = suite_of(path)
    assert (suite.name, suite.tests, suite.failures, suite.skipped, suite.time) == ("MNIST course: 2/8", 3, 2, 0, 3.5)
    assert [outcome_of(case) for case in suite] == [
        ("failed", 'reshape_images() raised ValueError: \\x1b[31m形状\\x00 <b>&"bad"</b>',
         'reshape_images() raised ValueError: \\x1b[31m形状\\x00 <b>&"bad"</b>\nHelp: read the error'),
        ("failed", "stopped: grading took longer than 60 s", "stopped: grading took longer than 60 s"),
        ("passed", None, None)]
    with speaking("zh"):
        path.write_text(render.junit(grade, _("MNIST course")), encoding="utf-8")
    junit_schema.validate(str(path))
    suite = suite_of(path)
    assert suite.name == "MNIST 课程: 2/8"
    assert outcome_of(list(suite)[0])[2].endswith("\n提示：read the error")


def test_a_ci_job_without_a_grade_gets_a_failed_case_and_a_bad_folder_is_bad_usage(tmp_path, junit_schema, capsys):
    """`mnist-grade gitlab` whose grading made no grade (the log says why) still leaves a test report, one failed
    case saying so, and exits 2; a JUnit file in no folder is refused before grading, as mnist-grade refuses it."""
    path = tmp_path / "mnist-junit.xml"
    assert gitlab("exercises", str(path), lambda folder: (0, None)) == 2  # No grade is never a pass.
    junit_schema.validate(str(path))
    suite = suite_of(path)
    assert (suite.name, suite.tests, suite.failures) == ("MNIST course: —", 1, 1)
    assert [outcome_of(case) for case in suite] == [("failed", "There is no grade: the job's log says why.",
                                                     "There is no grade: the job's log says why.")]
    missing = tmp_path / "nowhere" / "mnist-junit.xml"
    assert gitlab("exercises", str(missing), lambda folder: pytest.fail("graded")) == 2
    assert capsys.readouterr().err == (f"mnist-grade: Cannot write {missing}: there is no folder {missing.parent}. "
                                       "Make it first, or name a file in a folder that exists.\n")
    run = mnist_grade("exercises", "--junit", str(tmp_path))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"mnist-grade: {tmp_path} is a folder: name a file in it to write the grade to.\n"
