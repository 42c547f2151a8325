"""Corrections: shown on the report, in its JSON-LD and feeds, in the change feeds and on /corrections/."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
from conftest import copy_example, run_cli

KRYVYI = "articles/2025-02-23-kryvyi-rih-missile-strike/index.html"
NATO = "content/articles/2025-02-23-zelensky-ready-to-resign-for-nato.md"
NATO_PAGE = "articles/2025-02-23-zelensky-ready-to-resign-for-nato/index.html"


class _JsonLd(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.found = False, []

    def handle_starttag(self, tag, attrs):
        self.inside = tag == "script" and ("type", "application/ld+json") in attrs

    def handle_endtag(self, tag):
        self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.found.append(json.loads(data))


def news_article(html: str) -> dict:
    parser = _JsonLd()
    parser.feed(html)
    (graph,) = parser.found
    return next(item for item in graph["@graph"] if item["@type"] == "NewsArticle")


def meta(html: str, prop: str) -> str:
    return re.search(rf'<meta property="{prop}" content="([^"]*)"', html).group(1)


def add_correction(path: Path, when: str, text: str) -> None:
    head, sep, body = path.read_text().partition("\n---\n")
    path.write_text(f"{head}\ncorrections:\n  - date: {when}\n    text: {text}{sep}{body}")


def test_the_example_correction_is_shown_and_in_the_structured_data(built_example: Path):
    html = (built_example / KRYVYI).read_text()
    aside = re.search(r'<section class="corrections" id="corrections".*?</section>', html, re.S).group(0)
    assert "Correction" in aside and "Kryvyi Rig" in aside
    assert '<time datetime="2025-02-23T11:55:00+02:00">23 Feb 2025, 11:55 Kyiv time</time>' in aside
    article = news_article(html)
    assert article["dateModified"] == "2025-02-23T11:55:00+02:00"
    assert article["datePublished"] == "2025-02-23T11:10:00+02:00"
    (correction,) = article["correction"]
    assert correction["@type"] == "CorrectionComment"
    assert correction["datePublished"] == "2025-02-23T11:55:00+02:00" and "Kryvyi Rih" in correction["text"]
    assert meta(html, "article:modified_time") == "2025-02-23T11:55:00+02:00"
    feed = feedparser.parse((built_example / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if "kryvyi-rih-missile-strike" in e.link)
    assert dt.datetime(*entry.updated_parsed[:6], tzinfo=dt.UTC) == dt.datetime(2025, 2, 23, 9, 55, tzinfo=dt.UTC)
    page = (built_example / "corrections" / "index.html").read_text()
    assert "kryvyi-rih-missile-strike/#corrections" in page


def test_a_new_correction_reaches_the_change_feeds_and_the_corrections_page_newest_first(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    run_cli("build", "--source", str(project), check=True)  # the baseline of the change history
    add_correction(
        project / NATO, "2025-02-23T18:30:00+02:00", "This report first gave the forum's name wrongly. It is fixed."
    )
    run_cli("build", "--source", str(project), check=True)
    site = project / "site"
    for feed_path in ("changes/feed.xml", "topics/nato-offer/changes.xml"):
        feed = feedparser.parse((site / feed_path).read_bytes())
        assert not feed.bozo, feed.bozo_exception
        text = feed.entries[0].summary
        assert "Correction:" in text and "name wrongly" in text, feed_path
    other = feedparser.parse((site / "topics/drone-strikes/changes.xml").read_bytes())
    assert not any("name wrongly" in e.summary for e in other.entries), "only the report's topics record it"
    page = (site / "corrections" / "index.html").read_text()
    newest, older = page.index("zelensky-ready-to-resign-for-nato/#corrections"), page.index("kryvyi-rih")
    assert newest < older, "newest first"
    html = (site / NATO_PAGE).read_text()
    assert news_article(html)["dateModified"] == "2025-02-23T18:30:00+02:00"


def test_a_correction_dated_before_the_article_is_a_located_error(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    add_correction(project / NATO, "2025-02-22T10:00:00+02:00", "Too early.")
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    lines = (project / NATO).read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "2025-02-22T10:00:00" in text)
    assert f"{NATO}:{line}: correction dated 2025-02-22T10:00:00+02:00, before the article" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_correction_needs_a_date_and_text(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    path = project / NATO
    head, sep, body = path.read_text().partition("\n---\n")
    path.write_text(f"{head}\ncorrections:\n  - text: no date given{sep}{body}")
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    assert "date" in proc.stderr and NATO in proc.stderr
