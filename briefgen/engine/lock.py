"""One build at a time per project: ``project_lock``.

``briefgen build``, every rebuild of ``serve``, ``publish`` and ``clean`` hold
the lock while they read or write the output folder and the cache. It is an
``fcntl.flock`` on ``.briefgen.lock`` in the project folder (Hugo keeps a
``.hugo_build.lock`` there for the same reason). The kernel drops the lock
when the process that holds it ends, however it ends, so a lock left by a
killed build is no lock at all: the next run takes it at once. The file
itself is never removed (removing a lock file while someone waits on it is
how two processes end up holding "the" lock); while held it says who holds
it, so a second run that has waited a while can say whom it waited for.

The lock is re-entrant within a process (``publish`` holds it around its
build, which takes it again) and serialises the threads of one process.
Forked render workers inherit the open file but close their copy at once:
the lock belongs to the process that took it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from briefgen.problems import BuildError, Problem

LOCK_NAME = ".briefgen.lock"
DEFAULT_WAIT = 10.0  # seconds a second run waits before it gives up and says who holds the lock
WAIT_ENV = "BRIEFGEN_LOCK_WAIT"

try:
    import fcntl
except ImportError:  # not a POSIX system: no lock (every other promise still holds)
    fcntl = None


class _Held:
    def __init__(self, fd: int | None):
        self.fd = fd
        self.count = 0
        self.thread = threading.RLock()


_held: dict[str, _Held] = {}
_guard = threading.Lock()


def _close_in_child() -> None:
    for held in _held.values():
        if held.fd is not None:
            with contextlib.suppress(OSError):
                os.close(held.fd)
        held.fd = None
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def default_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


def command_line() -> str:
    args = [os.path.basename(sys.argv[0]) if sys.argv else "briefgen", *sys.argv[1:]]
    if args[0] in ("__main__.py", "-m"):
        args[0] = "briefgen"
    return " ".join(args)


@contextlib.contextmanager
def project_lock(root: Path, command: str | None = None, wait: float | None = None) -> Iterator[None]:
    """Hold the build lock of the project at ``root``; raise ``BuildError`` (who holds it) after ``wait`` s."""
    path = str(Path(root).resolve() / LOCK_NAME)
    with _guard:
        held = _held.setdefault(path, _Held(None))
    deadline = time.monotonic() + (default_wait() if wait is None else wait)
    if not held.thread.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise BuildError([_busy(Path(path), wait)])
    try:
        if held.count == 0:
            held.fd = _take(Path(path), deadline, wait)
            _say_who(held.fd, command)
        held.count += 1
        try:
            yield
        finally:
            held.count -= 1
            if held.count == 0 and held.fd is not None:
                os.close(held.fd)  # closing the file releases the lock
                held.fd = None
    finally:
        held.thread.release()


def _take(path: Path, deadline: float, wait: float | None) -> int | None:
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        # a read-only project (built into an --output elsewhere): lock the folder itself, unlabelled
        fd = os.open(path.parent, os.O_RDONLY | os.O_CLOEXEC)
    delay = 0.02
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise BuildError([_busy(path, wait)]) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _say_who(fd: int | None, command: str | None) -> None:
    if fd is None:
        return
    info = {
        "pid": os.getpid(),
        "command": command or command_line(),
        "since": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    with contextlib.suppress(OSError):  # a folder locked for want of a file: nothing to say
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)


def holder(path: Path) -> dict | None:
    """Who wrote ``path`` last (the process that holds the lock, while it is held)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _busy(path: Path, wait: float | None) -> Problem:
    info = holder(path) or {}
    who = "another briefgen run"
    if info.get("pid"):
        who += f" (pid {info['pid']}, `{info.get('command', '?')}`, since {info.get('since', '?')})"
    waited = default_wait() if wait is None else wait
    return Problem(
        path.name,
        None,
        f"{who} is building this project; waited {waited:g} s for it",
        "wait for it to finish or stop it, then run again; the lock goes with the process that holds it",
    )
