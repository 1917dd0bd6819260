"""GitLab CI: the template .gitlab-ci.yml, held to GitLab's schema (check-jsonschema) and run by gitlab-ci-local, on
this machine's shell, in students' repositories laid out as GitLab would clone them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SOLUTIONS, copy_course, once, python_without_the_grader

pytestmark = pytest.mark.needs("gitlab")

TEMPLATE = ROOT / ".gitlab-ci.yml"
JOB = "mnist-feedback"
TOKEN = "job-token-of-this-test"  # CI_JOB_TOKEN, which the job clones the instructor's project with.
SERVER = "https://gitlab.example.edu"


def git(folder, *args):
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.edu", *args], cwd=folder,
                   check=True, capture_output=True, timeout=120)


def committed(folder, project, message):
    """`folder` as a git repository of the project `project` ("group/name") on the school's GitLab, all its files
    committed on main."""
    git(folder, "init", "-q", "-b", "main")
    git(folder, "remote", "add", "origin", f"{SERVER}/{project}.git")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    return folder


def test_the_template_is_gitlab_ci_as_its_schema_says_and_keeps_the_report(tmp_path):
    """GitLab's schema (check-jsonschema's vendor.gitlab-ci) accepts the template and refuses it with a misspelt
    value; gitlab-ci-local's rules run the job in a student's project but not in the course's own; the job keeps the
    JUnit file as the test report and as an artifact even when it fails, and caches pip and MNIST."""
    broken = TEMPLATE.read_text().replace("    when: always\n", "    when: allways\n")
    assert broken != TEMPLATE.read_text()
    with_typo = tmp_path / ".gitlab-ci.yml"
    with_typo.write_text(broken)
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(checker), "--builtin-schema", "vendor.gitlab-ci", str(TEMPLATE), str(with_typo)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert str(with_typo) in done.stdout and str(TEMPLATE) not in done.stdout.replace(str(with_typo), "")
    # The job runs on a push to a student's project, and not in the course's own, whose exercises/ are the stubs.
    for project, runs in (("teacher/mnist-course", False), ("alice/mnist", True)):
        folder = tmp_path / project.replace("/", "-")
        folder.mkdir()
        shutil.copy(TEMPLATE, folder / ".gitlab-ci.yml")
        committed(folder, project, "CI")
        listed = subprocess.run(["gitlab-ci-local", "--list", "--variable", "MNIST_GRADER_REPO=teacher/mnist-course"],
                                cwd=folder, capture_output=True, text=True, timeout=120)
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert (f"\n{JOB} " in listed.stdout) == runs, (project, listed.stdout)
    job = yaml.safe_load(TEMPLATE.read_text())[JOB]
    assert job["artifacts"] == {"when": "always", "expire_in": "30 days", "paths": ["mnist-junit.xml"],
                                "reports": {"junit": "mnist-junit.xml"}}
    assert job["script"][-1] == "mnist-grade gitlab exercises --junit mnist-junit.xml"
    assert job["cache"]["paths"] == [".cache/pip", job["variables"]["MNIST_CACHE"]]


@pytest.fixture(scope="session")
def course():
    """The course, made once for the session: its files as students' repositories are made from them ("course"), and
    the instructor's project ("project"), a git repository whose branch spring-2027 (MNIST_GRADER_REF) is the course
    and whose main has moved on to a grader that cannot be imported: grading from main fails."""

    def make(folder):
        copy_course(folder / "course")
        project = committed(shutil.copytree(folder / "course", folder / "project"), "teacher/mnist-course",
                            "The course")
        git(project, "branch", "spring-2027")
        (project / "grader" / "__init__.py").write_text('raise ImportError("main is not the ref the job asked for")\n')
        git(project, "commit", "-q", "-a", "-m", "Next term's grader, unfinished")

    return once("gitlab-course", make)


@pytest.fixture
def job_python(tmp_path):
    """What the job's image gives it: a Python with the grader's dependencies but not the grader (conftest's
    python_without_the_grader), so that the job's pip installs only the grader. Each job its own: both install the
    grader into it."""
    return python_without_the_grader(tmp_path / "image")


def student_repository(folder, course, student, **answers):
    """A student's repository made from the course (.gitlab-ci.yml included), as GitLab clones it into the job: the
    course's files with `answers` (step file name: source) in exercises/, and a remote on the school's GitLab."""
    shutil.copytree(course / "course", folder)
    for name, source in answers.items():
        (folder / "exercises" / f"{name}.py").write_text(source)
    return committed(folder, f"{student}/mnist", "My work")


def run_job(repository, python, *variables, env=None):
    """gitlab-ci-local running the template's job in `repository`, on this machine's shell, in a copy of it (as a
    runner's clone), with the CI/CD `variables` ("NAME=VALUE"): the finished process and the JUnit file the job
    kept as its artifact."""
    arguments = [arg for variable in variables for arg in ("--variable", variable)]
    done = subprocess.run(["gitlab-ci-local", "--force-shell-executor", "--shell-isolation", *arguments, JOB],
                          cwd=repository, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": f"{python}{os.pathsep}{os.environ['PATH']}", **(env or {})})
    return done, repository / ".gitlab-ci-local" / "artifacts" / JOB / "mnist-junit.xml"


def report_of(junit):
    """The testsuite's name, counts and each testcase's (classname, name, outcome) of a JUnit file."""
    import junitparser

    [suite] = list(junitparser.JUnitXml.fromfile(str(junit)))
    return suite, [(case.classname, case.name, "passed" if case.is_passed else "skipped" if case.is_skipped
                    else "failed") for case in suite]


@pytest.mark.slow
@pytest.mark.needs("junit")
def test_a_right_submission_passes_graded_by_the_instructors_grader_at_its_ref(
        tmp_path, course, job_python, junit_schema, graded_solutions):
    """MNIST_GRADER_REPO names the course's project on the school's GitLab, cloned with the job's token at
    MNIST_GRADER_REF; the student's own grader/, which here cannot even be imported, is never used."""
    answers = {path.stem: path.read_text() for path in SOLUTIONS.glob("*.py") if not path.stem.startswith("__")}
    repository = student_repository(tmp_path / "alice", course, "alice", **answers)
    (repository / "grader" / "__init__.py").write_text('raise ImportError("the student\'s own grader/ was used")\n')
    # The school's GitLab is this test's folder: git fetches the project's URL, token and all, from there.
    project_url = f"https://gitlab-ci-token:{TOKEN}@gitlab.example.edu/teacher/mnist-course.git"
    done, junit = run_job(repository, job_python, "MNIST_GRADER_REPO=teacher/mnist-course",
                          "MNIST_GRADER_REF=spring-2027", f"CI_JOB_TOKEN={TOKEN}",
                          env={"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_VALUE_0": project_url,
                               "GIT_CONFIG_KEY_0": f"url.file://{course / 'project'}.insteadOf"})
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    assert f"{JOB} > The grader: teacher/mnist-course at spring-2027.\n" in log
    assert f"{JOB} > Score: 100/100 (7 of 7 steps done)\n" in log
    assert " PASS  " + JOB in log
    junit_schema.validate(str(junit))
    suite, cases = report_of(junit)
    assert (suite.name, suite.tests, suite.failures, suite.skipped) == ("MNIST course: 100/100", 26, 0, 0)
    assert cases == [(test["tags"][0], test["name"], "passed") for test in graded_solutions.results["tests"]]


@pytest.mark.slow
@pytest.mark.needs("junit")
def test_a_half_right_submission_fails_the_job_with_its_own_grader_said_in_the_log(
        tmp_path, course, job_python, junit_schema):
    """Without MNIST_GRADER_REPO the job grades with the repository's own grader/ and says so; a wrong activation
    fails build (its message in the report and in the JUnit file alike), skips the steps after it, and fails the
    job, whose JUnit file is kept all the same."""
    answers = {name: (SOLUTIONS / f"{name}.py").read_text() for name in ("reshape", "normalize", "one_hot")}
    answers["build"] = (SOLUTIONS / "build.py").read_text().replace('activation="relu"', 'activation="sigmoid"')
    repository = student_repository(tmp_path / "bob", course, "bob", **answers)
    done, junit = run_job(repository, job_python)
    log = done.stdout + done.stderr
    assert done.returncode == 1, log[-5000:]
    assert (f"{JOB} > MNIST_GRADER_REPO is not set: grading with this repository's own grader/, which the student "
            f"can edit.\n{JOB} > Instructors: set MNIST_GRADER_REPO and MNIST_GRADER_REF in the group's CI/CD "
            "variables.\n") in log
    expected = ('expected Dense(512, activation="relu"), got Dense(512, activation="sigmoid")\n'
                "Help: the hidden layer has 512 units; relu keeps positive values and zeroes the rest.")
    assert "".join(f"{JOB} >       {line}\n" for line in expected.splitlines()) in log
    assert f"{JOB} > Score: 47/100 (3 of 7 steps done)\n" in log
    assert " FAIL  " + JOB in log
    junit_schema.validate(str(junit))
    suite, cases = report_of(junit)
    assert (suite.name, suite.tests, suite.failures, suite.skipped) == ("MNIST course: 47/100", 26, 1, 9)
    [failed] = [case for case in suite if not case.is_passed and not case.is_skipped]
    assert (failed.classname, failed.name) == ("build", "build gives the first Dense layer 512 units and relu")
    assert failed.result[0].text == expected
    assert {step for step, name, outcome in cases if outcome == "skipped"} == {"compile", "fit", "accuracy"}
