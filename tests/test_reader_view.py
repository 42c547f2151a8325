"""What a reader sees, in headless Chromium: phone and desktop widths, no
horizontal scroll, no console errors, nothing from third-party hosts, and a page
that works with JavaScript off. Screenshots land in the test's tmp folder."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

PAGES = [
    "topics/drone-strikes/",
    "topics/minerals-deal/",
    "",
    "articles/2025-02-23-record-russian-drone-attack/",
    "people/zelensky/",
]


@pytest.fixture(scope="module")
def site_url(built_example: Path, static_server) -> str:
    return static_server(built_example)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path", PAGES)
def test_no_horizontal_scroll_and_no_console_errors(browser, site_url, tmp_path, width, path):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    host = urlsplit(site_url).netloc
    page.on("request", lambda req: foreign.append(req.url) if urlsplit(req.url).netloc not in ("", host) else None)
    response = page.goto(site_url + path)
    assert response is not None and response.status == 200
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '_') or 'home'}-{width}.png"), full_page=True)
    context.close()
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    assert errors == []
    assert foreign == []


def test_topic_page_reads_with_javascript_off(browser, site_url):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(site_url + "topics/drone-strikes/")
    text = page.inner_text("main")
    context.close()
    assert "267" in text and "Kryvyi Rih" in text


def test_print_view_hides_navigation(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + "topics/drone-strikes/")
    page.emulate_media(media="print")
    nav_visible = page.evaluate(
        "Array.from(document.querySelectorAll('header nav, nav[aria-label]')).some(n => getComputedStyle(n).display !== 'none')"
    )
    pdf = page.pdf()
    context.close()
    assert not nav_visible
    assert pdf[:4] == b"%PDF"


def test_dark_mode_changes_the_palette(browser, site_url):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(site_url + "topics/drone-strikes/")
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
    assert colours["light"] != colours["dark"]
