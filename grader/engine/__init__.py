"""Grading one submission: what a submission is and what it may hold (submission.py, limits.py).

May import grader.course, grader.data, grader.backend, grader.results and grader.workers; never the checks, which
pytest collects, nor the student's or the instructor's commands.
"""
