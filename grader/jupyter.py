"""What a course notebook's first cell imports: check() and run_all(), with Keras set up as the grader runs
it (JAX, no TensorFlow log lines) for the cells that import it after."""

from grader.quiet import quiet
from grader.runtime import use

quiet()
use()

from grader.notebook import check, run_all  # noqa: E402

__all__ = ["check", "run_all"]
