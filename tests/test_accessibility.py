"""Accessibility: axe-core finds no WCAG 2.2 AA violation, the keyboard reaches every block.

axe-core runs inside Debian's Chromium (the ``browser`` fixture) on a site
served from 127.0.0.1; its script comes from the axe-playwright-python
package (which bundles axe.min.js), so nothing is fetched. Pages are checked
in light and dark mode, on a site with a recorded change and a trend chart so
that every component of the theme is on some page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_example, run_cli
from test_intelligence import NEXT_NIGHT

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = {
    "home": "",
    "topic": "topics/drone-strikes/",
    "article": "articles/2025-02-23-record-russian-drone-attack/",
    "person": "people/zelensky/",
    "claims": "claims/",
    "changes": "changes/",
    "pack": "topics/drone-strikes/pack/",
    "topic with positions": "topics/nato-offer/",
    "analysis article": "articles/2025-02-22-waltz-cpac-zelensky-will-sign/",
    "search": "search/",
}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory, static_server) -> str:
    project = copy_example(tmp_path_factory.mktemp("a11y") / "project")
    run_cli("build", "--source", str(project), check=True)
    (project / "content/articles/2025-02-24-next-night.md").write_text(NEXT_NIGHT, encoding="utf-8")
    article = project / "content/articles/2025-02-23-russia-says-20-ukrainian-drones-downed.md"
    article.write_text(article.read_text().replace("value: 20", "value: 22"), encoding="utf-8")
    run_cli("build", "--source", str(project), check=True)
    return static_server(project / "site")


@pytest.fixture(scope="module")
def axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, script: str) -> list[dict]:
    page.evaluate(script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_AA
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_wcag_22_aa_violations(browser, site_url: str, axe_script: str, scheme: str):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    report = {}
    try:
        for name, path in PAGES.items():
            page.goto(site_url + path)
            assert page.evaluate("typeof axe") == "undefined"
            report[name] = axe_violations(page, axe_script)
    finally:
        context.close()
    print(f"axe ({scheme}):", {name: len(v) for name, v in report.items()})
    assert report == {name: [] for name in PAGES}


def test_a_chart_has_a_text_equivalent_and_the_changes_block_is_on_the_topic_page(browser, site_url: str):
    page = browser.new_page()
    try:
        page.goto(site_url + PAGES["topic"])
        svg = page.locator(".numbers__trend svg[role=img]")
        assert svg.count() == 1
        name = page.evaluate(
            "() => { const s = document.querySelector('.numbers__trend svg');"
            " return document.getElementById(s.getAttribute('aria-labelledby')).textContent; }"
        )
        assert "267" in name and "185" in name and "table" in name
        assert page.locator(".numbers__trend table caption").text_content().endswith("every report")
        assert page.locator("#changes").inner_text().count("Changed since") == 1
    finally:
        page.close()


def test_skip_link_and_every_block_reachable_by_keyboard(browser, site_url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site_url + PAGES["topic"])
        page.keyboard.press("Tab")
        first = page.evaluate("() => [document.activeElement.className, document.activeElement.getAttribute('href')]")
        assert first == ["skip-link", "#content"]
        assert page.evaluate("() => getComputedStyle(document.activeElement).top") != "-160px", "visible on focus"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "content" or page.url.endswith("#content")

        toc = page.evaluate("() => [...document.querySelectorAll('.toc a')].map(a => a.getAttribute('href'))")
        blocks = page.evaluate("() => [...document.querySelectorAll('.permalink')].map(a => a.getAttribute('href'))")
        assert "#changes" in toc and "#key-figures" in toc and "#exports" in toc
        page.goto(site_url + PAGES["topic"])
        reached: set[tuple[str, str]] = set()
        for _ in range(400):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const e = document.activeElement;"
                " return [e.closest('.toc') ? 'toc' : (e.classList.contains('permalink') ? 'permalink' : ''),"
                " e.getAttribute('href') || ''] }"
            )
            reached.add(tuple(focused))
            if {("toc", h) for h in toc} | {("permalink", h) for h in blocks} <= reached:
                break
        assert {("toc", h) for h in toc} <= reached, "every table-of-contents link takes focus"
        assert {("permalink", h) for h in blocks} <= reached, "every block's anchor takes focus"
        page.focus(".toc a[href='#claims']")
        page.keyboard.press("Enter")
        assert page.url.endswith("#claims")
    finally:
        page.close()


def test_the_axe_harness_does_report_violations(browser, site_url: str, axe_script: str):
    """A control: the same harness on a page made worse finds it, so an empty report means something."""
    page = browser.new_page()
    try:
        page.goto(site_url + PAGES["topic"])
        page.evaluate(
            "() => { const i = document.createElement('img'); i.src = 'x.png'; document.querySelector('main').append(i);"
            " document.querySelector('.bottom-line__text').style.color = '#ddd'; }"
        )
        found = {v["id"] for v in axe_violations(page, axe_script)}
        assert {"image-alt", "color-contrast"} <= found
    finally:
        page.close()
