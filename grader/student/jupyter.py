"""What a course notebook's first cell imports: check() and run_all(), with Keras set up as the grader runs
it (JAX, no TensorFlow log lines) for the cells that import it after."""

from grader.backend.quiet import quiet
from grader.backend.runtime import use

quiet()
use()

from grader.course.notebook import check, run_all  # noqa: E402

__all__ = ["check", "run_all"]
