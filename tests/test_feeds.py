"""Atom feeds, read back with feedparser as a feed reader would."""

from __future__ import annotations

import calendar
import datetime as dt
import posixpath
import re
from pathlib import Path

import feedparser
from bs4 import BeautifulSoup
from conftest import copy_example, run_cli

from briefgen.engine.build import load_and_assemble
from briefgen.problems import Problems
from briefgen.project import Project


def parse(path: Path):
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, f"{path}: {feed.get('bozo_exception')}"
    return feed


def model(project_dir: Path):
    site, _pages = load_and_assemble(Project.at(project_dir), Problems())
    return site


def as_utc(struct) -> dt.datetime:
    return dt.datetime.fromtimestamp(calendar.timegm(struct), dt.UTC)


def test_site_feed_has_every_article_with_dates_and_zones(built_example: Path, example: Path):
    site = model(example)
    feed = parse(built_example / "feed.xml")
    assert feed.version == "atom10"
    assert feed.feed.title == site.config.title
    assert feed.feed.link == "https://example.org/"
    assert len(feed.entries) == len(site.articles) == 12
    by_link = {e.link: e for e in feed.entries}
    for article in site.articles:
        entry = by_link[f"https://example.org/{article.url_path}"]
        assert entry.title == article.title
        assert as_utc(entry.published_parsed) == article.date
        assert as_utc(entry.updated_parsed) == article.modified
        assert re.search(r"[+-]\d\d:\d\d$|Z$", entry.updated), "updated carries its time zone"
        assert entry.summary == article.summary
        assert entry.id.startswith("tag:example.org,")
        assert entry.content[0].value.strip()
    dates = [as_utc(e.updated_parsed) for e in feed.entries]
    assert dates == sorted(dates, reverse=True), "newest first"
    assert as_utc(feed.feed.updated_parsed) == max(dates)


def test_every_topic_and_party_has_a_feed_with_its_articles(built_example: Path, example: Path):
    site = model(example)
    site_ids = {e.link: e.id for e in parse(built_example / "feed.xml").entries}
    for topic in site.topics.values():
        feed = parse(built_example / topic.url_path / "feed.xml")
        assert len(feed.entries) == len(topic.articles) > 0, topic.slug
        assert {e.link for e in feed.entries} == {f"https://example.org/{a.url_path}" for a in topic.articles}
        for entry in feed.entries:
            assert entry.id == site_ids[entry.link], "an article keeps one id in every feed"
    for party in site.parties.values():
        assert (built_example / party.url_path / "feed.xml").is_file(), party.url_path
    zelensky = parse(built_example / "people/zelensky/feed.xml")
    assert zelensky.feed.title.startswith("Volodymyr Zelensky") or "Zelensky" in zelensky.feed.title
    assert len(zelensky.entries) >= 3
    afp = parse(built_example / "sources/afp/feed.xml")
    assert afp.entries


def test_pages_link_their_feeds_in_the_head(built_example: Path):
    def alternates(rel: str) -> list[str]:
        page = BeautifulSoup((built_example / rel).read_text(), "html.parser")
        links = page.head.find_all("link", rel="alternate", type="application/atom+xml")
        base = posixpath.dirname(rel)
        out = []
        for link in links:
            assert link.get("title")
            assert "://" not in link["href"], "feed links are relative, like every other link"
            target = posixpath.normpath(posixpath.join(base, link["href"]))
            assert (built_example / target).is_file(), target
            out.append(target)
        return out

    assert alternates("index.html") == ["feed.xml"]
    assert alternates("topics/drone-strikes/index.html") == [
        "feed.xml",
        "topics/drone-strikes/feed.xml",
        "topics/drone-strikes/changes.xml",  # what changed in the briefing (briefgen.briefing.changes)
    ]
    assert "topics/nato-offer/feed.xml" in alternates(
        "articles/2025-02-23-zelensky-ready-to-resign-for-nato/index.html"
    )
    assert alternates("people/zelensky/index.html") == ["feed.xml", "people/zelensky/feed.xml"]


HOSTILE = """---
title: 'Strike <script>alert(1)</script> & "more" in Kyiv'
date: 2025-02-24T09:00:00+02:00
updated: 2025-02-24T18:45:00+02:00
topics: [drone-strikes]
summary: 'Tags like <b>this</b> & ampersands stay text'
---
Body with a link to [the record raid](2025-02-23-record-russian-drone-attack.md) & an <i>angle</i>.
"""


def test_feed_content_is_escaped_and_links_are_absolute(tmp_path: Path):
    project = copy_example(tmp_path / "p")
    (project / "content/articles/2025-02-24-hostile.md").write_text(HOSTILE)
    run_cli("build", "--source", str(project), check=True)
    raw = (project / "site/topics/drone-strikes/feed.xml").read_text()
    assert "<script>" not in raw and "<b>" not in raw
    feed = parse(project / "site/topics/drone-strikes/feed.xml")
    entry = feed.entries[0]
    assert entry.title == 'Strike <script>alert(1)</script> & "more" in Kyiv'
    assert "&lt;b&gt;this&lt;/b&gt; &amp; ampersands" in entry.summary, "a plain-text summary is not markup"
    assert entry.updated.endswith("18:45:00+02:00") and entry.published.endswith("09:00:00+02:00")
    body = BeautifulSoup(entry.content[0].value, "html.parser")
    hrefs = [a["href"] for a in body.find_all("a", href=True)]
    assert "https://example.org/articles/2025-02-23-record-russian-drone-attack/" in hrefs
    assert body.find("i") is None, "raw HTML in Markdown stays text"


def test_feeds_follow_a_sub_path_base_url(tmp_path: Path):
    project = copy_example(tmp_path / "p")
    cfg = project / "briefgen.yaml"
    cfg.write_text(re.sub(r"base_url:.*", "base_url: https://example.org/briefs", cfg.read_text()))
    run_cli("build", "--source", str(project), check=True)
    feed = parse(project / "site/topics/nato-offer/feed.xml")
    assert feed.feed.link == "https://example.org/briefs/topics/nato-offer/"
    assert any(
        link.rel == "self" and link.href == "https://example.org/briefs/topics/nato-offer/feed.xml"
        for link in feed.feed.links
    )
    assert all(e.link.startswith("https://example.org/briefs/articles/") for e in feed.entries)


def test_a_topic_without_articles_has_a_valid_empty_feed_with_a_fixed_date(tmp_path: Path):
    project = copy_example(tmp_path / "p")
    (project / "content/topics/quiet.yaml").write_text("title: A quiet story\nsummary: Nothing filed yet.\n")
    run_cli("build", "--source", str(project), check=True)
    feed = parse(project / "site/topics/quiet/feed.xml")
    assert feed.entries == []
    assert feed.feed.updated == "1970-01-01T00:00:00+00:00", "never the time of the build"


def test_a_cold_build_gives_its_outputs_memory_back_as_it_goes_with_no_entries_kept(tmp_path: Path, monkeypatch):
    """A cold one-off build hands its outputs to the staging folder through ``parallel.giving_back``: the C heap's
    free pages go back to the system as the outputs are made (every byte here, at a threshold of one), and at no
    point after the feeds does the process hold their entries for a later build."""
    from briefgen.engine import parallel
    from briefgen.engine.build import build
    from briefgen.outputs import feeds

    feeds._entries.clear()  # (what other tests in this process left)
    real, seen = parallel.give_back_free_memory, []

    def giving(*args):
        seen.append(len(feeds._entries))
        real(*args)

    monkeypatch.setattr(parallel, "GIVE_BACK_EVERY", 1)
    monkeypatch.setattr(parallel, "give_back_free_memory", giving)
    project = Project.at(copy_example(tmp_path / "project"), tmp_path / "site")
    build(project, jobs=1)
    made = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    feed_files = [p for p in made if p.name == "feed.xml"]
    assert len(seen) >= len(feed_files) > 1, "given back as the outputs were made, not once at the end"
    assert set(seen) == {0}, "no entry kept for a later build"


def test_a_one_off_build_lets_go_of_the_kept_entries_and_a_session_keeps_them(tmp_path: Path):
    """``briefgen build`` (``once``) has no next build to reuse the feeds' <entry> elements for: it keeps none
    (they go with the feeds' writer once the last feed is made). A session (serve's ``Builder``) keeps them,
    and its next rebuild's feeds are the same bytes whether it reused them or not."""
    from briefgen.engine.build import Builder, build
    from briefgen.outputs import feeds

    feeds._entries.clear()  # (what other tests in this process left)
    project = Project.at(copy_example(tmp_path / "project"), tmp_path / "once")
    build(project, jobs=1)
    assert (tmp_path / "once" / "feed.xml").is_file()
    assert feeds._entries == {}

    session = Builder(Project.at(project.root, tmp_path / "session"), jobs=1, record_changes=False)
    session.rebuild()
    assert feeds._entries, "a session keeps them for its next rebuild"
    kept = dict(feeds._entries)
    session.rebuild(None)
    assert (tmp_path / "session" / "feed.xml").read_bytes() == (tmp_path / "once" / "feed.xml").read_bytes()
    assert feeds._entries.keys() == kept.keys()
