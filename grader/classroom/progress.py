"""The progress bar of a class run: rich's, on stderr, refreshed by the run's loop (no thread),
or nothing when progress is off or rich is missing."""
from __future__ import annotations


class Bar:
    """A rich progress bar on stderr (refreshed by the loop: no thread), or nothing."""

    def __init__(self, total, enabled, done=0):
        self.progress = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)
        except ImportError:
            return
        self.progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                 TextColumn("{task.fields[counts]}"),
                                 TextColumn("{task.fields[last]}"),
                                 console=Console(stderr=True), auto_refresh=False,
                                 transient=False)
        self.task = self.progress.add_task("grading", total=total, completed=done, last="",
                                           counts="")
        self.counts = {"failed": 0, "retried": 0}
        self.progress.start()

    def count(self, event):
        """A cluster run's failed and retried submissions, shown beside the bar."""
        if self.progress is not None and event in self.counts:
            self.counts[event] += 1
            text = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
            self.progress.update(self.task, counts=text)

    def advance(self, student):
        if self.progress is not None:
            from rich.markup import escape   # a name is text, never markup ('[/]' raises)
            self.progress.update(self.task, advance=1, last=escape(student))

    def refresh(self):
        if self.progress is not None:
            self.progress.refresh()

    def close(self):
        if self.progress is not None:
            self.progress.refresh()
            self.progress.stop()
