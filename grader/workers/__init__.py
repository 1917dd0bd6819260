"""Running student code: in worker processes that report facts, never verdicts.

protocol.py is what the two sides exchange; worker.py runs a step's code in its own process; handle.py is the
grading process's handle on a worker (start it, wait for a step, read what it saved); host.py forks workers from a
process that imported Keras once; bubblewrap.py makes the sandbox and namespaces.py enters it; compiled.py keeps the
sandbox's compiled programs; processes.py stops what student code leaves running.

May import grader.course, grader.data and grader.backend.
"""
