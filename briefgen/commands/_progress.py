"""A progress bar for builds that take a while, and silence for those that don't.

Shown only on an interactive terminal (stderr is a TTY, ``CI`` unset, not
``--quiet``) and only once a build has run for about a second, so quick
rebuilds print nothing but their summary line. It uses rich, which briefgen
already depends on for its terminal output.
"""

from __future__ import annotations

import os
import sys
import threading

from briefgen.rebuild import Progress

DELAY = 1.0


def wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class TerminalProgress(Progress):
    """Stage callbacks from ``briefgen.rebuild`` drawn as a rich progress bar after ``DELAY`` seconds."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("Starting", total=None)
        self.lock = threading.Lock()
        self.started = False
        self.closed = False
        self.timer = threading.Timer(DELAY, self._show)
        self.timer.daemon = True
        self.timer.start()

    def _show(self) -> None:
        with self.lock:
            if not self.closed:
                self.bar.start()
                self.started = True

    def stage(self, name: str, total: int | None = None) -> None:
        self.bar.reset(self.task, description=name, total=total, completed=0)

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)

    def close(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.started:
                self.bar.stop()
