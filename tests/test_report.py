"""report.html, a batch's class report: the numbers it shows for a known class, names and messages that stay text,
Chinese with --lang zh, and a page that a browser shows without errors, network or horizontal scrolling."""

import csv
import json
import re
from html import unescape

import pytest
from capabilities import chromium
from conftest import mnist_grade
from markupsafe import escape

from grader.course import i18n
from grader.instructor import report
from grader.instructor.batch import write_gradebooks
from grader.results import render
from grader.results.grade import CheckResult, Failure, Grade

# Some of the course's checks, worth 100 points in all, by a short name.
CHECKS = {
    "shape": ("reshape", "reshape returns (N, 784) for any number of images N", 3),
    "dtype": ("reshape", "reshape keeps the pixels' dtype (uint8)", 7),
    "normalize": ("normalize", "normalize returns float32", 10),
    "one_hot": ("one_hot", "one_hot returns (N, 10): one row per label, one column per digit", 10),
    "build": ("build", "build returns a Keras model", 20),
    "compile": ("compile", "compile returns the compiled model", 15),
    "fit": ("fit", "fit returns the History of training", 15),
    "accuracy": ("accuracy", "accuracy of the trained model on the 10,000 test images is at least 0.97", 20),
}
DTYPE = dict(outcome="failed", failure=Failure(expected="uint8", got="float64", help="reshape only changes the shape."))
SKIPPED = dict(outcome="skipped", blocked_by="build")
STOPPED = dict(outcome="stopped", failure=Failure(problem="stopped: grading took longer than 900 s"))
TIMEOUT = "Stopped: grading took longer than 900 s."
BAD_ZIP = "fay.zip is not a readable zip file (File is not a zip file)."


def a_grade(measured=None, **changed):
    """A grade of CHECKS, each passed but those `changed` ({name: CheckResult's fields}); the accuracy check measured
    `measured`."""
    checks = [CheckResult(step, label, points, **{"outcome": "passed", **changed.get(name, {})})
              for name, (step, label, points) in CHECKS.items()]
    checks[-1].value = measured
    return Grade("work", checks=checks)


def student(name, grade, status="graded", reason=None):
    """The report's Student of `name`, with the gradebook row the batch stores for `grade`."""
    return report.Student(render.gradebook_row(grade, name, status), grade, reason)


def a_class():
    """Six students: two with full marks but one short of the accuracy, two with the same reshape mistake (one of
    whom failed build too), a timeout and a zip that is none."""
    return [
        student("ann", a_grade(0.9802)),  # 100
        student("ben", a_grade(0.9612, accuracy=dict(outcome="failed", failure=Failure(
            expected="at least 0.97", got="0.9612")))),  # 80
        student("cat", a_grade(0.9781, dtype=DTYPE)),  # 93
        student("dan", a_grade(dtype=DTYPE, build=dict(outcome="failed", failure=Failure(
            problem="build returns None, not a Keras model", help="return the model.")),
            compile=SKIPPED, fit=SKIPPED, accuracy=SKIPPED)),  # 23
        student("eve", a_grade(fit=STOPPED, accuracy=STOPPED), "timeout", TIMEOUT),  # 65
        student("fay", None, "error", BAD_ZIP),
    ]


def sections(page):
    """The page's sections, by heading: {heading: the section's HTML}."""
    return dict(re.findall(r"<section>\n<h2>(.*?)</h2>\n(.*?)\n</section>", page, re.DOTALL))


def bars(html):
    """The columns of a histogram: {label: count}, as the columns' titles give them."""
    return {unescape(label): int(count) for label, count in re.findall(r"<title>(.*?): (\d+)</title>", html)}


def rates(html):
    """The rows of a table of pass rates: {label: "percentage · n of m"}."""
    return {unescape(re.sub(r"<.*?>", "", label)): unescape(text) for label, text in re.findall(
        r'<tr><th scope="row">(.*?)</th><td>.*?</td><td class="num">(.*?)</td></tr>', html)}


def rows(html):
    """The cells of each row of a table's body, as text."""
    body = html.partition("<tbody>")[2]
    return [[unescape(re.sub(r"<.*?>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_the_report_shows_the_class_numbers():
    page = report.html(a_class())
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">") and '<meta charset="utf-8">' in page
    assert "<title>MNIST: class report</title>" in page
    assert "<li>6 submissions</li><li>4 graded in full</li>" in page
    assert "<li>mean total 72.2, median total 80.0 (of 5 with a total)</li>" in page  # ann, ben, cat, dan, eve.
    found = sections(page)
    assert list(found) == ["Distribution of totals", "Pass rate by step", "Pass rate by check", "Most common failures",
                           "Not graded in full", "Test accuracy", "Roster"]
    assert bars(found["Distribution of totals"]) == {
        "0–9": 0, "10–19": 0, "20–29": 1, "30–39": 0, "40–49": 0, "50–59": 0, "60–69": 1, "70–79": 0, "80–89": 1,
        "90–100": 2}
    assert rates(found["Pass rate by step"]) == {  # Of the five with a grade.
        "reshape": "60.0% · 3 of 5", "normalize": "100.0% · 5 of 5", "one_hot": "100.0% · 5 of 5",
        "build": "80.0% · 4 of 5", "compile": "80.0% · 4 of 5", "fit": "60.0% · 3 of 5",
        "accuracy": "40.0% · 2 of 5"}
    by_check = found["Pass rate by check"]
    assert rates(by_check)["reshape keeps the pixels' dtype (uint8)"] == "60.0% · 3 of 5"
    assert rates(by_check)["reshape returns (N, 784) for any number of images N"] == "100.0% · 5 of 5"
    assert by_check.index("<code>reshape</code>") < by_check.index("reshape keeps") < by_check.index(
        "<code>normalize</code>")  # Each check under its step.
    # Failed checks only (dan's skipped and eve's stopped ones are not failures), the most common first, then by step.
    assert rows(found["Most common failures"]) == [
        ["2", "reshape", "expected uint8, got float64", "cat, dan"],
        ["1", "build", "build returns None, not a Keras model", "dan"],
        ["1", "accuracy", "expected at least 0.97, got 0.9612", "ben"],
    ]
    assert rows(found["Not graded in full"]) == [["eve", "timeout", TIMEOUT], ["fay", "error", BAD_ZIP]]
    accuracy = found["Test accuracy"]
    assert "lowest 0.9612, median 0.9781, highest 0.9802; 3 trained a model" in accuracy
    assert {label: count for label, count in bars(accuracy).items() if count} == {"0.960": 1, "0.975": 1, "0.980": 1}
    assert len(bars(accuracy)) == 20  # 0.900 to 1.000 by 0.005: nobody below, so no bin below.
    # Everyone, full marks included, each name a link to their feedback.txt; no grade, no points.
    assert roster(found["Roster"]) == [
        ['<a href="ann/feedback.txt">ann</a>', "graded", "100", "10", "10", "10", "20", "15", "15", "20"],
        ['<a href="ben/feedback.txt">ben</a>', "graded", "80", "10", "10", "10", "20", "15", "15", "0"],
        ['<a href="cat/feedback.txt">cat</a>', "graded", "93", "3", "10", "10", "20", "15", "15", "20"],
        ['<a href="dan/feedback.txt">dan</a>', "graded", "23", "3", "10", "10", "0", "0", "0", "0"],
        ['<a href="eve/feedback.txt">eve</a>', "timeout", "65", "10", "10", "10", "20", "15", "0", "0"],
        ['<a href="fay/feedback.txt">fay</a>', "error", "", "", "", "", "", "", "", ""]]


def roster(html):
    """The roster's rows: each cell's HTML (the roster writes no closing tags)."""
    body = html.partition("<tbody>\n")[2].partition("\n</tbody>")[0]
    return [row.split("<td>")[1:] for row in body.split("\n")]


def test_the_page_is_self_contained_and_names_and_messages_stay_text():
    """No script, nothing to load, and markup in a student's name, message or reason is shown as text."""
    name = "<script>alert(1)</script>"
    bad = a_grade(dtype=dict(outcome="failed", failure=Failure(problem='got <img src=x onerror="alert(1)">')))
    page = report.html([student(name, bad), student("a&b", None, "error", "<b>bold</b> is not a zip")])
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert escape(name) in page and escape('got <img src=x onerror="alert(1)">') in page
    assert "&lt;b&gt;bold&lt;/b&gt; is not a zip" in page and "<td>a&amp;b</td>" in page
    assert not re.search(r"https?://", report.html(a_class()))
    assert "<script" not in report.html(a_class()) and "<link" not in report.html(a_class())


def test_many_students_and_messages_are_cut_short():
    """At most 15 messages, and 10 names a message, then how many more."""
    same = [student(f"s{i:02}", a_grade(dtype=DTYPE)) for i in range(12)]
    others = [student(f"t{i:02}", a_grade(build=dict(outcome="failed", failure=Failure(problem=f"mistake {i}"))))
              for i in range(20)]
    found = rows(sections(report.html(same + others))["Most common failures"])
    assert len(found) == 15
    assert found[0] == ["12", "reshape", "expected uint8, got float64",
                        "s00, s01, s02, s03, s04, s05, s06, s07, s08, s09 and 2 more"]
    assert found[1] == ["1", "build", "mistake 0", "t00"]
    many = [student(f"u{i:04}", a_grade(dtype=DTYPE)) for i in range(2350)]
    assert rows(sections(report.html(many))["Most common failures"])[0] == [
        "2,350", "reshape", "expected uint8, got float64", "u0000, u0001, u0002, u0003, u0004, u0005, u0006, u0007, "
        "u0008, u0009 and 2,340 more"]
    every = report.failure_rows(same + others + many)  # failures.csv: every student of every message.
    assert len(every) == 12 + 2350 + 20 and every[0] == {
        "step": "reshape", "message": "expected uint8, got float64", "count": 2362, "student": "s00"}
    assert every[-1] == {"step": "build", "message": "mistake 9", "count": 1, "student": "t09"}


def test_a_long_list_of_students_not_graded_in_full_is_cut_short():
    page = report.html([student(f"x{i:03}", None, "error", BAD_ZIP) for i in range(150)])
    found = sections(page)
    assert len(rows(found["Not graded in full"])) == 100
    assert "…and 50 more: the roster below shows every student&#39;s status." in found["Not graded in full"]
    assert len(roster(found["Roster"])) == 150


def test_one_mistake_in_each_student_s_own_file_is_one_row():
    """Messages name each student's own file ("alice/build.py"): the same mistake is grouped all the same."""
    def stub(name):
        grade = a_grade(build=dict(outcome="failed", failure=Failure(
            problem=f"not attempted yet: build_model() in {name}/build.py still raises NotImplementedError")))
        grade.submission = name
        return student(name, grade)

    table = sections(report.html([stub("alice"), stub("bob")]))["Most common failures"]
    assert rows(table) == [["2", "build", "not attempted yet: build_model() in build.py still raises "
                                          "NotImplementedError", "alice, bob"]]


def test_a_class_without_grades_says_so():
    page = report.html([student("fay", None, "error", BAD_ZIP)])
    assert "<li>1 submission</li><li>0 graded in full</li><li>No submission has a total yet.</li>" in page
    found = sections(page)
    assert "No submission has a grade yet." in found["Pass rate by step"] and "Pass rate by check" not in found
    assert "No check failed." in found["Most common failures"]
    assert "Nobody trained a model." in found["Test accuracy"]
    assert bars(found["Distribution of totals"]) == dict.fromkeys(bars(found["Distribution of totals"]), 0)
    assert "Every submission was graded in full." in report.html([student("ann", a_grade(0.98))])
    assert "<li>0 submissions</li>" in report.html([])  # An empty class, too, is a page.


def test_accuracies_below_the_bins_get_a_bin_of_their_own():
    page = report.html([student("ann", a_grade(0.9802)), student("ben", a_grade(0.1135, accuracy=dict(
        outcome="failed", failure=Failure(expected="at least 0.97", got="0.1135"))))])
    found = bars(sections(page)["Test accuracy"])
    assert (found["<0.900"], found["0.980"], len(found)) == (1, 1, 21)


def test_the_report_is_in_chinese_with_lang_zh(monkeypatch):
    """Headings and labels in Chinese, numbers written as in English."""
    monkeypatch.setenv("MNIST_LANG", "zh")
    page = report.html(a_class())
    chinese = i18n.chinese()
    assert '<html lang="zh-CN">' in page
    assert list(sections(page)) == [chinese[heading] for heading in (
        "Distribution of totals", "Pass rate by step", "Pass rate by check", "Most common failures",
        "Not graded in full", "Test accuracy", "Roster")]
    assert "<li>6 份提交</li>" in page and "72.2" in page and "80.0" in page
    assert escape(chinese["reshape keeps the pixels' dtype (uint8)"]) in page
    assert "60.0% · 5 人中 3 人" in page and "0.9781" in page


def test_the_batch_writes_the_report_from_what_it_stored(tmp_path):
    """write_gradebooks reads each grade back from row.json; an older row.json without one still counts; the reason
    is feedback.txt's first line, or after a timeout its last (what the batch added)."""
    out = tmp_path / "out"
    stored = {
        "ann": ({"grade": json.loads(a_grade(0.9802).to_json())}, a_grade(0.9802), "graded", "All checks passed.\n"),
        "bob": ({}, None, "error", "\nbob is missing reshape.py.\nMore.\n"),  # As an older version stored it.
        "cat": ({"grade": json.loads(a_grade(fit=STOPPED, accuracy=STOPPED).to_json())}, a_grade(
            fit=STOPPED, accuracy=STOPPED), "timeout", "✓ reshape   10/10\n\n" + TIMEOUT + "\n"),
    }
    for name, (extra, grade, status, feedback) in stored.items():
        (out / name).mkdir(parents=True)
        row = render.gradebook_row(grade, name, status)
        checks = render.check_rows(grade, name)
        (out / name / "row.json").write_text(json.dumps({"row": row, "checks": checks, "fingerprint": name, **extra}))
        (out / name / "feedback.txt").write_text(feedback)
    assert write_gradebooks(out, list(stored), "MNIST 2")[1] == []  # Nobody missing.
    with open(out / "failures.csv", encoding="utf-8-sig") as file:
        assert list(csv.reader(file)) == [["step", "message", "count", "student"]]  # Ann passed; the rest no failure.
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<title>MNIST 2: class report</title>" in page and "<li>3 submissions</li>" in page
    found = sections(page)
    assert rows(found["Not graded in full"]) == [["bob", "error", "bob is missing reshape.py."],
                                                 ["cat", "timeout", TIMEOUT]]
    assert "lowest 0.9802, median 0.9802, highest 0.9802; 1 trained a model" in found["Test accuracy"]
    assert rates(found["Pass rate by step"])["fit"] == "50.0% · 1 of 2"  # Bob's row has no grade.


@pytest.mark.needs("browser")
def test_the_page_shows_in_a_browser_without_errors_network_or_scrolling(tmp_path):
    """Chromium opens report.html from disk: no console or page errors, no request but the file, no horizontal
    scrolling at 1280 px, and the class's numbers on screen. The screenshot is kept for a human to look at."""
    from playwright.sync_api import sync_playwright

    path, shot = tmp_path / "report.html", tmp_path / "report.png"
    report.write_report(path, a_class())
    errors, page_errors, requests, blocked = [], [], [], []

    def route(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.route("**/*", route)
            page.goto(path.as_uri(), wait_until="load")
            page.screenshot(path=str(shot), full_page=True)
            text = page.inner_text("body")
            width = page.evaluate("document.documentElement.scrollWidth")
        finally:
            browser.close()
    print(f"\nscreenshot: {shot}\nvisible text: {len(text)} characters")
    assert (errors, page_errors, blocked, requests) == ([], [], [], [path.as_uri()])
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 20_000
    assert width <= 1280
    for shown in ("6 submissions", "4 graded in full", "mean total 72.2, median total 80.0",
                  "2\n90–100",  # The histogram's last column: its count above its label.
                  "60.0% · 3 of 5", "expected uint8, got float64", "cat, dan", TIMEOUT, BAD_ZIP,
                  "lowest 0.9612, median 0.9781, highest 0.9802"):
        assert shown in text, shown


def test_batch_s_help_names_the_report():
    helped = " ".join(mnist_grade("batch", "--help").stdout.split())
    assert "--out RESULTS where grades.csv, checks.csv, canvas.csv, moodle.csv, report.html (the class report) and " \
           "each student's results go" in helped
