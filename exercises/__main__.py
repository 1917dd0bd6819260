"""Run the whole MNIST program with this folder's six functions: python -m exercises"""

from pathlib import Path

from grader.student.program import main

main(Path(__file__).parent)
