"""Work handed to a forked child while this process goes on; the child's answer comes back as bytes.

A command-line rebuild has stretches where one core works and the other waits: it plans, loads and links the
site alone. Work in those stretches that depends on nothing the build works out next, and changes nothing the
build reads, can run on the other core, as the look at the output folder does (``probe``). ``start(work)``
forks a child that runs ``work()`` and writes the bytes it returns into a pipe, then exits;
``Forked.answer()`` reads them and reaps the child. Work that walks the site's objects does not pay: reading
a Python object writes its reference count, so the child copies the pages it reads (a child that wrote the
stored model after a whole load copied some 40 MiB at 4,000 articles; bench/README, the twentieth session).

Only a single-threaded process forks (``parallel.can_fork``). The child never runs the parent's exit
(``os._exit``: no ``atexit`` hook, no buffered output flushed twice); a child that raised, was killed or
sent half an answer gives ``None``, and the caller does the work itself or says it was not done.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from briefgen.engine import faults
from briefgen.engine.parallel import can_fork
from briefgen.engine.workers import widen


class Forked:
    """A child forked by ``start``: its answer, read when first asked (``None`` when it has none)."""

    def __init__(self, fd: int, pid: int):
        self._fd, self._pid = fd, pid
        self._answer: bytes | None = None

    def answer(self) -> bytes | None:
        """What the child sent, once it has exited cleanly; None if it failed, was killed or cannot be read."""
        if self._fd >= 0:
            chunks = []
            try:
                while chunk := os.read(self._fd, 1 << 20):
                    chunks.append(chunk)
            except OSError:
                chunks = None
            if self.close() and chunks is not None:
                self._answer = b"".join(chunks)
        return self._answer

    def close(self) -> bool:
        """Stop reading and reap the child (it has exited, or exits on the closed pipe); whether it exited with 0."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._pid <= 0:
            return False
        try:
            _, status = os.waitpid(self._pid, 0)
        except ChildProcessError:
            status = -1
        self._pid = 0
        return status == 0


def start(work: Callable[[], bytes], name: str) -> Forked | None:
    """A child forked to run ``work()`` and send back what it returns, or None where none can be forked (threads,
    no ``fork``, no process to be had). ``name`` is for fault injection (``faults.child_started``)."""
    if not can_fork():
        return None
    read, write = os.pipe()
    widen(write)
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        status = 1
        try:
            os.close(read)
            faults.child_started(name)
            data = memoryview(work())
            while data:
                data = data[os.write(write, data) :]
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return Forked(read, pid)
