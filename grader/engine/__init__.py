"""Grading one submission: its settings as one object (options.py, made from a command line by arguments.py), the
one entry point grade(options) (grading.py; `python -m grader.engine OPTIONS.json` runs it in a process of its own,
spawn.py starts one), the pytest plugin that runs the checks (plugin.py) and the grading's workers (workers.py);
what a submission is (submission.py, a notebook read into one: notebook.py) and what it may hold (limits.py); and
the sandbox's compiled programs, made by grading the seed's code (compiling.py); what a warm server that gradings
fork from has loaded (warm.py: a batch's, and --watch's).

May import grader.course, grader.data, grader.backend, grader.results and grader.workers; never the checks, which
pytest collects, nor the student's or the instructor's commands.
"""
