"""The reload channel: Server-Sent Events from the preview server to open pages.

SSE rather than a WebSocket because it is one plain GET that the standard
library's HTTP server can hold open, the browser reconnects by itself after a
server restart, and it needs no extra dependency. Every event carries the whole
state an open page needs (build version, changed output files, current
problems), so a page that missed events catches up from the next ``hello``.

The reload script is injected into HTML as the server sends it; the files in
the output folder are never touched.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

EVENTS_PATH = "/__briefgen/events"
SCRIPT_PATH = "/__briefgen/reload.js"
SCRIPT = (Path(__file__).with_name("reload.js")).read_bytes()
RETRY_MS = 500  # how soon a page reconnects after the server went away


@dataclass(frozen=True)
class Event:
    seq: int
    name: str  # "built" | "failed"
    data: dict

    def encode(self) -> bytes:
        return sse(self.name, self.data, self.seq)


def sse(name: str, data: dict, seq: int | None = None) -> bytes:
    """One Server-Sent Event; JSON never contains a raw newline, so one data line is enough."""
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class ReloadHub:
    """What every open page needs to know, and a way to wait for the next change.

    Rebuilds publish into it from the watcher's thread; each reload connection
    waits on it from its own server thread.
    """

    def __init__(self, history: int = 64):
        self.server_id = secrets.token_hex(8)  # a page from another server run reloads
        self._cond = threading.Condition()
        self._events: deque[Event] = deque(maxlen=history)
        self._seq = 0
        self.version = 0  # successful builds so far
        self.problems: list[dict] = []  # the current build's errors, shown as an overlay
        self.closed = False
        self._open: Counter[str] = Counter()  # output file -> reload connections from that page
        self._holding, self._written = False, frozenset()  # a rebuild is still writing pages (see hold)

    def page_opened(self, page: str) -> None:
        """A page (its file in the output folder, as the injected script says) connected."""
        with self._cond:
            self._open[page] += 1

    def page_closed(self, page: str) -> None:
        with self._cond:
            self._open[page] -= 1
            if self._open[page] <= 0:
                del self._open[page]

    def hold(self, written: set[str]) -> None:
        """Until ``release``, requests for HTML pages other than ``written`` wait: a rebuild wrote the open
        pages first and is still working out and writing the rest (assets are never held: the open
        pages load theirs meanwhile)."""
        with self._cond:
            self._holding, self._written = True, frozenset(written)

    def release(self) -> None:
        with self._cond:
            self._holding, self._written = False, frozenset()
            self._cond.notify_all()

    def _held(self, output: str) -> bool:
        return self._holding and output.endswith(".html") and output not in self._written and not self.closed

    def wait_until_written(self, output: str, timeout: float = 30.0) -> None:
        """Return once ``output`` is not held (at once, almost always)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._held(output), timeout)

    def open_pages(self) -> frozenset[str]:
        """The output files that some browser shows right now: a rebuild renders these first."""
        with self._cond:
            return frozenset(self._open)

    def _publish(self, name: str, data: dict) -> None:
        self._seq += 1
        self._events.append(Event(self._seq, name, data))
        self._cond.notify_all()

    def built(self, changed: list[str], removed: list[str], css: list[str], reload_all: bool = False) -> None:
        """A good build is in place: pages in ``changed``/``removed`` reload, ``css`` (new hashed names) swap."""
        with self._cond:
            self.version += 1
            self.problems = []
            self._publish(
                "built",
                {
                    "version": self.version,
                    "changed": changed,
                    "removed": removed,
                    "css": css,
                    "reload_all": reload_all,
                },
            )

    def failed(self, problems: list[dict]) -> None:
        """The last save broke the build: pages keep the last good build and show these."""
        with self._cond:
            self.problems = problems
            self._publish("failed", {"version": self.version, "problems": problems})

    def _hello(self) -> bytes:
        return sse("hello", {"server": self.server_id, "version": self.version, "problems": self.problems})

    def hello(self) -> tuple[int, bytes]:
        """The first event of a connection, and the sequence number it is current as of."""
        with self._cond:
            return self._seq, self._hello()

    def wait(self, after: int, timeout: float) -> tuple[int, bytes] | None:
        """(new sequence number, events newer than ``after``), b"" after ``timeout``; None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self.closed or self._seq > after, timeout)
            if self.closed:
                return None
            if self._seq == after:
                return after, b""
            missed = [e for e in self._events if e.seq > after]
            if not missed or missed[0].seq != after + 1:
                return self._seq, self._hello()  # fell behind the history: start over from the state
            return self._seq, b"".join(e.encode() for e in missed)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def script_tag(self, page: str) -> bytes:
        """The tag injected into one served page; ``page`` is its file in the output folder."""
        return (
            f'<script src="{SCRIPT_PATH}" data-page="{html.escape(page)}" '
            f'data-server="{self.server_id}" data-version="{self.version}" defer></script>'
        ).encode()


def inject(document: bytes, tag: bytes) -> bytes:
    """``document`` with ``tag`` before its last ``</body>`` (or ``</html>``, or at the end)."""
    lower = document.lower()
    for marker in (b"</body>", b"</html>"):
        at = lower.rfind(marker)
        if at != -1:
            return document[:at] + tag + b"\n" + document[at:]
    return document + b"\n" + tag
