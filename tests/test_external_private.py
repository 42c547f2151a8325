"""`check --external` never requests loopback, link-local or private addresses written in content, unless asked.

A real HTTP server on 127.0.0.1 records every request it gets; content links to it by IP, by ``localhost`` and
through a redirect from a name that looks public. Without ``--external-private`` nothing reaches it and each link
is a located "not checked" warning; with it, the server is asked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from http_support import recording_server

CORPUS = Path(__file__).resolve().parent / "broken"


def _answer(path: str, port: int) -> tuple[int, dict[str, str]]:
    if path.startswith("/hop"):  # a redirect to the machine's own loopback address
        return 302, {"Location": f"http://127.0.0.1:{port}/internal"}
    return 200, {}


@pytest.fixture
def recorder():
    with recording_server(_answer) as server:
        yield server, server.port


def _project(tmp_path: Path, port: int) -> tuple[Path, int]:
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    article = project / "content/articles/base.md"
    article.write_text(
        article.read_text()
        + f"\nSee [the admin page](http://127.0.0.1:{port}/admin) and [the dashboard](http://localhost:{port}/dash).\n"
    )
    return project, len(article.read_text().splitlines())


def test_private_addresses_are_not_requested_and_are_reported_as_skipped(recorder, tmp_path: Path):
    server, port = recorder
    project, line = _project(tmp_path, port)
    proc = run_cli("check", "--source", str(project), "--external", "--timeout", "2", "--format", "json")
    assert server.paths == [], "nothing was sent to the loopback server"
    found = {
        (p["path"], p["line"], p["severity"], p["message"])
        for p in json.loads(proc.stdout)["problems"]
        if f":{port}/" in p["message"]  # the corpus's other links fail without a network; not ours to check
    }
    assert found == {
        (
            "content/articles/base.md",
            line,
            "warning",
            f"external link 'http://127.0.0.1:{port}/admin' was not checked: 127.0.0.1 is a loopback address",
        ),
        (
            "content/articles/base.md",
            line,
            "warning",
            f"external link 'http://localhost:{port}/dash' was not checked: "
            "localhost resolves to 127.0.0.1, a loopback address",
        ),
    }, proc.stdout
    text = run_cli("check", "--source", str(project), "--external", "--timeout", "2")
    assert f"base.md:{line}: external link 'http://127.0.0.1:{port}/admin' was not checked" in text.stderr
    assert "--external-private" in text.stderr, "the hint says how to check it anyway"
    assert server.paths == []


def test_external_private_asks_for_them(recorder, tmp_path: Path):
    server, port = recorder
    project, _ = _project(tmp_path, port)
    proc = run_cli(
        "check", "--source", str(project), "--external", "--external-private", "--no-cache", "--format", "json"
    )
    assert "/admin" in server.paths and "/dash" in server.paths
    ours = [p for p in json.loads(proc.stdout)["problems"] if f":{port}/" in p["message"]]
    assert ours == [], "both answered 200"
    # A good answer cached by that run does not let the next run skip the rule.
    before = len(server.paths)
    proc = run_cli("check", "--source", str(project), "--external", "--format", "json")
    assert len(server.paths) == before
    assert any("was not checked" in p["message"] for p in json.loads(proc.stdout)["problems"])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.8.9.10/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://localhost/",
    ],
)
def test_which_addresses_are_not_public(url: str):
    from briefgen.checks.external_links import not_public

    assert not_public(url), url


@pytest.mark.parametrize("url", ["http://93.184.215.14/", "http://[2606:4700::1111]/", "http://no-such-host.invalid/"])
def test_public_addresses_and_unknown_names_are_checked(url: str):
    from briefgen.checks.external_links import not_public

    assert not_public(url) is None, url


def test_redirects_and_connections_to_private_addresses_send_nothing(recorder):
    """Past the look-up, two more guards: a redirect to a private address is not followed, and a connection
    that lands on one (a name whose DNS answer changed since the look-up) is closed before the request is sent."""
    import urllib.error

    from briefgen.checks.external_links import _PUBLIC_ONLY, NotPublic, _PublicRedirectHandler

    server, port = recorder
    with pytest.raises(NotPublic, match="redirects to http://127.0.0.1"):
        _PublicRedirectHandler().redirect_request(None, None, 302, "Found", {}, f"http://127.0.0.1:{port}/internal")
    with pytest.raises(urllib.error.URLError) as caught:
        _PUBLIC_ONLY.open(f"http://127.0.0.1:{port}/hop", timeout=2)
    assert isinstance(caught.value.reason, NotPublic)
    assert "answered from 127.0.0.1, a loopback address" in str(caught.value.reason)
    assert server.paths == [], "the connection was closed before any request was sent"
