"""The topic page as an edited briefing, checked in headless Chromium at phone
width and in the built HTML: what comes next within three phone screens, no
quote or report twice on a page, every number with who reported it and when,
positions without a verdict, the claims ledger usable without JavaScript, and
times in the desk's own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import run_cli

TOPICS = ["nato-offer", "drone-strikes", "minerals-deal"]
PHONE = {"width": 390, "height": 844}


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def site_url(built_example: Path, static_server) -> str:
    return static_server(built_example)


@pytest.mark.parametrize("slug", TOPICS)
def test_what_comes_next_starts_within_three_phone_screens(browser, site_url, slug):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(site_url + f"topics/{slug}/")
    top = page.evaluate("Math.round(document.getElementById('watch').getBoundingClientRect().top + scrollY)")
    deeper = page.evaluate("Math.round(document.getElementById('go-deeper').getBoundingClientRect().top + scrollY)")
    context.close()
    assert top < 3 * PHONE["height"], f"{slug}: 'What comes next' starts at {top}px, past three 844px screens"
    assert top < deeper, "what comes next belongs to the core, before Go deeper"


@pytest.mark.parametrize("slug", TOPICS)
def test_the_core_comes_in_order_and_go_deeper_holds_the_rest(built_example: Path, slug):
    main = soup(built_example, f"topics/{slug}").find("main")
    core = main.find(class_="core")
    ids = [s["id"] for s in core.find_all("section", recursive=False)]
    order = ["why-it-matters", "key-figures", "watch", "key-quotes", "latest"]
    assert ids == [i for i in order if i in ids] and {"why-it-matters", "watch", "latest"} <= set(ids)
    deeper = main.find(id="go-deeper")
    assert deeper.find(id="timeline") and deeper.find(id="sources")
    assert len(core.select("#latest .item")) <= 3


@pytest.mark.parametrize("slug", TOPICS)
def test_no_quote_and_no_report_twice_on_a_topic_page(built_example: Path, slug):
    main = soup(built_example, f"topics/{slug}").find("main")
    quotes = [q.get_text(" ", strip=True) for q in main.select("figure.quote blockquote")]
    assert quotes and len(quotes) == len(set(quotes)), quotes
    reports = [a["href"] for a in main.select(".item__title a")]
    assert reports and len(reports) == len(set(reports)), reports
    assert len(main.select("#key-quotes figure.quote")) <= 3


def test_each_report_once_on_the_home_page_with_a_digest_and_an_as_of(built_example: Path):
    main = soup(built_example, "").find("main")
    reports = [a["href"] for a in main.select(".item__title a, .lines a")]
    assert reports and len(reports) == len(set(reports))
    assert len(main.select(".digest li")) == 3
    assert main.select_one(".home__asof time")


@pytest.mark.parametrize("slug", ["drone-strikes"])  # the only example topic with numbers
def test_every_number_names_who_reported_it_and_as_of_when(built_example: Path, slug):
    rows = soup(built_example, f"topics/{slug}").select("table.numbers tbody tr")
    assert rows
    for row in rows:
        assert row.select_one(".numbers__by a"), row
        assert row.select_one(".numbers__asof time"), row
        assert not re.search(r"\b1 (people|drones)\b", row.get_text(" ", strip=True)), row


def test_the_breakdown_is_one_item_and_the_desk_arithmetic_is_the_desk_s(built_example: Path):
    page = soup(built_example, "topics/drone-strikes")
    items = page.select("table.numbers tbody.numbers__item")
    launched = next(i for i in items if "267" in i.get_text())
    text = launched.get_text(" ", strip=True)
    assert all(n in text for n in ("138", "119", "10")), "the breakdown of 267 is one item"
    ten = next(
        r for r in launched.select("tr") if r.select_one(".numbers__value").get_text(strip=True).startswith("10")
    )
    assert "Desk calculation" in ten.get_text() and "267" in ten.select_one(".numbers__how").get_text()
    assert "Air Force" not in ten.select_one(".numbers__by").get_text()
    twenty = next(
        r for r in page.select("table.numbers tbody tr") if "20" == r.select_one(".numbers__value .fig__num").get_text()
    )
    assert twenty.select_one(".tag--unverified")
    assert "1 person" in page.get_text(" ", strip=True).replace("\xa0", " ")


def test_positions_get_no_verdict_anywhere(built_example: Path):
    for path in ["claims", *(f"topics/{s}" for s in TOPICS)]:
        page = soup(built_example, path)
        for pos in page.select(".position"):
            assert not pos.select(".verdict"), (path, pos)
    nato = soup(built_example, "topics/nato-offer")
    claims_text = nato.select_one("#claims").get_text(" ") if nato.select_one("#claims") else ""
    assert "dictator" not in claims_text and "dictator" in nato.select_one("#positions").get_text(" ")


def test_a_position_with_a_status_is_an_error_with_its_line(example: Path):
    art = example / "content/articles/2025-02-23-zelensky-wants-trump-before-putin.md"
    text = art.read_text(encoding="utf-8")
    art.write_text(
        text.replace("    kind: position\n", "    kind: position\n    status: disputed\n", 1), encoding="utf-8"
    )
    proc = run_cli("check", "--source", str(example))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    line = next(n for n, ln in enumerate(art.read_text().splitlines(), 1) if ln.strip() == "status: disputed")
    assert f"{art.relative_to(example)}:{line}: a position gets no 'status'" in proc.stderr


def test_the_ledger_lists_each_claim_once_with_counts_and_status_sections(built_example: Path):
    page = soup(built_example, "claims")
    rows = page.select("table.claims tbody tr:not(.claims__qrow)")
    keys = [
        (r.select_one(".claims__who").get_text(strip=True), r.select_one(".claims__text").contents[0].strip())
        for r in rows
    ]
    assert len(keys) == len(set(keys))
    for link in page.select(".ledger__counts a"):
        section = page.select_one(link["href"])
        assert section is not None
        n = int(link.select_one(".ledger__n").get_text())
        assert len(section.select("tr.claims__row")) == n or len(section.select(".position")) == n
    assert all(r.select_one(".claims__topics a") for r in rows)


def test_status_comes_first_in_a_claim_row_on_a_phone(browser, site_url):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(site_url + "claims/")
    first = page.evaluate(
        """() => { const r = document.querySelector('tr.claims__row');
        const s = r.querySelector('.claims__status').getBoundingClientRect().top;
        const t = r.querySelector('.claims__text').getBoundingClientRect().top; return [s, t]; }"""
    )
    context.close()
    assert first[0] < first[1]


def test_times_read_in_the_desk_s_zone_name_not_a_utc_offset(built_example: Path):
    for path in ["", "topics/nato-offer", "articles/2025-02-23-record-russian-drone-attack", "claims"]:
        html = (built_example / path / "index.html").read_text(encoding="utf-8")
        assert "UTC+02:00" not in html, path
    assert "Kyiv time" in (built_example / "index.html").read_text(encoding="utf-8")


def test_topic_strip_uses_short_labels_and_wraps_on_a_phone(browser, site_url, built_example: Path):
    strip = soup(built_example, "").select(".topic-strip a")
    assert [a.get_text() for a in strip] == ["Minerals deal", "Record drone raid", "Zelensky's NATO offer"]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(site_url)
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.topic-strip a')].filter(a => a.scrollWidth > a.clientWidth
        || a.getBoundingClientRect().right > innerWidth).length"""
    )
    context.close()
    assert clipped == 0


def test_analysis_is_labelled_apart_from_reporting(built_example: Path):
    page = soup(built_example, "topics/nato-offer")
    assert "challenge to Washington" not in page.select_one(".bottom-line__text").get_text()
    assert "challenge to Washington" in page.select_one(".analysis").get_text()
    art = soup(built_example, "articles/2025-02-22-waltz-cpac-zelensky-will-sign")
    assert art.select_one("aside.analysis .analysis__label").get_text(strip=True) == "Analysis"
    assert not art.select(".byline__dateline")


def test_more_than_three_key_quotes_is_a_warning_and_the_core_shows_three(example: Path):
    art = example / "content/articles/2025-02-22-waltz-cpac-zelensky-will-sign.md"
    art.write_text(art.read_text(encoding="utf-8").replace("    undated: true\n", "    undated: true\n    key: true\n"))
    proc = run_cli("build", "--source", str(example))
    assert proc.returncode == 0, proc.stderr
    assert "content/topics/minerals-deal.yaml: 6 key quotes for this topic, more than 3" in proc.stderr
    core = soup(example / "site", "topics/minerals-deal").select("#key-quotes figure.quote")
    assert len(core) == 3


def test_a_key_quote_ranked_first_leads_the_core(built_example: Path):
    first = soup(built_example, "topics/nato-offer").select_one("#key-quotes figure.quote blockquote")
    assert first.get_text(strip=True).startswith("If (it guarantees) peace")


def test_a_first_build_says_so_in_reader_words(built_example: Path):
    text = soup(built_example, "changes").find("main").get_text(" ", strip=True)
    assert "as first published" in text and "last build" not in text


def test_the_pack_footnotes_its_links_and_stamps_its_edition(built_example: Path):
    pack = soup(built_example, "topics/minerals-deal/pack")
    urls = [a["href"] for a in pack.select("#links .pack__urls a")]
    assert "https://t.co/kLu9roZ5z1" in urls and len(urls) == len(set(urls))
    for fn in pack.select("sup.fn a"):
        assert pack.select_one(fn["href"]), fn
    assert "Kyiv time" in pack.select_one(".pack__stamp").get_text()


def test_the_search_page_lists_every_report_for_readers_without_javascript(built_example: Path):
    page = soup(built_example, "search")
    reports = page.select(".lines a")
    assert len(reports) == len(list((built_example / "articles").iterdir()))
    topic = (built_example / "topics/nato-offer/index.html").read_text()
    assert 'data-pagefind-meta="type:Topic briefing"' in topic and 'data-pagefind-meta="date:23 Feb 2025"' in topic


def test_a_person_page_shows_each_quote_once(built_example: Path):
    page = soup(built_example, "people/zelensky")
    quotes = [q.get_text(" ", strip=True) for q in page.select("figure.quote blockquote")]
    assert len(quotes) >= 4 and len(quotes) == len(set(quotes))


def test_search_results_arrive_typed_and_dated_without_moving_the_page(browser, site_url):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.add_init_script(
        "window.__cls = 0; new PerformanceObserver(list => { for (const e of list.getEntries())"
        " if (!e.hadRecentInput) window.__cls += e.value; }).observe({type: 'layout-shift', buffered: true});"
    )
    page.goto(site_url + "search/?q=drones")
    page.wait_for_selector(".pagefind-ui__result-tag")
    page.wait_for_function("!document.querySelector('.pagefind-ui__loading')")
    page.wait_for_timeout(500)
    tags = page.eval_on_selector_all(".pagefind-ui__result-tag", "els => els.map(e => e.textContent.trim())")
    cls = page.evaluate("window.__cls")
    context.close()
    assert any(t.startswith("Type:") for t in tags) and any(t.startswith("Date:") for t in tags), tags
    assert cls < 0.1, f"cumulative layout shift {cls:.3f}"


def test_the_pack_puts_what_comes_next_first_and_keeps_headings_with_their_text(browser, site_url, built_example: Path):
    html = (built_example / "topics/drone-strikes/pack/index.html").read_text(encoding="utf-8")
    assert 0 < html.index('id="bottom-line"') < html.index('id="watch"') < html.index('id="why-it-matters"')
    page = browser.new_page()
    page.goto(site_url + "topics/drone-strikes/pack/")
    page.emulate_media(media="print")
    styles = page.evaluate(
        """() => ['#watch-h', '.pack__report .item__meta', '.claim-group__q'].map(s => {
        const e = document.querySelector(s); return e ? getComputedStyle(e).breakAfter : null; })"""
    )
    inside = page.evaluate("getComputedStyle(document.querySelector('.watch__item')).breakInside")
    page.close()
    assert styles == ["avoid", "avoid", "avoid"] and inside == "avoid"


def test_a_revised_bottom_line_shows_before_and_after(example: Path):
    run_cli("build", "--source", str(example), check=True)
    topic = example / "content/topics/drone-strikes.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("its highest count", "its largest count", 1))
    run_cli("build", "--source", str(example), check=True)
    block = soup(example / "site", "topics/drone-strikes").select_one("#changes")
    was = block.select_one(".changed__was").get_text(" ", strip=True)
    now = block.select_one(".changed__now").get_text(" ", strip=True)
    assert "highest count" in was and "largest count" in now
    listing = soup(example / "site", "changes").select_one(".changed__now").get_text(" ", strip=True)
    assert "largest count" in listing


def test_one_reads_singular_on_person_pages_and_desk_figures_say_so_in_the_export(built_example: Path):
    text = soup(built_example, "people/regional-authorities").get_text(" ", strip=True)
    assert "1 person" in text and "1 people" not in text
    import json

    data = json.loads((built_example / "topics/drone-strikes/briefing.json").read_text(encoding="utf-8"))
    ten = next(r for g in data["figures"] for r in g["reports"] if r["id"] == "drones-unaccounted-2025-02-23")
    assert ten["reported_by"]["id"] == "desk" and "267" in ten["derived"]
    assert ten["part_of"] == "drones-launched-2025-02-23"
