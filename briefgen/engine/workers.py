"""Forked workers that take chunks of one stage's work and answer through a pipe each.

Why not ``multiprocessing.Pool``: it hung. Its ``terminate`` (an error in a chunk) kills workers with SIGTERM,
and a worker killed while it holds the lock of the queue it answers through leaves that lock held for ever: the
pool's task thread then waits on it and ``terminate`` waits on that thread (one run in 80 on two cores, and once
in CI). A worker killed from outside (the OOM killer, ``kill -9``) made it wait for the lost answer for ever.
Here nothing is shared that a killed process could leave locked:

- the chunks to take are numbers in a pipe (``Chunks``), written before any worker is forked; each process
  takes the next with one read of 4 bytes, which the kernel makes whole (never two processes the same chunk);
- each worker answers through a pipe of its own, read by one thread in this process (``Inbox``), framed by
  length; a worker that dies closes its pipe, so the reader always comes to an end;
- a worker that raised sends its exception (and its traceback as a note) and exits; a worker that died without
  answering every chunk it took is reported as ``WorkerLost``; on any error this process kills the workers
  (SIGKILL: what they compute has no side effect) and reaps them before the error goes on.
"""

from __future__ import annotations

import os
import pickle
import queue
import selectors
import signal
import struct
import threading
import traceback
from collections.abc import Callable
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows (and nothing forks there)
    fcntl = None  # type: ignore[assignment]

from briefgen.engine import faults
from briefgen.problems import BuildError, Problem

PIPE_SIZE = 1 << 20  # bytes: Linux's largest pipe an unprivileged process may ask for (``/proc/sys/fs/pipe-max-size``)
_INDEX = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")
LESS = "build with fewer --jobs"
_DONE = object()  # the inbox's last message: every worker's pipe is closed
WORKER_LOG = "BRIEFGEN_WORKER_LOG"  # tests: a file each forked worker appends its process id to


class WorkerLost(BuildError):
    """A worker stopped (killed, out of memory) before it answered every chunk it took."""

    def __init__(self, how: str):
        super().__init__(
            [
                Problem(
                    "briefgen",
                    None,
                    f"a worker process {how} before it finished its share of the build",
                    "the system may have run out of memory, or something stopped the process: build again, "
                    "or with fewer --jobs",
                )
            ]
        )


class Chunks:
    """The numbers of the chunks no process has taken yet, in a pipe every process reads from."""

    def __init__(self, first: int, count: int):
        data = b"".join(_INDEX.pack(i) for i in range(first, count))
        self.fd, write = os.pipe()
        try:
            if len(data) > 1 << 16:  # more than a pipe holds by default (some --jobs 4,096 and up): a wider pipe
                widen(write, len(data))
            os.set_blocking(write, False)  # no reader yet: a pipe too small for them must not wait for ever
            try:
                whole = os.write(write, data) == len(data)
            except BlockingIOError:
                whole = False
            if not whole:
                raise BuildError([Problem("--jobs", None, f"too many chunks of work for one pipe ({count})", LESS)])
        except BaseException:
            os.close(self.fd)
            raise
        finally:
            os.close(write)  # with no writer left, an empty pipe reads as the end

    def claim(self) -> int | None:
        data = os.read(self.fd, _INDEX.size)
        return _INDEX.unpack(data)[0] if len(data) == _INDEX.size else None

    def close(self) -> None:
        os.close(self.fd)


def widen(fd: int, size: int = PIPE_SIZE) -> None:
    """Let the pipe hold ``size`` bytes (Linux; elsewhere nothing): ``PIPE_SIZE``, so a worker's answer of a few MB
    (a chunk of loaded articles) goes through in a few writes rather than a wait for this process's reader at every
    64 KiB; more chunk numbers than 64 KiB hold (``Chunks``). Where it cannot be had, the pipe stays as it is."""
    setter = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setter is not None:
        try:
            fcntl.fcntl(fd, setter, size)
        except OSError:
            pass


def fork(chunks: Chunks, work: Callable[[int], Any], others: list[int]) -> tuple[int, int]:
    """Fork a worker that answers ``work(index)`` for each chunk it claims; (the pipe to read it from, its pid).
    ``others``: the pipes of workers forked before it, which it closes."""
    read, write = os.pipe()
    widen(write)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read)
        _serve(chunks, work, write, others)
    os.close(write)
    return read, pid


def _serve(chunks: Chunks, work: Callable[[int], Any], out: int, others: list[int]) -> None:
    """In a worker: answer chunks until none is left, then exit (never returns, never runs the parent's exit)."""
    status = 1
    try:
        for fd in others:
            os.close(fd)
        log = os.environ.get(WORKER_LOG)
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()}\n")
        while (index := chunks.claim()) is not None:
            faults.worker_claimed()
            _send(out, (index, work(index)))
        status = 0
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the parent raises it
        try:
            _send(out, (None, _picklable(exc, traceback.format_exc())))
        except BaseException:  # noqa: BLE001 - the parent is gone or the pipe broke: it reports us as lost
            pass
    finally:
        os._exit(status)


def _picklable(exc: BaseException, trace: str) -> BaseException:
    try:
        pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - an exception that does not pickle goes as its text
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    exc.add_note(f"in a forked worker:\n{trace}")
    return exc


def _send(fd: int, message: Any) -> None:
    """``message`` pickled, after its length: two writes, so that an answer of many MB is not copied once more."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    for part in (_LENGTH.pack(len(data)), data):
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view) :]


class _Incoming:
    """What has come of a pipe's current message: its length's bytes, then its body, read into a buffer made once
    at its full size (not grown a read at a time: each growth of a buffer of many MB is a new mapping)."""

    __slots__ = ("head", "body", "got")

    def __init__(self):
        self.head, self.body, self.got = b"", None, 0

    def read(self, fd: int) -> tuple[bool, Any]:
        """Read what the pipe holds of the message: (whether the pipe is open, the whole message or ``_DONE``)."""
        if self.body is None:
            data = os.read(fd, _LENGTH.size - len(self.head))
            if not data:
                return False, _DONE
            self.head += data
            if len(self.head) < _LENGTH.size:
                return True, _DONE
            self.body, self.got = bytearray(_LENGTH.unpack(self.head)[0]), 0
        if self.got < len(self.body):
            with memoryview(self.body) as view:
                count = os.readv(fd, [view[self.got :]])
            if not count:
                return False, _DONE
            self.got += count
        if self.got < len(self.body):
            return True, _DONE
        message = pickle.loads(self.body)
        self.head, self.body = b"", None
        return True, message


class Inbox:
    """One thread that reads every worker's pipe to its end and queues each whole answer: (index, answers), or
    (None, the exception a worker raised); ``_DONE`` when every pipe is closed."""

    def __init__(self, fds: list[int]):
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.closed = False  # every pipe has come to its end and every answer is taken
        self._thread = threading.Thread(target=self._read, args=(list(fds),), name="briefgen-inbox", daemon=True)
        self._thread.start()

    def _read(self, fds: list[int]) -> None:
        pipes = {fd: _Incoming() for fd in fds}  # the pipes still open, each with what has come of its message
        try:
            self._read_all(pipes)
        except BaseException as exc:  # noqa: BLE001 - an answer that does not unpickle: the parent raises it
            self.messages.put((None, exc))
            for fd in pipes:  # a worker still writing gets a broken pipe; the parent kills them anyway
                os.close(fd)
        finally:
            self.messages.put(_DONE)

    def _read_all(self, pipes: dict[int, _Incoming]) -> None:
        with selectors.DefaultSelector() as selector:
            for fd in pipes:
                selector.register(fd, selectors.EVENT_READ)
            while pipes:
                for key, _ in selector.select():
                    fd = key.fd
                    open_, message = pipes[fd].read(fd)
                    if message is not _DONE:
                        self.messages.put(message)
                    if not open_:  # (a message cut short by a worker's death is dropped: the parent reports it)
                        selector.unregister(fd)
                        os.close(fd)
                        del pipes[fd]

    def take(self, parts: list, on_chunk: Callable[[int], None], wait: bool) -> bool:
        """Put the answers that have come in their places (raising a worker's exception); ``wait``: until every
        pipe is closed. Whether every pipe is closed."""
        while not self.closed:
            try:
                message = self.messages.get(block=wait)
            except queue.Empty:
                return False
            if message is _DONE:
                self.closed = True
                break
            index, answer = message
            if index is None:
                raise answer
            parts[index] = answer
            on_chunk(len(answer))
        return True

    def join(self) -> None:
        self._thread.join()


def reap(pids: list[int], kill: bool) -> list[int]:
    """Wait for each worker to end (``kill``: SIGKILL first, for those still running); their wait statuses."""
    if kill:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)  # not yet reaped, so the pid is still this worker's
            except ProcessLookupError:
                pass
    return [os.waitpid(pid, 0)[1] for pid in pids]


def how_lost(statuses: list[int]) -> str:
    """In words, how the first worker that did not exit cleanly ended."""
    for status in statuses:
        code = os.waitstatus_to_exitcode(status)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"was killed ({name})"
        if code:
            return f"exited with status {code}"
    return "stopped"
