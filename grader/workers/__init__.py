"""Running student code: in worker processes that report facts, never verdicts.

protocol.py is what the two sides exchange; worker.py runs steps' code in a process of its own, each step by its
runner (runners/: one @runs per step), importing the student's files as student_code.py does; handle.py is the
grading process's handle on a worker (start it, wait for a step, read what it saved); host.py forks workers from a
process that imported Keras once; bubblewrap.py makes the sandbox and namespaces.py enters it; compiled.py is
where the sandbox's compiled programs are kept; users.py is the user student code runs as; processes.py stops
what student code leaves running.

May import grader.course, grader.data and grader.backend.
"""
