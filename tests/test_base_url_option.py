"""`--base-url` on build, serve and publish: the same site under another address (a preview deploy)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
from conftest import copy_example, run_cli

PREVIEW = "https://preview.example.net/pr-7/"


def sitemap_urls(site: Path) -> list[str]:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [loc.text for loc in ET.parse(site / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]


def test_build_with_base_url_then_without(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    site = project / "site"
    run_cli("build", "--source", str(project), "--base-url", PREVIEW.rstrip("/"), check=True)
    assert all(url.startswith(PREVIEW) for url in sitemap_urls(site))
    home = (site / "index.html").read_text()
    assert f'<link rel="canonical" href="{PREVIEW}">' in home
    assert all(e.link.startswith(PREVIEW) for e in feedparser.parse((site / "feed.xml").read_bytes()).entries)
    assert 'href="/pr-7/' in (site / "404.html").read_text(), "the 404 page uses the base path"
    # the next build without the option is for the config's address again: not "nothing changed"
    proc = run_cli("build", "--source", str(project), check=True)
    assert "nothing changed" not in proc.stdout
    assert all(url.startswith("https://example.org/") for url in sitemap_urls(site))


def test_a_bad_base_url_is_refused(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    proc = run_cli("build", "--source", str(project), "--base-url", "preview.example.net")
    assert proc.returncode == 1
    assert "--base-url: 'preview.example.net' is not an absolute http(s) URL" in proc.stderr
    assert not (project / "site").exists()


def test_publish_with_base_url(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    dest = tmp_path / "public"
    run_cli("publish", "--source", str(project), "--dir", str(dest), "--base-url", PREVIEW, check=True)
    assert all(url.startswith(PREVIEW) for url in sitemap_urls(dest))


def test_serve_with_base_url(tmp_path: Path):
    from serve_support import Running

    project = copy_example(tmp_path / "project")
    server = Running(project, base_url=PREVIEW)
    try:
        status, _headers, body = server.get("/")
        assert status == 200 and f'<link rel="canonical" href="{PREVIEW}">'.encode() in body
    finally:
        server.stop()
