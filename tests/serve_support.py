"""Helpers for the `briefgen serve` tests: a running preview on 127.0.0.1 and a reload-channel client."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from pathlib import Path
from urllib.parse import quote

from conftest import copy_example

from briefgen.engine.build import Builder
from briefgen.project import Project
from briefgen.serve import Preview
from briefgen.serve.early import OpenPagesFirst
from briefgen.serve.reload import EVENTS_PATH, ReloadHub

ARTICLE = "content/articles/2025-02-23-record-russian-drone-attack.md"
ARTICLE_PAGE = "articles/2025-02-23-record-russian-drone-attack/index.html"
TOPIC = "content/topics/drone-strikes.yaml"
TOPIC_PAGE = "topics/drone-strikes/index.html"
STYLE = "body { color: rgb(17, 17, 17); }\n"


def make_project(dest: Path) -> Path:
    """The example, with its own stylesheet override (so the tests do not depend on the theme's CSS)."""
    project = copy_example(dest)
    static = project / "templates" / "static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "style.css").write_text(STYLE, encoding="utf-8")
    return project


class Running:
    """A started Preview, what it printed, and small ways to talk to it."""

    def __init__(self, project: Path, **options):
        self.root = project
        self.lines: list[str] = []
        options.setdefault("request_timeout", 2.0)
        self.preview = Preview(
            Project.at(project), port=options.pop("port", 0), out=self.lines.append, err=self.lines.append, **options
        )
        self.url = self.preview.start()
        self.port = self.preview.server.server_address[1]

    def stop(self) -> None:
        self.preview.stop()

    def get(self, path: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def events(self, headers: dict | None = None, page: str | None = None) -> EventStream:
        return EventStream(self.port, headers, page)

    def output(self) -> str:
        return "\n".join(self.lines)


class EventStream:
    """A reload-channel client: reads Server-Sent Events with a deadline."""

    def __init__(self, port: int, headers: dict | None = None, page: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        path = EVENTS_PATH + (f"?page={quote(page, safe='')}" if page is not None else "")
        self.conn.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status

    def next(self, name: str | None = None, timeout: float = 20.0) -> tuple[str, dict]:
        deadline = time.monotonic() + timeout
        event, data = "message", []
        while time.monotonic() < deadline:
            line = self.resp.fp.readline()
            if not line:
                raise EOFError("the reload channel closed")
            line = line.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "":
                if data and (name is None or event == name):
                    return event, json.loads("\n".join(data))
                event, data = "message", []
        raise TimeoutError(f"no {name or 'event'} within {timeout} s")

    def close(self) -> None:
        self.resp.close()  # the response holds the socket too: both, or the server never sees the page go
        self.conn.close()


def edit(path: Path, old: str, new: str, *, atomic: bool = False) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    if atomic:  # what most editors do: write a temporary file, rename it over the original
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    else:
        path.write_text(text, encoding="utf-8")


def title_of(project: Path, rel: str) -> str:
    match = re.search(r"^title: (.+)$", (project / rel).read_text(encoding="utf-8"), re.M)
    assert match
    return match.group(1).strip()


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes, return everything the server answers before closing (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    match = re.search(rb"content-length:\s*(\d+)", head, re.I)
    return match is None or len(body) >= int(match.group(1))


def status_of(response: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    return int(match.group(1)) if match else None


class AheadSetup:
    """A built project with serve's builder and its open-pages hook, in this process (no server): the tests of
    what serve renders ahead of a rebuild. ``announced`` lists each reload the hook announced."""

    def __init__(self, root: Path):
        self.root = root
        self.project = Project.at(root, None, None)
        self.builder = Builder(self.project, record_changes=False, preview=True)
        self.builder.rebuild()
        self.hub = ReloadHub()
        self.announced: list[list[str]] = []
        self.first = OpenPagesFirst(self.hub, self.project, self.announced.append)
        self.builder.early = self.first

    def page(self, output: str = ARTICLE_PAGE) -> bytes:
        return (self.root / "site" / output).read_bytes()
