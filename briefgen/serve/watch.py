"""Watching a project's inputs with watchdog, and turning bursts into batches.

What is watched: ``content/``, the user's ``templates/`` and ``root/``
(recursively), the default theme, and the config file (its folder, not
recursively, which also notices ``content/`` or ``templates/`` appearing). The output folder is never
watched: its events are dropped even if it sits inside a watched folder, so a
rebuild can never trigger itself.

Editors save in many ways. Atomic saves write a temporary file and rename it
over the original, so a move counts for its destination; swap, backup and
temporary files (``.swp``, ``~``, ``.#name``, vim's ``4913`` probe, ``.tmp``)
are ignored. Events are collected until the folder has been quiet for a few
tens of milliseconds, then handed over as one set of changed paths (relative to
the project root, ``../`` for files outside it such as the default theme).

inotify can be missing or out of watches; then the watcher polls instead and
says so. A failure inside the watcher is logged and watching goes on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from briefgen.outputs.rootfiles import root_dir
from briefgen.project import Project, default_theme_dir

log = logging.getLogger("briefgen.serve")

EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
SCRATCH_SUFFIXES = (".swp", ".swo", ".swx", "~", ".tmp", ".crswap")
SCRATCH_NAMES = {"4913", ".DS_Store"}
POLL_SECONDS = 0.5


def is_scratch(name: str) -> bool:
    """An editor's swap, backup, lock or temporary file: never content."""
    return name in SCRATCH_NAMES or name.startswith(".#") or name.endswith(SCRATCH_SUFFIXES)


_IDLE: set[str] = set()  # the batch that means "run the idle work" (compared by identity)


class Batcher:
    """Collects changed paths and hands them on once things have been quiet for ``quiet`` seconds.

    A save that is known to be complete (``add(..., complete=True)``: a file
    closed after writing, or renamed over a watched one) shortens the wait to
    ``settle``: editors finish such a save within a millisecond or two, while
    other bursts (a checkout, "save all", a backup rename) keep ``quiet``.

    One thread calls ``on_batch``, so rebuilds never overlap: changes made while
    one runs make up the next batch. ``max_wait`` bounds the delay when saves
    never stop (a big git checkout). ``tick`` runs about once a second.
    ``idle(interrupted)`` runs after a batch once no change is waiting: work
    nobody waits for (search index, cache on disk). It should return early
    when ``interrupted()`` turns true, because a new save is then waiting.
    """

    def __init__(
        self,
        on_batch: Callable[[set[str]], None],
        *,
        quiet: float = 0.03,
        settle: float = 0.005,
        max_wait: float = 1.0,
        tick: Callable[[], None] | None = None,
        idle: Callable[[Callable[[], bool]], None] | None = None,
    ):
        self.on_batch = on_batch
        self.settle = min(settle, quiet)
        self._complete = False  # the last change was a completed save
        self.idle = idle
        self._idle_due = False
        self.quiet = quiet
        self.max_wait = max_wait
        self.tick = tick
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._first = self._last = 0.0
        self._stopped = False
        self.busy = threading.Event()  # set while on_batch runs
        self._thread = threading.Thread(target=self._run, name="briefgen-rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, paths: set[str], complete: bool = False) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending |= paths
            self._last = now
            self._complete = complete
            self._cond.notify()

    def waiting(self) -> bool:
        """True when changes wait for the next batch (or the batcher is stopping)."""
        return bool(self._pending) or self._stopped

    def stop(self, wait: float = 0.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if wait and self._thread.is_alive():
            self._thread.join(wait)

    def _next_batch(self) -> set[str] | None:
        with self._cond:
            while not self._pending and not self._stopped:
                if self._idle_due:
                    return _IDLE
                if not self._cond.wait(1.0) and self.tick:
                    return set()  # time for a tick
            while not self._stopped:
                now = time.monotonic()
                quiet = self.settle if self._complete else self.quiet
                left = min(self._last + quiet, self._first + self.max_wait) - now
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._stopped:
                return None
            batch, self._pending = self._pending, set()
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                if batch is _IDLE:
                    self._idle_due = False
                    self.idle(self.waiting)
                elif batch:
                    self.busy.set()
                    self._idle_due = self.idle is not None
                    self.on_batch(batch)
                elif self.tick:
                    self.tick()
            except Exception:
                log.exception("briefgen serve: the rebuild after a change failed unexpectedly; still watching")
            finally:
                self.busy.clear()


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: ProjectWatcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self.watcher.handle(event)
        except Exception:
            log.exception("briefgen serve: a file event could not be handled; still watching")


class ProjectWatcher:
    """Watches a project's inputs and reports changed paths (relative to its root) in batches."""

    def __init__(
        self,
        project: Project,
        on_change: Callable[[set[str]], None],
        *,
        poll: bool = False,
        quiet: float = 0.03,
        settle: float = 0.005,
        echo: Callable[[str], None] = print,
        observer_factory: Callable[[], object] = Observer,
        idle: Callable[[Callable[[], bool]], None] | None = None,
    ):
        self.project = project
        self.poll = poll
        self.echo = echo
        self.observer_factory = observer_factory
        self.output = os.path.abspath(project.output)
        self.config = os.path.abspath(project.config_path)
        self.inputs = (
            os.path.abspath(project.content_dir),
            os.path.abspath(project.templates_dir),
            os.path.abspath(root_dir(project)),
        )
        self.on_change = on_change
        self.batcher = Batcher(self._deliver, quiet=quiet, settle=settle, tick=self._check_health, idle=idle)
        self._replaced: set[str] = set()  # watched folders that were moved, deleted or created
        self.observer = None
        self.mode = ""
        self._lock = threading.RLock()

    # --- which folders ----------------------------------------------------------

    def folders(self) -> list[tuple[str, bool]]:
        """(folder, recursive) pairs that exist now: the inputs, never the output."""
        wanted = [
            (self.project.content_dir, True),
            (self.project.templates_dir, True),
            (root_dir(self.project), True),
            (default_theme_dir(), True),
            (self.project.config_path.parent, False),
        ]
        out: dict[str, bool] = {}
        for folder, recursive in wanted:
            folder = os.path.abspath(folder)
            if os.path.isdir(folder) and folder != self.output:
                out[folder] = out.get(folder, False) or recursive
        return list(out.items())

    def describe(self) -> str:
        """What is watched, as the user would name it."""
        theme = os.path.abspath(default_theme_dir())
        names = []
        for folder, recursive in self.folders():
            if not recursive:
                names.append(self.project.rel(self.config))
            elif folder == theme and folder not in self.inputs:
                names.append("the default theme")
            else:
                names.append(self.project.rel(folder) + "/")
        return ", ".join(names)

    # --- start, restart, stop ---------------------------------------------------

    def start(self) -> None:
        self._watch()
        self.batcher.start()

    def _watch(self) -> None:
        with self._lock:
            if self.poll:
                self._start_observer(PollingObserver(timeout=POLL_SECONDS), "polling")
                return
            try:
                self._start_observer(self.observer_factory(), "inotify")
            except OSError as exc:
                self.poll = True
                self.echo(
                    f"Watching with inotify failed ({exc.strerror or exc}); polling for changes every "
                    f"{POLL_SECONDS} s instead. (On Linux, raise fs.inotify.max_user_watches to fix this.)"
                )
                self._start_observer(PollingObserver(timeout=POLL_SECONDS), "polling")

    def _start_observer(self, observer, mode: str) -> None:
        handler = _Handler(self)
        for folder, recursive in self.folders():
            observer.schedule(handler, folder, recursive=recursive, event_filter=EVENTS)
        try:
            observer.start()
        except BaseException:
            observer.stop()
            raise
        self.observer, self.mode = observer, mode

    def _check_health(self) -> None:
        """Re-watch when a watched folder was replaced, appeared or went, or a watcher thread died.

        inotify watches follow a folder's inode, so a ``content/`` moved away and
        back (or deleted and restored) needs a new watch; the folders involved
        then count as changed, so whatever happened in between is rebuilt.
        """
        with self._lock:
            observer = self.observer
            if observer is None:
                return
            watching = {e.watch.path for e in observer.emitters}
            now = {folder for folder, _recursive in self.folders()}
            alive = observer.is_alive() and all(e.is_alive() for e in observer.emitters)
            replaced, self._replaced = self._replaced, set()
            if alive and watching == now and not replaced:
                return
            observer.stop()
            self._watch()
        self.echo("Watching again: " + self.describe())
        changed = (watching ^ now) | replaced
        self.batcher.add({Path(os.path.relpath(f, self.project.root)).as_posix() for f in changed} or {"."})

    def _deliver(self, changed: set[str]) -> None:
        if self._replaced:
            self._check_health()
        self.on_change(changed)

    def stop(self) -> None:
        self.batcher.stop()
        with self._lock:
            if self.observer is not None:
                self.observer.stop()
                self.observer.join(1.0)

    # --- events -----------------------------------------------------------------

    def relevant(self, path: str) -> str | None:
        """``path`` relative to the project if a change to it matters, else None."""
        path = os.path.abspath(os.fsdecode(path))
        if path == self.output or path.startswith(self.output + os.sep):
            return None
        if is_scratch(os.path.basename(path)):
            return None
        if os.path.dirname(path) == os.path.dirname(self.config) and path != self.config and path not in self.inputs:
            return None  # something else beside briefgen.yaml: the output folder's swaps, a README...
        return Path(os.path.relpath(path, self.project.root)).as_posix()

    def handle(self, event: FileSystemEvent) -> None:
        paths = [event.src_path]
        if event.event_type == "moved":
            paths.append(event.dest_path)  # an atomic save: the temporary file renamed over the original
        if event.is_directory:
            roots = {folder for folder, _recursive in self.folders()} | set(self.inputs)
            self._replaced |= {p for p in map(os.path.abspath, map(os.fsdecode, paths)) if p in roots}
        changed = {rel for p in paths if (rel := self.relevant(p)) is not None}
        if changed:
            # complete: written and closed, or renamed over a watched file (not away from one: vim's backup)
            done = event.event_type == "closed" or (
                event.event_type == "moved" and self.relevant(event.dest_path) is not None
            )
            self.batcher.add(changed, complete=done and not event.is_directory)
