"""Run one stage's work over several cores, with output identical to one process.

The stages are plain functions over plain data; this module only splits a
list of work items into contiguous chunks, runs each chunk in a forked worker
and puts the answers back in the original order. Forking (not spawning) is
the point: a worker starts with the parent's memory (the loaded site, the
Jinja environment, the assembled pages) already in place, so nothing but the
answers crosses a pipe. Where fork is unavailable, or ``jobs == 1``, or there
is too little work to pay for the processes, the same function runs inline,
which is also what makes ``--jobs 1`` and ``--jobs N`` byte-identical: the
same code renders every item; only where it runs differs.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_WORK: Callable[[int, int], Any] | None = None  # set in the parent just before forking
MIN_ITEMS_PER_WORKER = 32


def default_jobs() -> int:
    """The cores this process may use (cgroup/affinity aware where the OS says)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Fork only a single-threaded process: a thread's held locks would stay locked in the child.

    (``serve`` runs a watcher and an HTTP server in threads; its rebuilds are
    incremental and small, so they render in-line.) A build's own progress bar
    draws without a thread (``commands._progress``), so a build on a terminal
    forks. What ``map_chunks`` runs is plain computation with no side effect
    on this process: when this says no, the same function runs in-line and
    gives the same answers, only on one core.
    """
    return (
        sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    )


WORKER_LOG = "BRIEFGEN_WORKER_LOG"  # tests: a file each forked worker appends its process id to


def _run_chunk(bounds: tuple[int, int]) -> Any:
    assert _WORK is not None
    log = os.environ.get(WORKER_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
    return _WORK(*bounds)


def chunked(count: int, jobs: int) -> list[tuple[int, int]]:
    """Split ``range(count)`` into about ``jobs * 4`` contiguous (start, stop) chunks."""
    pieces = max(1, min(count, jobs * 4))
    size, extra = divmod(count, pieces)
    out, start = [], 0
    for i in range(pieces):
        stop = start + size + (1 if i < extra else 0)
        if stop > start:
            out.append((start, stop))
        start = stop
    return out


def map_chunks(
    work: Callable[[int, int], list[T]], count: int, jobs: int, on_chunk: Callable[[int], None] | None = None
) -> list[T]:
    """``work(start, stop)`` answers items ``start..stop-1``; return all answers in order.

    ``work`` may close over anything (it is never pickled); its answers must
    pickle. A worker that raises makes this raise in the parent.
    ``on_chunk(n)`` is told, in the parent, each time n more items are done.
    """
    global _WORK
    if count == 0:
        return []
    jobs = max(1, min(jobs, count // MIN_ITEMS_PER_WORKER or 1))
    out: list[T] = []
    if jobs == 1 or not can_fork():
        if on_chunk is None:
            return work(0, count)
        for start, stop in chunked(count, 4):
            out.extend(work(start, stop))
            on_chunk(stop - start)
        return out
    ctx = multiprocessing.get_context("fork")
    _WORK = work
    try:
        with ctx.Pool(jobs) as pool:
            for part in pool.imap(_run_chunk, chunked(count, jobs), chunksize=1):
                out.extend(part)
                if on_chunk is not None:
                    on_chunk(len(part))
    finally:
        _WORK = None
    return out
