"""The preview's HTTP server: the output folder on 127.0.0.1, and nothing else.

The standard library's threading HTTP server (as MkDocs' livereload uses): one
daemon thread per connection, so long-lived reload connections never block
page requests, and no dependency to keep up to date. What it adds is the
safety a dev server on a writer's machine needs:

- a request path is decoded, normalised and checked with ``os.path.commonpath``
  against the real output folder after resolving symlinks, so ``..``, encoded
  slashes, backslashes, absolute paths, NUL bytes and symlinks never reach a
  file outside it;
- when bound to loopback, only ``localhost``/``127.0.0.1``/``[::1]`` Host
  headers are answered (a DNS-rebinding page gets 403);
- the reload channel refuses cross-origin pages; no CORS header is ever sent;
- redirects are built from the normalised path, so they stay on this server;
- a client that sends nothing is dropped after ``request_timeout`` seconds.
"""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
import os
import posixpath
import select
import socket
import socketserver
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from briefgen.serve.reload import EVENTS_PATH, RETRY_MS, SCRIPT, SCRIPT_PATH, ReloadHub, inject

log = logging.getLogger("briefgen.serve")

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]"}
KEEPALIVE_SECONDS = 15.0
GONE_CHECK_SECONDS = 1.0  # how often an idle reload connection checks that its page is still there
NOT_FOUND_PAGE = b"<!doctype html><meta charset=utf-8><title>Not found</title><h1>Not found</h1>\n"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    """What a request path names in the output folder."""

    kind: str  # "file" | "redirect" | "missing" | "bad"
    path: Path | None = None  # the file, for "file"
    page: str = ""  # its path inside the output folder (for the reload script)
    location: str = ""  # for "redirect"


def _inside(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:
        return False


def locate(root: Path, raw_path: str) -> Target:
    """Map a request path to a file inside ``root``, never outside it."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return Target("bad")
    if "\x00" in decoded or not decoded.startswith("/"):
        return Target("bad")  # NUL bytes; absolute-form targets such as http://host/ (proxy requests)
    decoded = decoded.replace("\\", "/")
    rel = posixpath.normpath("/" + "/".join(p for p in decoded.split("/") if p)).lstrip("/")
    real_root = os.path.realpath(root)
    full = os.path.realpath(os.path.join(real_root, rel))
    if not _inside(real_root, full):
        return Target("missing")  # traversal, or a symlink pointing out of the site
    if os.path.isdir(full):
        if not decoded.endswith("/"):
            # Built from the normalised path: always one leading slash, never //host.
            return Target("redirect", location="/" + quote(rel) + "/" if rel else "/")
        full = os.path.realpath(os.path.join(full, "index.html"))
        rel = posixpath.join(rel, "index.html") if rel else "index.html"
        if not _inside(real_root, full):
            return Target("missing")
    if os.path.isfile(full):
        return Target("file", Path(full), rel)
    return Target("missing")


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # reload connections never keep the process alive
    request_queue_size = 256  # many pages (and reconnecting reload channels) at once
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path, hub: ReloadHub, *, request_timeout: float = 10.0):
        host = address[0]
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.root = root
        self.hub = hub
        self.request_timeout = request_timeout
        self.loopback = is_loopback(host)
        super().__init__((host.strip("[]"), address[1]), PreviewHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up with getfqdn (a DNS query): not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request, client_address) -> None:
        log.debug("error while serving %s", client_address, exc_info=True)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # errors before the version is known still get a status line

    def version_string(self) -> str:
        return "briefgen"

    def setup(self) -> None:
        self.timeout = self.server.request_timeout  # read by StreamRequestHandler.setup
        super().setup()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    # --- the checks -----------------------------------------------------------

    def _host_ok(self) -> bool:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1:
            return False
        if not self.server.loopback:
            return True
        name = hosts[0].strip().lower()
        if name.startswith("["):
            name = name[: name.find("]") + 1]
        else:
            name = name.rsplit(":", 1)[0]
        return name in LOOPBACK_NAMES

    def _same_origin(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{self.headers.get('Host', '')}":
            return False
        return self.headers.get("Sec-Fetch-Site") in (None, "same-origin", "none")

    # --- the answers ----------------------------------------------------------

    def _answer(self, head: bool) -> None:
        if not self._host_ok():
            return self._send(403, b"Forbidden: this preview answers only to localhost.\n", "text/plain", head)
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            return self._events(head)
        if path == SCRIPT_PATH:
            return self._send(200, SCRIPT, "text/javascript; charset=utf-8", head)
        for _attempt in range(3):
            target = locate(self.server.root, self.path)
            if target.kind == "file":
                self.server.hub.wait_until_written(target.page)  # never a page a rebuild has yet to write
                try:
                    body = target.path.read_bytes()
                except OSError:  # replaced by a rebuild between the check and the read
                    time.sleep(0.02)
                    continue
                return self._file(target, body, head)
            if target.kind != "missing" or self.server.root.is_dir():
                break
            time.sleep(0.02)  # the output folder is being swapped by a rebuild
        if target.kind == "bad":
            return self._send(400, b"Bad request.\n", "text/plain", head)
        if target.kind == "redirect":
            return self._send(301, b"", "text/plain", head, {"Location": target.location})
        return self._not_found(head)

    def _file(self, target: Target, body: bytes, head: bool) -> None:
        ctype = mimetypes.guess_type(target.path.name)[0] or "application/octet-stream"
        if ctype == "text/html":
            body = inject(body, self.server.hub.script_tag(target.page))
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json", "application/xml"):
            ctype += "; charset=utf-8"
        self._send(200, body, ctype, head)

    def _not_found(self, head: bool) -> None:
        page = self.server.root / "404.html"
        try:
            body = page.read_bytes() if _inside(os.path.realpath(self.server.root), os.path.realpath(page)) else b""
        except OSError:
            body = b""
        body = inject(body or NOT_FOUND_PAGE, self.server.hub.script_tag("404.html"))
        self._send(404, body, "text/html; charset=utf-8", head)

    def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # a preview is always the latest build
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _peer_gone(self) -> bool:
        """True when the page closed its end (a reload channel's client never sends anything after asking)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except (OSError, ValueError):
            return True

    def _events(self, head: bool) -> None:
        if not self._same_origin():
            return self._send(
                403, b"Forbidden: the reload channel is for this server's pages only.\n", "text/plain", head
            )
        hub = self.server.hub
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        page = open_page(self.path)
        if page:
            hub.page_opened(page)
        seq, hello = hub.hello()
        try:
            self.wfile.write(f"retry: {RETRY_MS}\n\n".encode() + hello)
            self.wfile.flush()
            quiet = 0.0
            while True:
                waited = hub.wait(seq, GONE_CHECK_SECONDS)
                if waited is None:
                    return  # the server is stopping
                seq, chunk = waited
                if not chunk:
                    if self._peer_gone():
                        return
                    quiet += GONE_CHECK_SECONDS
                    if quiet < KEEPALIVE_SECONDS:
                        continue
                quiet = 0.0
                self.wfile.write(chunk or b": keep-alive\n\n")  # a keep-alive also finds clients that left
                self.wfile.flush()
        except OSError:
            return  # the page closed, or a write timed out
        finally:
            if page:
                hub.page_closed(page)


def open_page(request_path: str) -> str | None:
    """The output file a reload connection says its page shows (``?page=``), if it looks like one."""
    values = parse_qs(urlsplit(request_path).query).get("page", [])
    page = values[0] if len(values) == 1 else ""
    if not page or len(page) > 1024 or page.startswith("/") or "\\" in page or "\0" in page:
        return None
    if any(part in ("", ".", "..") for part in page.split("/")):
        return None
    return page
