"""What a student runs besides grading: watching a folder (watch.py), hints (hints.py), the seed program with their
functions (program.py, `python -m exercises`), its plots (plots.py) and a notebook's first cell (jupyter.py).

May import grader.course, grader.data, grader.backend, grader.results, grader.workers and grader.engine; not
grader.instructor.
"""
