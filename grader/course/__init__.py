"""The course: its steps (steps.toml, read by steps.py), the messages' Chinese (zh.toml, i18n.py), the exercises
made from the solutions (assign.py) and the course written as a notebook (notebook.py).

Imports nothing of the grader's outside this folder: everything else reads the course from here.
"""
