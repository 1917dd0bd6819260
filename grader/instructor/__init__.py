"""What an instructor runs: a whole class graded at once (batch.py, forked from a warm server: gradings.py and
warm.py), Gradescope's autograder (gradescope.py) and grading in a GitHub Actions workflow (classroom.py).

May import grader.course, grader.data, grader.backend, grader.results, grader.workers and grader.engine; not
grader.student.
"""
