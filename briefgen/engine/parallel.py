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
process allocates after the fork comes from pages of its own. The workers
themselves (``engine.workers``) share nothing a killed process could leave
locked: an error or a lost worker reaches the caller, never a hang.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from briefgen.engine import workers

T = TypeVar("T")

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
    return sys.platform != "win32" and hasattr(os, "fork") and threading.active_count() == 1


# How often this process offers the GIL to its other threads while workers run (seconds; Python's default is
# 0.005). The inbox's thread (``workers.Inbox``) needs the GIL between each read of a worker's answer from the pipe:
# at the default, while this process works on its own chunks, a worker's answer of a few MB trickled in at
# about 13 MB/s, the worker blocked on writing it, and this process did 85 % of the Markdown prefetch (with the pool's thread).
SWITCH_INTERVAL = 0.0002


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
    """Each chunk's answers, worked out by this process and ``jobs - 1`` forked workers (``engine.workers``), each
    taking the next chunk no one has taken yet (this process the first); the workers' answers arrive on a
    thread of this process while it works on its chunks."""
    parts: list[list | None] = [None] * len(chunks)
    queue = workers.Chunks(1, len(chunks))  # chunk 0 is this process's
    give_back_free_memory()
    plugs = plug_heap_holes()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    pids: list[int] = []
    fds: list[int] = []
    inbox = None
    gc.freeze()  # the inherited objects stay out of the workers' collections (no copy-on-write for them)
    try:
        for _ in range(jobs - 1):
            fd, pid = workers.fork(queue, lambda index: work(*chunks[index]), fds)
            fds.append(fd)
            pids.append(pid)
        gc.unfreeze()  # the parent collects as before
        inbox, fds = workers.Inbox(fds), []  # the inbox closes them
        index: int | None = 0
        while index is not None:
            start, stop = chunks[index]
            part: list = []
            for a, b in chunked(stop - start, 1):  # in quarters: progress and the workers' answers between
                done = work(start + a, start + b)
                part.extend(done)
                on_chunk(len(done))
                inbox.take(parts, on_chunk, wait=False)
            parts[index] = part
            index = queue.claim()
        inbox.take(parts, on_chunk, wait=True)  # every pipe closed: every worker has exited or died
        statuses, pids = workers.reap(pids, kill=False), []
        if any(part is None for part in parts):
            raise workers.WorkerLost(workers.how_lost(statuses))
    finally:
        gc.unfreeze()
        workers.reap(pids, kill=True)  # after an error: the workers still running
        for fd in fds:
            os.close(fd)
        if inbox is not None:
            inbox.join()
        queue.close()
        sys.setswitchinterval(switch)
        unplug(plugs)  # the workers are gone: this process may allocate in its holes again
    return parts


M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value
TOP_PAD = 16 * 1024 * 1024  # the heap grows this much beyond what is asked, and keeps this much when it shrinks
TRIM_THRESHOLD = 64 * 1024 * 1024  # free at the heap's top before free() gives any of it back


def steady_heap() -> None:
    """Keep the C heap from holding freed large blocks, and from giving back and faulting in again its top's
    pages all the time (glibc; elsewhere nothing).

    glibc maps a block of 128 KiB or more on its own and unmaps it when freed, but raises that threshold
    to the size of each such block freed (up to 32 MiB): after one large page (a briefing pack, a cache
    file) every later one up to that size is carved from the heap, and its pages stay in the process
    once freed, in a worker and in the parent alike (about 30 MB between them at 4,000 articles). Setting
    the threshold fixes it where it starts.

    At its top, by default, the heap grows 128 KiB at a time and gives back its free top once 128 KiB is
    free there; a build allocates and frees texts and records at the top all the time, so the same pages
    went back to the system and were faulted in again: some 380,000 page faults in a 4,000-article cold build,
    1.5 s of system time. Growing it 16 MiB at a time and giving back only past 64 MiB free (``TOP_PAD``,
    ``TRIM_THRESHOLD``) left about 280,000, for 6-13 MiB more peak PSS (docs/architecture.md has the pairs).
    ``give_back_free_memory`` before a fork and after each chunk of pages still gives every free page back,
    which is what bounds the workers' memory.
    """
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(M_TOP_PAD, TOP_PAD)
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
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


GIVE_BACK_EVERY = 8 * 1024 * 1024  # bytes of output made between two ``give_back_free_memory``


def giving_back(sink: Callable[[str, bytes], object]) -> Callable[[str, bytes], None]:
    """``sink`` (a cold build's ``Staging.put``), giving the C heap's free pages back after each ``GIVE_BACK_EVERY``
    bytes of files handed to it.

    ``steady_heap`` lets 64 MiB pile up free before ``free`` gives any back, and the outputs (feeds, exports,
    the search index) make and drop that much between the render's last chunk and the end of the build, while
    the link check's process runs beside them: the parent's anonymous memory went from about 130 to 185 MiB
    over the outputs of a cold build at 4,000 articles, of which 6 MiB was still in use. Given back as it goes,
    it peaks at about 155 MiB (docs/architecture.md has the measurements)."""
    made = 0

    def put(rel: str, data: bytes) -> None:
        nonlocal made
        sink(rel, data)
        made += len(data)
        if made >= GIVE_BACK_EVERY:
            made = 0
            give_back_free_memory()

    return put


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
