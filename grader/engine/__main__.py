"""`python -m grader.engine OPTIONS.json`: grade with the options in the file (grader/engine/grading.py)."""

import sys

from grader.engine.grading import run_file
from grader.results.console import fit

fit()
sys.exit(run_file(sys.argv[1]))
