"""Named points in the write stage where a test can kill the build (fault injection).

``point(name)`` does nothing unless ``BRIEFGEN_FAULT_AT=K`` is set: then the
K-th point reached sends SIGKILL to this very process, a real kill -9 with no
clean-up, as a power cut or the OOM killer would. ``BRIEFGEN_FAULT_LOG=FILE``
appends each point's name to FILE, so a test can first count the points of a
build and then choose where to kill it (tests/test_crash_safety.py).
"""

from __future__ import annotations

import os
import signal

_AT = os.environ.get("BRIEFGEN_FAULT_AT", "")
_LOG = os.environ.get("BRIEFGEN_FAULT_LOG", "")
_seen = 0


def point(name: str) -> None:
    global _seen
    if not _AT and not _LOG:
        return
    _seen += 1
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{_seen} {name}\n")
    if _AT.isdigit() and _seen == int(_AT):
        os.kill(os.getpid(), signal.SIGKILL)


def no_exchange() -> bool:
    """Whether to swap folders with two renames even where the kernel exchanges them at once (tests)."""
    return os.environ.get("BRIEFGEN_FAULT_NO_EXCHANGE") == "1"


def worker_claimed() -> None:
    """In a forked worker, as it takes a chunk: ``BRIEFGEN_FAULT_KILL_WORKER=1`` kills it there (SIGKILL), before it
    answers, as the OOM killer would."""
    if os.environ.get("BRIEFGEN_FAULT_KILL_WORKER") == "1":
        os.kill(os.getpid(), signal.SIGKILL)


def child_started(name: str) -> None:
    """In a child ``forked.start`` made: ``BRIEFGEN_FAULT_KILL_CHILD=name`` kills the child called ``name`` there
    (SIGKILL), before it has done anything, as the OOM killer would."""
    if os.environ.get("BRIEFGEN_FAULT_KILL_CHILD") == name:
        os.kill(os.getpid(), signal.SIGKILL)
