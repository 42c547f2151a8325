"""`briefgen serve` never exposes the machine: one test per attack, against a real server on 127.0.0.1."""

from __future__ import annotations

import http.client
import socket
import time
from urllib.parse import urlsplit

import pytest
from serve_support import Running, make_project, raw_request, status_of

from briefgen.serve.reload import EVENTS_PATH
from briefgen.serve.server import locate

SECRET = "TOP-SECRET-4f1c"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One preview for the whole module (nothing here edits content), with bait outside the site."""
    project = make_project(tmp_path_factory.mktemp("security") / "project")
    (project / "secret.txt").write_text(SECRET)
    running = Running(project, request_timeout=1.0)
    site = project / "site"
    (site / "leak.txt").symlink_to(project / "secret.txt")
    (site / "leakdir").symlink_to(project)
    (site / "alias.html").symlink_to(site / "index.html")  # inside the site: fine to serve
    yield running
    running.stop()


def get(port: int, target: str, host: str | None = None, extra: str = "") -> bytes:
    host_line = f"Host: {host or f'127.0.0.1:{port}'}\r\n" if host != "" else ""
    return raw_request(port, f"GET {target} HTTP/1.1\r\n{host_line}{extra}Connection: close\r\n\r\n".encode("latin-1"))


def assert_refused(response: bytes) -> None:
    assert status_of(response) in (400, 403, 404), response[:200]
    assert SECRET.encode() not in response


# --- requests never leave the output folder --------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/../../../../../../etc/passwd",
        "/static/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/static%2f..%2f..%2fsecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/static\\..\\..\\secret.txt",
        "/index.html%00",
        "/%00../secret.txt",
        "/index.html\x00.txt",
        "/%ff%fe/secret.txt",
        "http://127.0.0.1/../secret.txt",
        "secret.txt",
    ],
)
def test_traversal_never_reaches_a_file_outside_the_site(server, target):
    assert_refused(get(server.port, target))


def test_an_absolute_path_is_a_path_inside_the_site(server):
    secret = server.root / "secret.txt"
    for target in (str(secret), "/" + str(secret), "//" + str(secret).lstrip("/"), "/%2f" + str(secret).lstrip("/")):
        assert_refused(get(server.port, target))


def test_normalised_paths_inside_the_site_are_served(server):
    for target in ("/static/../index.html", "/topics/./../index.html", "/%69ndex.html"):
        response = get(server.port, target)
        assert status_of(response) == 200, target


def test_symlinks_out_of_the_site_are_not_served(server):
    assert_refused(get(server.port, "/leak.txt"))
    assert_refused(get(server.port, "/leakdir/secret.txt"))
    assert_refused(get(server.port, "/leakdir/"))
    assert status_of(get(server.port, "/alias.html")) == 200  # a link that stays inside is fine


def test_locate_checks_with_commonpath_not_prefixes(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("ok")
    sibling = tmp_path / "site-secrets"  # shares the prefix "site": startswith() would let it through
    sibling.mkdir()
    (sibling / "key.txt").write_text(SECRET)
    (site / "to-sibling").symlink_to(sibling)
    assert locate(site, "/../site-secrets/key.txt").kind == "missing"
    assert locate(site, "/to-sibling/key.txt").kind == "missing"
    assert locate(site, "/index.html").kind == "file"
    assert locate(site, "/a%00b").kind == "bad"


# --- DNS rebinding, origins, CORS ------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example", "localhost.evil.example:{port}", "10.0.0.1"],
)
def test_a_foreign_host_header_gets_403(server, host):
    for target in ("/", EVENTS_PATH):
        response = get(server.port, target, host=host.format(port=server.port))
        assert status_of(response) == 403, (host, target)


def test_a_missing_or_doubled_host_header_gets_403(server):
    assert status_of(raw_request(server.port, b"GET / HTTP/1.0\r\n\r\n")) == 403
    doubled = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    assert status_of(raw_request(server.port, doubled.encode())) == 403


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST", "127.0.0.1"])
def test_loopback_names_are_served(server, host):
    assert status_of(get(server.port, "/", host=host.format(port=server.port))) == 200


def test_the_reload_channel_rejects_a_foreign_origin(server):
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": f"http://evil.example:{server.port}"},
        {"Origin": "null"},
        {"Origin": f"https://127.0.0.1:{server.port}"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        stream = server.events(headers)
        assert stream.status == 403, headers
        stream.close()
    same = server.events({"Origin": f"http://127.0.0.1:{server.port}", "Sec-Fetch-Site": "same-origin"})
    assert same.status == 200
    assert same.next("hello")[1]["server"] == server.preview.hub.server_id
    same.close()


def test_no_cors_headers_ever(server):
    for method, path in (("GET", "/"), ("GET", EVENTS_PATH), ("OPTIONS", "/"), ("GET", "/missing")):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request(
            method,
            path,
            headers={"Origin": f"http://127.0.0.1:{server.port}", "Access-Control-Request-Method": "GET"},
        )
        resp = conn.getresponse()
        names = {name.lower() for name, _ in resp.getheaders()}
        conn.close()
        assert not {n for n in names if n.startswith("access-control-")}, (method, path, names)


# --- no open redirect ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "//evil.example",
        "//evil.example/%2e%2e",
        "/\\evil.example/",
        "/%2fevil.example/",
        "/%5cevil.example",
        "///evil.example/topics",
        "//topics",
        "/topics",
        "/%2ftopics",
    ],
)
def test_no_redirect_leaves_the_server(server, target):
    response = get(server.port, target)
    head = response.partition(b"\r\n\r\n")[0].decode("latin-1")
    locations = [line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("location:")]
    for location in locations:
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert urlsplit(location).netloc == "", location
    if target in ("//topics", "/topics", "/%2ftopics"):
        assert status_of(response) == 301 and locations == ["/topics/"], (target, head)


# --- malformed requests ----------------------------------------------------------------------


def _still_serving(server) -> None:
    status, _, body = server.get("/")
    assert status == 200 and b"</html>" in body.lower()


@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n",  # a TLS hello
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / HTTP/1.1 extra words\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 100_000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
    ],
    ids=["garbage", "tls", "version", "words", "long-line", "100KB-header", "many-headers", "bad-header"],
)
def test_malformed_requests_get_400_or_are_dropped_and_others_are_served(server, data):
    response = raw_request(server.port, data)
    status = status_of(response)
    # 4xx, or 505 for an HTTP version the server does not speak (the protocol's own answer), or dropped
    assert response == b"" or (status is not None and (400 <= status < 500 or status == 505)), response[:200]
    assert SECRET.encode() not in response
    _still_serving(server)


def test_a_client_that_sends_nothing_does_not_block_others_and_is_dropped(server):
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        _still_serving(server)
        started = time.monotonic()
        assert silent.recv(1024) == b""  # the server hangs up after its request timeout
        assert time.monotonic() - started < 10
    finally:
        silent.close()


def test_200_idle_reload_connections_do_not_block_page_requests(server):
    streams = []
    try:
        request = f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(request)
            streams.append(sock)
        for sock in streams:  # every one is connected and open
            assert sock.recv(12) == b"HTTP/1.1 200"
        for path in ("/", "/topics/", "/static/favicon.svg"):
            status, _, _ = server.get(path)
            assert status == 200
    finally:
        for sock in streams:
            sock.close()
