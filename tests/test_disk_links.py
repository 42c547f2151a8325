"""A site to hand round as a zip: `build --file-links` (or `links: files`) works opened straight from the disk.

By default links end in a folder (``topics/drone-strikes/``), which a web server answers with the folder's
index.html but a browser on ``file://`` shows as a directory listing. In file-links mode every internal link and
form action ends in ``index.html``; headless Chromium opens ``site/index.html`` from the disk and clicks through
to a topic and an article. The link check keeps working in both modes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from test_search_install import assert_every_reference_resolves

TOPIC = "topics/drone-strikes/index.html"
ARTICLE = "articles/2025-02-23-kryvyi-rih-missile-strike/index.html"


def internal_links(site: Path) -> list[tuple[str, str]]:
    """(page, value) of every relative href and form action in every page but 404 (which servers show)."""
    out = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        if rel == "404.html":
            continue
        for node in HTMLParser(page.read_bytes()).css("[href], form[action]"):
            value = node.attributes.get("href") or node.attributes.get("action") or ""
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or value.startswith("/") or not parts.path:
                continue
            out.append((rel, value))
    return out


def folder_links(site: Path) -> list[tuple[str, str]]:
    return [(page, v) for page, v in internal_links(site) if urlsplit(v).path.endswith(("/", "."))]


@pytest.fixture(scope="module")
def disk_site(tmp_path_factory) -> Path:
    from conftest import copy_example

    project = copy_example(tmp_path_factory.mktemp("disk") / "project")
    run_cli("build", "--source", str(project), "--file-links", "--strict", check=True)
    return project / "site"


def test_no_internal_link_ends_in_a_folder(disk_site: Path):
    links = internal_links(disk_site)
    assert len(links) > 500
    assert folder_links(disk_site) == []
    assert ("index.html", TOPIC) in links
    assert_every_reference_resolves(disk_site)


def test_clicking_from_the_disk_reaches_a_topic_and_an_article(disk_site: Path, browser):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto((disk_site / "index.html").as_uri())
        page.click(f".topic-strip a[href='{TOPIC}']")
        page.wait_for_url(re.compile(r"^file://.*/topics/drone-strikes/index\.html$"))
        assert "drone" in page.inner_text("h1").lower()
        page.click(f"main a[href='../../{ARTICLE}']")
        page.wait_for_url(re.compile(r"^file://.*/articles/2025-02-23-kryvyi-rih-missile-strike/index\.html$"))
        assert "Kryvyi Rih" in page.title()
        assert page.query_selector("main article, main h1") is not None
        page.click("a.brand")  # back home through the brand link: ../../index.html
        page.wait_for_url(re.compile(r"^file://.*/site/index\.html$"))
        # the header search form goes to the search page's file, which explains search needs a server
        page.fill("#site-search", "Kryvyi")
        page.press("#site-search", "Enter")
        page.wait_for_url(re.compile(r"^file://.*/search/index\.html\?q=Kryvyi$"))
        assert page.is_visible("#search-unavailable")
        assert len(page.query_selector_all("main ul.browse a")) == 3
    finally:
        context.close()


def test_default_links_end_in_folders_and_a_plain_build_goes_back_to_them(tmp_path: Path):
    from conftest import copy_example

    project = copy_example(tmp_path / "project")
    site = project / "site"
    run_cli("build", "--source", str(project), "--file-links", check=True)
    assert folder_links(site) == []
    run_cli("build", "--source", str(project), check=True)  # not "nothing changed": the links must change back
    assert ("index.html", "topics/drone-strikes/") in internal_links(site)
    cfg = project / "briefgen.yaml"
    cfg.write_text(cfg.read_text() + "links: files\n")
    run_cli("build", "--source", str(project), check=True)
    assert folder_links(site) == [], "links: files in briefgen.yaml does what --file-links does"
    assert_every_reference_resolves(site)


@pytest.mark.parametrize("mode", ["folders", "files"])
def test_the_link_check_reports_a_broken_link_in_both_modes(tmp_path: Path, mode: str):
    from conftest import copy_example

    project = copy_example(tmp_path / "project")
    cfg = project / "briefgen.yaml"
    cfg.write_text(cfg.read_text() + f"links: {mode}\n")
    article = project / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
    article.write_text(article.read_text() + "\nSee [the other story](../../topics/no-such-story/).\n")
    line = len(article.read_text().splitlines())
    for command in ("check", "build"):
        proc = run_cli(command, "--source", str(project))
        assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
        target = "../../topics/no-such-story/" + ("index.html" if mode == "files" else "")
        assert f"2025-02-23-kryvyi-rih-missile-strike.md:{line}: page " in proc.stderr
        assert f"links to '{target}', which does not exist" in proc.stderr
    shutil.rmtree(project / "site", ignore_errors=True)
