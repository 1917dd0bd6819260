"""A grading's results as data and each way they are shown: the Grade (grade.py), what a student reads when code
did not return (problems.py), every output of a Grade (render.py) and the terminal's view while grading (terminal.py).

May import grader.course only.
"""
