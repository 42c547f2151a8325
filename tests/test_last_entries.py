"""A rebuild that makes a feed again takes the entries of unchanged reports from the last build's file of it.

``outputs.lastentries``: a report whose part of the fingerprints was carried from the last build has the entry
it had then, and the last build's feed holds it, when that file's bytes are the ones recorded. These tests
count the entries a one-report edit writes anew (one), and hold every case to a clean build's bytes: the
edited report's own entry, a report that enters a feed it was not in, a title edit, and a last feed changed on
disk behind the build's back with its size and mtime kept (its entries are not taken).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from conftest import REPO

from briefgen.engine.build import Builder
from briefgen.outputs import feeds
from briefgen.project import Project

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402

HISTORY = "changes/history.json"  # a record of earlier builds, not a function of the input


def _build(project: Path, out: Path, *, cache: bool = True):
    """One build as ``briefgen build`` runs it (a new Builder; the state in ``.briefgen-cache/`` with ``cache``)."""
    return Builder(Project.at(project, out), jobs=1, use_cache=cache, record_changes=False, once=True).rebuild()


def _tree(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    files.pop(HISTORY, None)
    files.pop(".briefgen-manifest.json", None)  # lists the history's hash; every other file is compared
    return files


def _same_as_clean(project: Path, out: Path, clean: Path) -> list[str]:
    """The files of ``out`` that differ from a clean build of ``project`` (into ``clean``)."""
    _build(project, clean, cache=False)
    got, want = _tree(out), _tree(clean)
    return sorted(set(got) ^ set(want)) + [rel for rel in want if rel in got and got[rel] != want[rel]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_corpus(80, tmp_path / "corpus", seed=7)


@pytest.fixture
def written(monkeypatch) -> list[str]:
    """The reports whose entry a build writes anew (``FeedWriter.entry``), by path."""
    paths: list[str] = []
    entry = feeds.FeedWriter.entry

    def counting(self, article):
        paths.append(article.path)
        return entry(self, article)

    monkeypatch.setattr(feeds.FeedWriter, "entry", counting)
    return paths


def _articles(project: Path) -> list[Path]:
    return sorted((project / "content" / "articles").glob("*.md"))


def test_an_edit_writes_one_entry_and_takes_the_others(project: Path, tmp_path: Path, written: list[str]):
    out = tmp_path / "site"
    first = _build(project, out)
    assert len(set(written)) == len(first.site.articles)  # a cold build writes every entry
    newest = first.site.articles[0]  # in the site's feed and its topics' feeds
    path, feed = project / newest.path, out / newest.topics[0].url_path / "feed.xml"
    before = feed.read_bytes()
    path.write_text(path.read_text() + "\nA sentence the desk added.\n")
    written.clear()
    _build(project, out)
    assert written == [newest.path]
    after = feed.read_bytes()
    assert after != before and b"A sentence the desk added." in after
    assert after.count(b"<entry>") == before.count(b"<entry>") > 1
    assert _same_as_clean(project, out, tmp_path / "clean") == []


def test_a_title_edit_and_a_report_entering_a_feed(project: Path, tmp_path: Path, written: list[str]):
    """A title is in the report's entry: written anew. A report moved far back in time leaves the site's feed
    (50 entries), and the next one enters it: that one was carried, but the last feed has no entry of it."""
    out = tmp_path / "site"
    first = _build(project, out)
    shown = [a.path for a in first.site.articles]  # newest first
    titled, moved = project / shown[1], project / shown[2]
    titled.write_text(re.sub(r"(?m)^title: .*$", "title: A title the desk changed", titled.read_text(), count=1))
    moved.write_text(re.sub(r"(?m)^date: .*$", "date: 2001-01-01T10:00:00+00:00", moved.read_text(), count=1))
    written.clear()
    _build(project, out)
    assert shown[1] in written and shown[2] in written
    assert shown[feeds.MAX_ENTRIES] in written  # entered the site's feed
    assert len(set(written)) < len(shown) // 2
    site_feed = (out / "feed.xml").read_bytes()
    assert b"A title the desk changed" in site_feed
    assert _same_as_clean(project, out, tmp_path / "clean") == []


def test_a_last_feed_changed_on_disk_gives_no_entry(project: Path, tmp_path: Path, written: list[str]):
    """The site's feed changed behind the build's back, with its size and mtime put back: an edit that makes it
    again takes none of its entries (their bytes are not the ones recorded) and writes the feed a clean build
    writes."""
    out = tmp_path / "site"
    first = _build(project, out)
    shown = [a.path for a in first.site.articles]
    feed = out / "feed.xml"
    data, st = feed.read_bytes(), feed.stat()
    at = data.index(b"<summary")
    planted = data[:at] + data[at:].replace(b"e", b"E", 1)
    assert len(planted) == len(data) and planted != data
    feed.write_bytes(planted)
    os.utime(feed, ns=(st.st_atime_ns, st.st_mtime_ns))
    path = project / shown[0]
    path.write_text(path.read_text() + "\nOne more line.\n")
    written.clear()
    _build(project, out)
    assert len(set(written)) >= min(len(shown), feeds.MAX_ENTRIES)  # every entry of the site's feed, anew
    assert feed.read_bytes() != planted
    assert _same_as_clean(project, out, tmp_path / "clean") == []


def test_each_entry_is_found_by_its_own_link_whatever_its_text_says():
    """Titles, summaries and bodies that spell out entries and link elements are escaped in the feed: each
    article's entry is found by its own link, whole, and no other; an article not carried gets none."""
    import datetime as dt

    from briefgen.outputs.atomentry import entry_xml, link_element
    from briefgen.outputs.lastentries import LastEntries

    when = dt.datetime(2025, 2, 23, 11, 30, tzinfo=dt.UTC)
    tricky = [
        ("A <entry> & </entry> title", "https://example.org/articles/a/", '<link href="https://example.org/b/"/>'),
        ("B /> \"quoted\" 'title'", "https://example.org/articles/b/?q=1&x=<2>", "</entry><entry><title>x</title>"),
        ("C", "https://example.org/articles/c/", link_element("https://example.org/articles/a/")),
    ]
    entries = [
        entry_xml(
            title=title,
            link=link,
            description=body,
            content=f"<p>{body}</p>",
            author_name="Desk",
            pubdate=when,
            updateddate=when,
            unique_id=link,
            categories=["Topic </entry>"],
        ).encode("utf-8")
        for title, link, body in tricky
    ]
    data = b'<?xml version="1.0" encoding="utf-8"?>\n<feed>' + b"".join(entries) + b"</feed>"
    last = LastEntries(data, {"a.md", "b.md", "c.md"})
    for (_title, link, _body), entry, path in zip(tricky, entries, ["a.md", "b.md", "c.md"], strict=True):
        assert last.get(path, link) == entry
    assert last.get("d.md", tricky[0][1]) is None  # not carried
    assert LastEntries(data, {"a.md"}).get("a.md", "https://example.org/articles/elsewhere/") is None
