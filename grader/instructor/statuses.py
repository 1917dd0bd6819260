"""How a batch's grading of one student ended: grades.csv's status, and each stopped one's message, written here
once."""

from enum import StrEnum

from grader.course.i18n import _


class BatchStatus(StrEnum):
    """A row's "status" in grades.csv (the report and the batch's summary count them)."""

    GRADED = "graded"  # The grading ended by itself, with its Grade: passed, failed or stopped by its time budget.
    ERROR = "error"  # No Grade: not a submission (a broken zip, a file missing), or the grading could not run.
    TIMEOUT = "timeout"  # Stopped at the batch's wall-clock limit; the points earned before it are kept.
    MEMORY = "memory"  # Stopped at the batch's memory limit; the same.
    MISSING = "missing"  # A merge found no stored result (its shard did not run, or died).

    def stopped(self, settings):
        """Why the batch stopped a grading of this outcome ("grading took longer than 900 s"), by the batch's
        `settings` (BatchSettings); None for an outcome the batch did not stop."""
        if self == BatchStatus.TIMEOUT:
            return _("grading took longer than {seconds} s", seconds=f"{settings.timeout:g}")
        if self == BatchStatus.MEMORY:
            return _("grading used more than {mb} MB of memory", mb=settings.memory_mb)
        return None
