"""Shared fixtures: real files in a temp folder, the real CLI, a real HTTP
server on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow])


def copy_example(dest: Path) -> Path:
    """A fresh copy of the example project (config + content; the theme comes from the package)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "briefgen.yaml", dest / "briefgen.yaml")
    shutil.copytree(REPO / "content", dest / "content")
    return dest


def fresh_work(prepared: Path) -> tuple[Path, Path]:
    """(work, project): an empty ``work`` folder beside ``prepared`` (a project a fixture made once) holding a copy
    of it, for one hypothesis example (a function-scoped fixture is not made again between examples)."""
    work = prepared.parent / "work"
    if work.exists():
        shutil.rmtree(work)
    project = work / "project"
    shutil.copytree(prepared, project)
    return work, project


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "project")


def run_cli(
    *args: str, cwd: Path | None = None, check: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as a user would (``env`` adds variables)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1", **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-m", "briefgen", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"briefgen {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built_example(tmp_path_factory) -> Path:
    """The example built once per test session; returns the output folder."""
    project = copy_example(tmp_path_factory.mktemp("example") / "project")
    run_cli("build", "--source", str(project), check=True)
    return project / "site"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="session")
def static_server():
    """Serve folders on 127.0.0.1: ``url = static_server(folder)``."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def chromium_path() -> str | None:
    for candidate in (os.environ.get("BRIEFGEN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        pytest.fail("chromium is not installed: run 'make test', which installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()
