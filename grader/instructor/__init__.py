"""What an instructor runs: a whole class graded at once (batch.py, forked from a warm server: gradings.py and
warm.py), Gradescope's autograder (gradescope.py), Classroom 50's (classroom50.py), grading in any GitHub Actions
workflow (actions.py), in a GitLab CI or Jenkins job (gitlab.py) and the class report (report.py). Each grades a
submission with isolated.py (the CI jobs with its graded_in_isolation()); the scripts and pages they write are
template-* files (templates.py).

May import grader.course, grader.data, grader.backend, grader.results, grader.workers and grader.engine; not
grader.student.
"""
