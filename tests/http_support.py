"""A real HTTP server on 127.0.0.1 that records every path asked of it (the external-link tests)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator

# path, the server's port -> (status, headers) of the empty answer
Answer = Callable[[str, int], tuple[int, dict[str, str]]]


class RecordingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Answer):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.paths: list[str] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: RecordingServer

    def log_message(self, *args) -> None:
        pass

    def _answer(self) -> None:
        self.server.paths.append(self.path)
        status, headers = self.server.answer(self.path, self.server.port)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer


@contextlib.contextmanager
def recording_server(answer: Answer) -> Iterator[RecordingServer]:
    """A ``RecordingServer`` serving on a thread for the ``with`` block."""
    server = RecordingServer(answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
