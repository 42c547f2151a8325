"""Run one stage's work over several cores, with output identical to one process.

The stages are plain functions over plain data; this module only splits a
list of work items into contiguous chunks, runs them on ``jobs`` processes
and puts the answers back in the original order. Forking (not spawning) is
the point: a worker starts with the parent's memory (the loaded site, the
Jinja environment, the assembled pages) already in place, so nothing but the
answers crosses a pipe. Where fork is unavailable, or ``jobs == 1``, or there
is too little work to pay for the processes, the same function runs inline,
which is also what makes ``--jobs 1`` and ``--jobs N`` byte-identical: the
same code renders every item; only where it runs differs.

The parent is one of the ``jobs`` processes: it forks ``jobs - 1`` workers and
works through the chunks with them, taking the first itself (a stage's first
items are its largest: the topic pages and briefing packs). A forked worker
shares the parent's pages only until it writes to them: every object it
touches (a reference count changes) and every hole in the parent's heap it
allocates into becomes a private copy, about 130 MB per worker at 4,000
articles, so a worker fewer is that much less memory for the same cores, and
the largest pages, which touch most of the site, are rendered where touching
costs nothing. ``gc.freeze()`` before forking keeps the workers' garbage
collector off the inherited objects, and the C heap's holes are given back
(``malloc_trim``) and then plugged (``plug_heap_holes``), so that what each
process allocates after the fork comes from pages of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

_WORK: Callable[[int, int], Any] | None = None  # set in the parent just before forking
_CHUNKS: list[tuple[int, int]] | None = None  # the (start, stop) of each chunk of that work
_NEXT: Any = None  # a shared counter: the first chunk no process has taken yet
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


# How often this process offers the GIL to its other threads while workers run (seconds; Python's default is
# 0.005). The pool's result thread needs the GIL between each 64 KiB read of a worker's answer from the pipe:
# at the default, while this process works on its own chunks, a worker's answer of a few MB trickled in at
# about 13 MB/s, the worker blocked on writing it, and this process did 85 % of the Markdown prefetch.
SWITCH_INTERVAL = 0.0002

WORKER_LOG = "BRIEFGEN_WORKER_LOG"  # tests: a file each forked worker appends its process id to


def _claim() -> int | None:
    """Take the next chunk no process has taken yet (its index), or None when all are taken."""
    assert _NEXT is not None and _CHUNKS is not None
    with _NEXT.get_lock():
        index = _NEXT.value
        if index >= len(_CHUNKS):
            return None
        _NEXT.value = index + 1
    return index


def _run_next(_task: int) -> tuple[int, Any] | None:
    """In a worker: (index, answers) of the next chunk no process has taken, or None if none is left."""
    assert _WORK is not None and _CHUNKS is not None
    log = os.environ.get(WORKER_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
    index = _claim()
    return None if index is None else (index, _WORK(*_CHUNKS[index]))


def chunked(count: int, jobs: int, each: int = 4) -> list[tuple[int, int]]:
    """Split ``range(count)`` into about ``jobs * each`` contiguous (start, stop) chunks."""
    pieces = max(1, min(count, jobs * each))
    size, extra = divmod(count, pieces)
    out, start = [], 0
    for i in range(pieces):
        stop = start + size + (1 if i < extra else 0)
        if stop > start:
            out.append((start, stop))
        start = stop
    return out


def map_chunks(
    work: Callable[[int, int], list[T]],
    count: int,
    jobs: int,
    on_chunk: Callable[[int], None] | None = None,
    pieces: int = 4,
) -> list[T]:
    """``work(start, stop)`` answers items ``start..stop-1``; return all answers in order.

    ``work`` may close over anything (it is never pickled); its answers must
    pickle. A worker that raises makes this raise in the parent.
    ``on_chunk(n)`` is told, in the parent, each time n more items are done.
    ``pieces``: chunks a job (of about equal numbers of items); more of them, smaller, leave less of a wait at the
    end for the process that finished first, at the cost of a hand-over each.
    """
    if count == 0:
        return []
    steady_heap()
    jobs = max(1, min(jobs, count // MIN_ITEMS_PER_WORKER or 1))
    if jobs == 1 or not can_fork():
        if on_chunk is None:
            return work(0, count)
        out: list[T] = []
        for start, stop in chunked(count, 4):
            out.extend(work(start, stop))
            on_chunk(stop - start)
        return out
    parts = _shared(work, chunked(count, jobs, pieces), jobs, on_chunk or (lambda n: None))
    return [answer for part in parts for answer in part]


def _shared(work: Callable, chunks: list[tuple[int, int]], jobs: int, on_chunk: Callable[[int], None]) -> list:
    """Each chunk's answers, worked out by this process and ``jobs - 1`` forked workers, each taking the next
    chunk no one has taken yet (this process the first); the workers' answers arrive on the pool's own
    thread while this process works on its chunks."""
    global _WORK, _CHUNKS, _NEXT
    ctx = multiprocessing.get_context("fork")
    parts: list[list | None] = [None] * len(chunks)
    _WORK, _CHUNKS, _NEXT = work, chunks, ctx.Value("l", 1)  # chunk 0 is this process's
    give_back_free_memory()
    plugs = plug_heap_holes()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.freeze()  # the inherited objects stay out of the workers' collections (no copy-on-write for them)
    try:
        with ctx.Pool(jobs - 1) as pool:
            gc.unfreeze()  # the parent collects as before
            _widen(pool)
            answers = pool.imap_unordered(_run_next, range(len(chunks) - 1), chunksize=1)
            index: int | None = 0
            while index is not None:
                start, stop = chunks[index]
                part: list = []
                for a, b in chunked(stop - start, 1):  # in quarters: progress and the workers' answers between
                    done = work(start + a, start + b)
                    part.extend(done)
                    on_chunk(len(done))
                    _take(answers, parts, on_chunk, wait=False)
                parts[index] = part
                index = _claim()
            _take(answers, parts, on_chunk, wait=True)
    finally:
        gc.unfreeze()
        _WORK = _CHUNKS = _NEXT = None
        sys.setswitchinterval(switch)
        unplug(plugs)  # the workers are gone: this process may allocate in its holes again
    return parts


PIPE_SIZE = 1 << 20  # bytes: Linux's largest pipe an unprivileged process may ask for (``/proc/sys/fs/pipe-max-size``)


def _widen(pool) -> None:
    """Make the pipe the workers answer through hold ``PIPE_SIZE`` bytes (Linux; elsewhere nothing).

    A chunk of loaded articles is some 5 MB pickled. Through the default pipe of 64 KiB a worker waited for this
    process's result thread to read each piece, and that thread needs the GIL for every read, which this process's
    own work gives up only every ``SWITCH_INTERVAL``: some 80 waits a chunk, 30-50 ms in all, that the worker sat
    idle (some 0.35 s over the two prefetches at 4,000 articles). A pipe of 1 MiB needs a few."""
    setter = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    reader = getattr(getattr(pool, "_outqueue", None), "_reader", None)
    if setter is None or reader is None:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fcntl.fcntl(reader.fileno(), setter, PIPE_SIZE)


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value


def steady_heap() -> None:
    """Keep the C heap from holding freed large blocks (glibc; elsewhere nothing).

    glibc maps a block of 128 KiB or more on its own and unmaps it when freed, but raises that threshold
    to the size of each such block freed (up to 32 MiB): after one large page (a briefing pack, a cache
    file) every later one up to that size is carved from the heap, and its pages stay in the process
    once freed, in a worker and in the parent alike (about 30 MB between them at 4,000 articles). Setting
    the threshold fixes it where it starts.
    """
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (AttributeError, OSError):
        pass


def give_back_free_memory() -> None:
    """Return the C heap's free pages to the system before forking (glibc's ``malloc_trim``; elsewhere nothing).

    A free page still mapped is shared with the workers like any other, and the first process to allocate
    into it then copies it: given back, it is a fresh page for whoever needs one, counted once.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


PLUG_SIZES = tuple(64 * 1024 >> i for i in range(9))  # 64 KiB down to 256 bytes: smaller free chunks are left
TOP_MARGIN = 256 * 1024  # a block this close to the heap's end is taken as coming from its top, not from a hole


def _libc():
    """glibc's malloc, free and sbrk through ctypes, or None elsewhere."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: another C library's heap may not be laid out so
    except (AttributeError, OSError):
        return None
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.restype, libc.free.argtypes = None, [ctypes.c_void_p]
    libc.sbrk.restype, libc.sbrk.argtypes = ctypes.c_void_p, [ctypes.c_ssize_t]
    return libc


def plug_heap_holes() -> list[int]:
    """Allocate the C heap's free chunks below its top before forking (glibc); ``unplug`` frees them.

    glibc serves a ``malloc`` from a free chunk between live blocks before it extends the heap, and taking,
    splitting or merging such a chunk writes its header and its live neighbours': after a fork, every page
    that happens in is shared with the workers, so the process that writes it gets a copy. Loading leaves
    thousands of such holes (freed texts, temporaries), and rendering allocates and frees all the time. With
    the holes taken, what any process allocates after the fork comes from above the parent's heap, in pages
    that are its own from the start. A plug is never written, so it costs no memory beyond the chunk
    header's page, which loading had already made resident.
    """
    libc = _libc()
    if libc is None:
        return []
    plugs: list[int] = []
    for size in PLUG_SIZES:
        end = libc.sbrk(0) - TOP_MARGIN
        while True:
            block = libc.malloc(size)
            if not block or block + size > end:  # from the top (or no memory): this size has no hole left
                libc.free(block)
                break
            plugs.append(block)
    return plugs


def unplug(plugs: list[int]) -> None:
    """Free what ``plug_heap_holes`` allocated."""
    libc = _libc() if plugs else None
    if libc is not None:
        for block in plugs:
            libc.free(block)


def _take(answers, parts: list, on_chunk: Callable[[int], None], wait: bool) -> None:
    """Put the workers' finished chunks in their places; ``wait``: until every worker's task is answered."""
    while True:
        try:
            got = answers.next() if wait else answers.next(timeout=0)
        except StopIteration:
            return
        except multiprocessing.TimeoutError:
            return
        if got is not None:
            index, part = got
            parts[index] = part
            on_chunk(len(part))
