"""A cold build checks its pages' links in another process while it makes its other files.

In a build with no record of the output (``write.Staging``), every page is on disk once rendering ends; the
feeds, sitemap, exports, search, copies and manifest come after (``Rebuild.outputs``: about 1.7 s at 4,000
articles, in this process alone), and the link check after them (about 2 CPU seconds). Here the check starts
as the outputs do, in ``jobs - 1`` new processes (``checks.linkworker``; not forks: see there), and this one
joins in once the outputs are made, taking the pieces no worker has taken yet. Links to pages are judged as they
are met; links to anything else are left for ``early_links.settle``, which judges them against the final files
and reports as the plain check would (``pipeline.check_links_parallel``): the same problems, in the same order.
Only a cold build, on more than one core, with enough pages: a rebuild checks the few pages it renders at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import briefgen
from briefgen.checks.early_links import EarlyCheck, settle
from briefgen.checks.linkworker import COMMAND, Claims
from briefgen.engine.parallel import MIN_ITEMS_PER_WORKER, can_fork, chunked
from briefgen.engine.pipeline import LINKCHECK_PARALLEL_MIN
from briefgen.problems import Problems

IMPORT_ROOT = str(Path(briefgen.__file__).resolve().parent.parent)  # where the workers import briefgen from


class LinksAhead:
    """The link check of ``pages`` (all rendered, streamed into ``staging``), begun in ``jobs - 1`` workers."""

    def __init__(self, staging, pages: list, jobs: int):
        self.staging, self.pages, self.jobs = staging, pages, jobs
        self.names, self.noted = len(staging.names), _noted(staging)
        self.pieces = chunked(len(pages), 2 * jobs)  # 8 a job, finer than the plain check's: whoever is free takes one
        self.known = frozenset(staging.names)
        self.counter = tempfile.TemporaryFile()
        self.counter.write(bytes(16))
        self.counter.flush()
        self.claims = Claims(self.counter.fileno(), len(self.pieces))
        job = {
            "folder": str(staging.folder),
            "known": list(staging.names),
            "pages": [(p.output, p.kind, p.source) for p in pages],
            "pieces": self.pieces,
            "claims": self.counter.fileno(),
        }
        self.workers: list[tuple[subprocess.Popen, object]] = []
        try:
            self._start(json.dumps(job).encode(), jobs - 1)
        except BaseException:
            self.cancel()
            raise

    def _start(self, job: bytes, count: int) -> None:
        for _ in range(count):  # files, not pipes: neither side waits for the other to read
            with tempfile.TemporaryFile() as given:  # (one each: a file's offset is shared by whoever has it open)
                given.write(job)
                given.seek(0)
                out = tempfile.TemporaryFile()
                # -I: no module of the folder the build runs in, nor of what a PYTHON* variable names
                command = [sys.executable, "-I", "-S", "-c", COMMAND, IMPORT_ROOT]
                worker = subprocess.Popen(
                    command, stdin=given, stdout=out, stderr=subprocess.DEVNULL, pass_fds=(self.claims.fd,)
                )
                self.workers.append((worker, out))

    def finish(self, files, statics: set[str], problems: Problems) -> bool:
        """Report what the plain check of the pages would. False, with nothing reported, where the caller must check
        them the plain way: a worker failed (this Python cannot start one, say; an error of the check itself, the plain
        check meets too), or a file made since the check began took the place of a page it read."""
        parts: list = [None] * len(self.pieces)
        try:
            while (index := self.claims.take(front=False)) is not None:
                parts[index] = EarlyCheck(self.staging.files, self.known).events(self.pages, *self.pieces[index])
            for worker, out in self.workers:
                if worker.wait() != 0:
                    return False
                out.seek(0)
                for line in out:
                    index, events = json.loads(line)
                    parts[index] = events
        finally:
            self.cancel()
        if _noted(self.staging) - self.noted != len(self.staging.names) - self.names or None in parts:
            return False
        events = [event for part in parts for event in part]
        settle(files, self.pages, statics, plain_chunks(len(self.pages), self.jobs), events, problems)
        return True

    def cancel(self) -> None:
        """End the workers (at once, if they are still at work) and let go of their files."""
        for worker, out in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            out.close()
        self.workers = []
        self.counter.close()


def _noted(staging) -> int:
    """How many files ``staging`` was handed (``Staging.note`` counts each once; the same path twice, twice)."""
    return len(staging.stats.changed_paths) + staging.stats.unchanged


def plain_chunks(count: int, jobs: int) -> list[tuple[int, int]]:
    """The pages of each call of ``check_links`` that ``check_links_parallel`` makes: all at once in line; else the
    chunks of ``map_chunks``, the first in quarters (this process takes it, a quarter at a time). Which of the other
    chunks this process takes (in quarters too) and which a worker takes (whole) is down to timing there: taken
    here as a worker's. It matters only to a broken link on two pages of one source (a topic's pages), which each
    call reports once."""
    if jobs == 1 or count < LINKCHECK_PARALLEL_MIN:
        return [(0, count)]
    jobs = max(1, min(jobs, count // MIN_ITEMS_PER_WORKER or 1))
    if jobs == 1 or not can_fork():
        return [(0, count)]
    chunks = chunked(count, jobs)
    start, stop = chunks[0]
    return [(start + a, start + b) for a, b in chunked(stop - start, 1)] + chunks[1:]


def start(rebuild) -> LinksAhead | None:
    """The link check begun beside ``rebuild``'s outputs, or None where it would not pay (or not be the plain
    check's: only a cold build, whose every page is rendered and on disk, checks them all)."""
    staging, jobs = rebuild.staging, rebuild.jobs
    if staging is None or rebuild.previous or rebuild.failed or not rebuild.write or jobs < 2:
        return None
    if os.name != "posix" or not sys.executable:  # (``Claims`` locks with ``lockf``; a worker is ``sys.executable``)
        return None
    pages = [p for p in rebuild.pages if p.output in rebuild.rendered]  # what ``Rebuild.check_links`` checks
    if len(pages) < LINKCHECK_PARALLEL_MIN or any(p.output not in staging.names for p in pages):
        return None
    try:
        return LinksAhead(staging, pages, jobs)
    except OSError:  # no temporary file, no process: the plain check, after the outputs
        return None


@contextlib.contextmanager
def beside(rebuild):
    """``rebuild.ahead``: the link check begun (or None) while the block runs; the workers end if it fails."""
    rebuild.ahead = start(rebuild)
    try:
        yield
    except BaseException:
        if rebuild.ahead is not None:
            rebuild.ahead.cancel()
            rebuild.ahead = None
        raise
