"""A progress bar for builds that take a while, and silence for those that don't.

Shown only on an interactive terminal (stderr is a TTY, ``CI`` unset, not
``--quiet``) and only once a build has run for about a second, so quick
rebuilds print nothing but their summary line. It uses rich, which briefgen
already depends on for its terminal output, with ``auto_refresh=False``: the
bar is drawn from the build's own stage callbacks, at most ``REFRESH`` times
a second, and never from a thread of its own. A build with a second thread
alive would not fork its workers (``briefgen.engine.parallel.can_fork``).
"""

from __future__ import annotations

import os
import sys
import time

from briefgen.engine.pipeline import Progress

DELAY = 1.0
REFRESH = 0.1  # seconds between two redraws


def wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class TerminalProgress(Progress):
    """Stage callbacks from ``briefgen.engine.rebuild`` drawn as a rich progress bar after ``DELAY`` seconds.

    rich is imported, and the bar made, only when it is first drawn: a rebuild over in under a second on a
    terminal pays nothing for it (importing rich and making the bar cost about 45 ms of CPU)."""

    def __init__(self) -> None:
        self.bar = None
        self.task = None
        self.description, self.total, self.completed = "Starting", None, 0
        self.began = self.stage_began = time.monotonic()
        self.drawn = 0.0
        self.started = False
        self.closed = False

    def _make_bar(self) -> None:
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
            auto_refresh=False,  # no refresh thread: see the module's docstring
        )
        self.task = self.bar.add_task(self.description, total=self.total, completed=self.completed)
        self.bar.tasks[-1].start_time = self.stage_began  # the stage's elapsed time, as if the bar had been there

    def _draw(self, force: bool = False) -> None:
        if self.closed:
            return
        now = time.monotonic()
        if not self.started:
            if now - self.began < DELAY:
                return
            self._make_bar()
            self.bar.start()
            self.started = True
            force = True
        if force or now - self.drawn >= REFRESH:
            self.drawn = now
            self.bar.refresh()

    def stage(self, name: str, total: int | None = None) -> None:
        self.description, self.total, self.completed = name, total, 0
        self.stage_began = time.monotonic()
        if self.bar is not None:
            self.bar.reset(self.task, description=name, total=total, completed=0)
        self._draw(force=True)

    def advance(self, n: int = 1) -> None:
        self.completed += n
        if self.bar is not None:
            self.bar.advance(self.task, n)
        self._draw()

    def close(self) -> None:
        if self.started and not self.closed:
            self.bar.stop()
        self.closed = True
