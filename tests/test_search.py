"""Search: the Pagefind bundle built with the site, used in headless Chromium like a reader would."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from conftest import copy_example, run_cli


def test_bundle_is_built_from_the_pages(built_example: Path):
    bundle = built_example / "pagefind"
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (bundle / name).is_file(), name
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    pages = sum(lang["page_count"] for lang in entry["languages"].values())
    articles = len(list((built_example / "articles").iterdir()))
    # articles, topics and people carry data-pagefind-body; home, lists, search and 404 are not indexed
    assert articles < pages < len(list(built_example.rglob("*.html")))
    manifest = json.loads((built_example / ".briefgen-manifest.json").read_text())
    assert "pagefind/pagefind-entry.json" in manifest["files"], "the index is part of the site"


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    yield page
    context.close()
    assert all(u.startswith(("http://127.0.0.1:", "data:", "blob:")) for u in requests), "nothing from third parties"


def result_links(page) -> list[str]:
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    return [a.get_attribute("href") for a in page.query_selector_all(".pagefind-ui__result-link")]


def test_typing_kryvyi_rih_lists_the_drone_strike_pages(built_example: Path, static_server, page):
    url = static_server(built_example)
    page.goto(url + "search/")
    box = page.wait_for_selector(".pagefind-ui__search-input", timeout=15000)
    box.type("Kryvyi Rih")
    links = result_links(page)
    assert "/topics/drone-strikes/" in links
    assert "/articles/2025-02-23-kryvyi-rih-missile-strike/" in links
    page.click(".pagefind-ui__result-link[href='/articles/2025-02-23-kryvyi-rih-missile-strike/']")
    page.wait_for_url(re.compile(r".*/articles/2025-02-23-kryvyi-rih-missile-strike/$"))
    assert "Kryvyi Rih" in page.title()


def test_search_from_the_header_box_and_under_a_sub_path(tmp_path: Path, static_server, page):
    """The header form sends ?q=; result links carry the sub-path the site is served under."""
    project = copy_example(tmp_path / "p")
    cfg = project / "briefgen.yaml"
    cfg.write_text(re.sub(r"base_url:.*", "base_url: https://example.org/briefs/", cfg.read_text()))
    run_cli("build", "--source", str(project), "--output", str(tmp_path / "www/briefs"), check=True)
    url = static_server(tmp_path / "www")
    page.goto(url + "briefs/topics/nato-offer/")
    page.fill("#site-search", "Kryvyi Rih")
    page.press("#site-search", "Enter")
    page.wait_for_url(re.compile(r".*/briefs/search/\?q=Kryvyi"))
    assert "/briefs/topics/drone-strikes/" in result_links(page)


def test_navigation_is_not_indexed(built_example: Path, static_server, page):
    url = static_server(built_example)
    page.goto(url + "search/")
    count = page.evaluate(
        """async () => {
            const pagefind = await import("../pagefind/pagefind.js");
            const hits = await pagefind.search("Kryvyi");
            const nav = await pagefind.search("Skip");  // the skip link, in every page's header
            return [hits.results.length, nav.results.length];
        }"""
    )
    assert count[0] >= 2 and count[1] == 0, count


def test_without_javascript_the_search_page_lists_the_topics(built_example: Path, static_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(static_server(built_example) + "search/")
    hrefs = [a.get_attribute("href") for a in page.query_selector_all("main a")]
    for slug in ("drone-strikes", "nato-offer", "minerals-deal"):
        assert f"../topics/{slug}/" in hrefs, hrefs
    context.close()


def test_build_without_pagefind_warns_and_succeeds(example: Path):
    env = {"PAGEFIND_BINARY_PATH": str(example / "no-such-pagefind")}
    proc = run_cli("build", "--source", str(example), env=env, check=True)
    assert "Pagefind is not installed" in proc.stderr
    assert (example / "site/search/index.html").is_file()
    assert not (example / "site/pagefind").exists()


def test_search_can_be_switched_off(example: Path):
    cfg = example / "briefgen.yaml"
    cfg.write_text(cfg.read_text() + "search: false\n")
    proc = run_cli("build", "--source", str(example), check=True)
    assert "Pagefind" not in proc.stderr
    assert not (example / "site/pagefind").exists()


def test_a_failing_pagefind_leaves_the_previous_site(example: Path, tmp_path: Path):
    run_cli("build", "--source", str(example), check=True)
    before = {p: p.stat().st_mtime_ns for p in (example / "site").rglob("*") if p.is_file()}
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'index exploded' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    (example / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md").unlink()
    proc = run_cli("build", "--source", str(example), env={"PAGEFIND_BINARY_PATH": str(broken)})
    assert proc.returncode == 1
    assert "Pagefind failed" in proc.stderr and "index exploded" in proc.stderr
    after = {p: p.stat().st_mtime_ns for p in (example / "site").rglob("*") if p.is_file()}
    assert after == before, "the previous site is untouched"
    assert os.path.isdir(example / "site/articles/2025-02-23-kryvyi-rih-missile-strike")
