"""`python -m grader`: mnist-grade itself (grader/cli.py)."""

import sys

from grader.cli import main

sys.exit(main())
