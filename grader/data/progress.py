"""A progress bar on stderr for each file a download fetches, and its retries as lines above it."""

from grader.data.download import Silent


class Bar(Silent):
    """Shown only once a download starts: a cached load prints nothing."""

    def __init__(self):
        self.progress, self.tasks = None, {}

    def update(self, url, done, total):
        if self.progress is None:
            self.progress = _start()
        if url not in self.tasks:
            self.tasks[url] = self.progress.add_task(url.rsplit("/", 1)[-1], total=total)
        self.progress.update(self.tasks[url], completed=done, total=total)

    def note(self, text):
        if self.progress is None:
            self.progress = _start()
        self.progress.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()


def _start():
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TimeRemainingColumn(), console=Console(stderr=True),
    )
    progress.start()
    return progress
