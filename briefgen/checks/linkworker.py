"""The worker ``engine.linksahead`` starts: a new Python process that checks a cold build's pages' links.

A new process, not a fork of the build: the build goes on making its other files meanwhile, touching most of
its site as it does, and a forked worker would end up holding its own copy of every memory page the build
touched (some 50 MB at 4,000 articles). This one imports the link check and nothing else (``-S``: not even
site-packages; ``-I``: nor a module in the folder the build runs in, nor one a ``PYTHON*`` variable names), and
is handed what it needs as JSON (``run``): the staging folder, the pages rendered there (each one's output, kind
and source) and the pieces of that list to share out. It takes one piece at a time (``Claims``, shared with the
build and any other worker, from the front) and writes what ``early_links.EarlyCheck.events`` answers for it, as
one JSON line on its standard output: ``[piece, events]``.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import struct
import sys
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from briefgen.checks.early_links import EarlyCheck

M_MMAP_THRESHOLD, MMAP_THRESHOLD = -3, 128 * 1024  # glibc's mallopt parameter, and its own starting value
# How the build starts this module in a new interpreter (argv[1]: the folder briefgen is imported from).
COMMAND = "import sys; sys.path.insert(0, sys.argv[1]); from briefgen.checks.linkworker import run; run()"


class PageRef(NamedTuple):
    """What the link check reads of a page (``linkcheck._LinkCheck.page``), as the worker gets it."""

    output: str
    kind: str
    source: str | None


class StagedPages(Mapping):
    """Path -> bytes of the files ``names`` under ``folder``, read when asked (as ``write.StagedFiles`` reads them)."""

    def __init__(self, folder: str, names: frozenset[str]):
        self._folder, self._names = folder, names

    def __getitem__(self, rel: str) -> bytes:
        if rel not in self._names:
            raise KeyError(rel)
        with open(os.path.join(self._folder, rel), "rb", buffering=0) as file:  # (no Path, no buffer: one read)
            return file.readall()

    def __contains__(self, rel: object) -> bool:
        return rel in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class Claims:
    """Pieces of work 0 .. ``count - 1`` shared out between processes: the workers take them from the front, the
    build from the back. The first pages are the largest (the topic pages, and briefing packs of up to 12 MB at 4,000
    articles): a worker checks them while the build's outputs begin, before the outputs' peak of memory, and gives
    their memory back after each piece. The count taken from each end is kept in the file ``fd`` (each process has
    it open), read and written under a ``lockf`` lock, which excludes other processes."""

    def __init__(self, fd: int, count: int):
        self.fd, self.count = fd, count

    def take(self, front: bool) -> int | None:
        """The next piece no process has taken, from the front or the back; None when all are taken."""
        fcntl.lockf(self.fd, fcntl.LOCK_EX)
        try:
            ahead, behind = struct.unpack("<qq", os.pread(self.fd, 16, 0))
            if ahead + behind >= self.count:
                return None
            os.pwrite(self.fd, struct.pack("<qq", ahead + front, behind + (not front)), 0)
            return ahead if front else self.count - 1 - behind
        finally:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)


def _libc():
    """glibc's ``mallopt`` and ``malloc_trim``, or None elsewhere (the same care as ``engine.parallel.steady_heap``)."""
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim  # noqa: B018 - glibc only
    except (AttributeError, OSError):
        return None
    return libc


def run() -> None:
    """The worker: the job from standard input, each piece it takes to standard output. Its memory goes back to
    the system after each piece (a briefing pack's page is read, and copied, whole: some 12 MB at 4,000 articles),
    and a large block always comes from a mapping of its own (``M_MMAP_THRESHOLD``), unmapped once freed."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    job = json.load(sys.stdin)
    known = frozenset(job["known"])
    pages = [PageRef(*page) for page in job["pages"]]
    pieces = job["pieces"]
    files = StagedPages(job["folder"], known)
    claims = Claims(job["claims"], len(pieces))
    while (index := claims.take(front=True)) is not None:  # each piece with memos of its own: less memory
        sys.stdout.write(json.dumps([index, EarlyCheck(files, known).events(pages, *pieces[index])]) + "\n")
        if libc is not None:
            libc.malloc_trim(0)
    sys.stdout.flush()
