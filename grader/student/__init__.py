"""What a student runs besides grading: watching a folder (watch.py), hints (hints.py), the seed program with their
functions (program.py, `python -m exercises`), its plots (plots.py) and a notebook's first cell (jupyter.py).

May import every folder but grader.instructor.
"""
