"""Keras as the grader runs it: the backend and device (runtime.py), no needless log lines (quiet.py), the global
settings student code may not change (config.py), and the seed's network computed with numpy (reference.py), which
the checks compare a student's model with.

May import grader.course and grader.data.
"""
