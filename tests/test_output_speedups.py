"""The fast paths of the extra outputs give the same answers as the plain code they replace.

``jsontext.dumps`` must write what ``json.dumps(indent=1, ensure_ascii=False)``
writes, character for character, for any value (including the ones it hands
back to ``json``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math

from feed_support import reference_feed
from hypothesis import given
from hypothesis import strategies as st

from briefgen import jsontext

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


def plain(value) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False)


@given(values)
def test_jsontext_matches_json_dumps(value):
    assert jsontext.dumps(value) == plain(value)
    assert jsontext.file_bytes(value) == (plain(value) + "\n").encode("utf-8")


class Colour(enum.IntEnum):
    RED = 1


class Text(str):
    pass


def test_jsontext_hands_unusual_values_to_json():
    for value in (
        {1: "int key", None: "null key"},
        {"nan": math.nan, "inf": [math.inf, -math.inf]},
        {"enum": Colour.RED, "text": Text("x")},
        {"control": '\x00\x1f\u2028"\\', "unicode": "Kyiv – Київ"},
        [[], {}, [[]], {"a": {}}],
    ):
        assert jsontext.dumps(value) == plain(value)


def test_feed_entries_written_once_are_what_feedgenerator_writes(example):
    from briefgen.engine.build import load_and_assemble
    from briefgen.outputs import feeds
    from briefgen.problems import Problems
    from briefgen.project import Project
    from briefgen.render.render import Renderer, static_files

    project = Project.at(example)
    site, _pages = load_and_assemble(project, Problems())
    renderer = Renderer(site, project, static_files(project))
    feeds._entries.clear()
    for memo in ("empty memo", "every entry memoised"):
        assert feeds.write_feed(site, renderer, "", "T", "S", site.articles) == reference_feed(
            site, renderer, "", "T", "S", site.articles
        ), memo
        for topic in site.topics.values():
            got = feeds.write_feed(site, renderer, topic.url_path, topic.title, "s", topic.articles)
            assert got == reference_feed(site, renderer, topic.url_path, topic.title, "s", topic.articles), memo
    assert feeds._entries


# --- the link check: memoised resolution against the plain one --------------------------------------


def plain_check_links(files, pages, problems, statics=frozenset()) -> int:
    """briefgen.checks.linkcheck.check_links as it was before its memos (urlsplit + normpath for every link)."""
    import posixpath
    import re
    from urllib.parse import unquote, urlsplit

    from briefgen.checks.linkcheck import _SKIP_PREFIXES, _attr, _in_tag, body_line, check_outputs, markup

    # quoted or unquoted values; an unquoted one only between a tag's attributes (linkcheck._in_tag)
    value = rb"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
    _LINK = re.compile(rb"\s(?:href|src)" + value)
    _ID = re.compile(rb"\sid" + value)

    def links(html: bytes) -> list:
        return [m.groups(b"") for m in _LINK.finditer(html) if not m.group(3) or _in_tag(html, m.start())]

    def target(base_dir, url):
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(("mailto:", "//")):
            return None
        path = unquote(parts.path)
        if path.startswith("/"):
            return None
        if path == "":
            return "", parts.fragment
        joined = posixpath.normpath(posixpath.join(base_dir, path))
        if path.endswith("/") or joined == ".":
            joined = (joined + "/index.html") if joined != "." else "index.html"
        return joined, parts.fragment

    check_outputs(pages, problems, statics)
    checked = 0
    reported = set()
    for page in pages:
        if page.kind == "notfound":
            continue
        base_dir = posixpath.dirname(page.output)
        for match in links(markup(files.get(page.output, b""))):
            url = _attr(match)
            found = target(base_dir, url)
            if found is None:
                continue
            checked += 1
            path, fragment = found
            path = path or page.output
            if path.startswith(_SKIP_PREFIXES):
                continue
            where = page.source or page.output
            if (where, url) in reported:
                continue
            if path not in files and path not in statics:
                reported.add((where, url))
                problems.error(
                    where, body_line(page, url), f"page /{page.url_path} links to {url!r}, which does not exist", ""
                )
            elif fragment and path in files:
                ids = {_attr(m) for m in _ID.findall(markup(files[path]))}
                if unquote(fragment) not in ids:
                    reported.add((where, url))
                    message = f"page /{page.url_path} links to {url!r}, but that page has no #{unquote(fragment)}"
                    problems.error(where, body_line(page, url), message, "")
    return checked


FOLDERS = ["", "topics/a/", "topics/a/page/2/", "articles/x/", "people/p/", "a/b/c/"]
href_parts = st.sampled_from(
    [
        "../",
        "./",
        "..",
        ".",
        "topics/",
        "a/",
        "x/",
        "index.html",
        "#top",
        "#sec-1",
        "?q=1",
        "%2E%2E/",
        "%61/",
        "/",
        "//",
    ]
    + ["https://example.org/", "mailto:a@b", "pagefind/x.js", "feed.xml", "b", ":", "a:b/", "&amp;", " ", "\t"]
    + [" src='", "' ", ' id="top', " src=", " id='sec-1' ", "<!-- ", " -->", "\n href='#top'"]  # attributes in values
)
hrefs = st.lists(href_parts, min_size=0, max_size=6).map("".join)


@given(st.lists(st.tuples(st.sampled_from(FOLDERS), st.lists(hrefs, max_size=8)), min_size=1, max_size=5))
def test_link_check_memos_give_the_plain_answers(site):
    from briefgen.checks import linkcheck
    from briefgen.pages.assemble import Page
    from briefgen.problems import Problems

    pages, files = [], {}
    for n, (folder, links) in enumerate(site):
        page = Page("topic", f"{folder}p{n}/", "topic.html", "t")
        tags = ['<a href="{}">x</a>', "<img src='{}'>", '<p title="{}">', "<a\thref='{}' id=\"x\">"]
        body = "".join(tags[len(h) % 4].format(h) for h in links) + '<h2 id="top">t</h2><h2 id="sec-1">s</h2>'
        pages.append(page)
        files[page.output] = body.encode()
    files.update({f"{f}index.html": b'<p id="top">' for f in FOLDERS} | {"topics/a/index.html": b"<p>"})
    for _ in range(2):  # cold memos, then warm ones
        mine, plain = Problems(), Problems()
        assert linkcheck.check_links(files, pages, mine, {"feed.xml"}) == plain_check_links(
            files, pages, plain, {"feed.xml"}
        )
        assert [(p.path, p.line, p.message) for p in mine.items] == [(p.path, p.line, p.message) for p in plain.items]


@given(
    st.lists(
        st.lists(
            st.sampled_from(["https://", "http://", "HTTPS://", "//", "h", "/", "../", "?q", "#f", "x.org", ":"])
        ).map("".join),
        max_size=6,
    ),
    st.sampled_from(["https://example.org/articles/a/", "http://example.org/", "HTTPS://Example.org/x"]),
)
def test_feed_links_made_absolute_as_urljoin_does(hrefs, page_url):
    import html
    from urllib.parse import urljoin

    from briefgen.outputs.feeds import absolute_links

    body = "".join(f'<a href="{html.escape(h)}">x</a>' for h in hrefs)
    want = "".join(f'<a href="{html.escape(urljoin(page_url, h))}">x</a>' for h in hrefs)
    assert absolute_links(body, page_url) == want
    assert absolute_links(body, page_url) == want  # memoised


def test_sitemap_memo_follows_the_pages(example):
    from briefgen.engine.build import load_and_assemble
    from briefgen.outputs.sitemap import SitemapMemo, sitemap_files
    from briefgen.problems import Problems
    from briefgen.project import Project
    from briefgen.render.render import Renderer, static_files

    project = Project.at(example)
    site, pages = load_and_assemble(project, Problems())
    renderer = Renderer(site, project, static_files(project))
    article = next(p for p in pages if p.kind == "article")
    memo = SitemapMemo()
    full = sitemap_files(site, pages, renderer, memo)["sitemap.xml"]
    fewer = sitemap_files(site, [p for p in pages if p is not article], renderer, memo)["sitemap.xml"]
    assert renderer.absolute(article.url_path).encode() in full
    assert renderer.absolute(article.url_path).encode() not in fewer
    assert sitemap_files(site, pages, renderer, memo)["sitemap.xml"] == full
    assert full == sitemap_files(site, pages, renderer)["sitemap.xml"]


def test_manifest_memo_hashes_what_changed():
    import hashlib

    from briefgen.outputs.manifest import ManifestHashes, manifest_bytes, read_manifest

    files = {f"p{i}.html": f"page {i}".encode() for i in range(5)}
    memo = ManifestHashes()
    for change in (None, "p2.html", "p4.html"):
        if change:
            files[change] = files[change] + b" edited"
        got = read_manifest(manifest_bytes("https://example.org/", files, memo=memo))
        assert got == {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}


# Publication times: a few instants, each writable in two time zones (equal instants, different offsets).
_ZONES = [dt.UTC, dt.timezone(dt.timedelta(hours=2))]
_times = st.builds(
    lambda hour, zone: dt.datetime(2025, 3, 1, hour, tzinfo=dt.UTC).astimezone(_ZONES[zone]),
    st.integers(8, 11),
    st.integers(0, 1),
)


@dataclasses.dataclass(eq=False)
class _Report:
    date: dt.datetime
    modified: dt.datetime
    slug: str


_reports = st.lists(
    st.builds(_Report, _times, _times, st.sampled_from(["a", "b", "c"])), max_size=70
)  # equal slugs too: ties of every kind


@given(_reports, st.data())
def test_recency_order_gives_the_plain_newest(reports, data):
    """A feed's articles by the site's recency order are what sorting them by date gives (and, before it,
    ``heapq.nlargest``), ties and all; the newest of any list has the same lastmod as the plain ``max``."""
    import heapq

    from briefgen.outputs.feeds import MAX_ENTRIES, RecencyOrder, _recency, newest
    from briefgen.outputs.sitemap import lastmod

    order = RecencyOrder(reports)
    subset = data.draw(st.lists(st.sampled_from(reports), unique_by=id) if reports else st.just([]))
    for articles in (reports, subset, list(reversed(subset))):
        want = heapq.nlargest(MAX_ENTRIES, articles, key=_recency)
        assert newest(articles, order) == want == newest(articles)
        first = order.newest(articles)
        plain = max((a.modified for a in articles), default=None)
        assert (lastmod(first.modified) if first else None) == (lastmod(plain) if plain else None)
    stranger = _Report(reports[0].date, reports[0].modified, "z") if reports else None
    if stranger is not None:  # an article the order was not made from: the plain sort
        assert newest([*reports, stranger], order) == heapq.nlargest(MAX_ENTRIES, [*reports, stranger], key=_recency)


def test_sitemap_entries_are_the_plain_page_dates(example):
    """The sitemap's entries, found with the recency order, are each page's ``page_date`` as lastmod."""
    from briefgen.engine.build import load_and_assemble
    from briefgen.outputs.feeds import RecencyOrder
    from briefgen.outputs.sitemap import NOT_LISTED, _preview, lastmod, page_date, sitemap_entries
    from briefgen.problems import Problems
    from briefgen.project import Project
    from briefgen.render.render import Renderer, static_files

    project = Project.at(example)
    site, pages = load_and_assemble(project, Problems())
    renderer = Renderer(site, project, static_files(project))
    want = []
    for page in pages:
        if page.kind not in NOT_LISTED and not _preview(page):
            when = page_date(site, page)
            want.append((renderer.absolute(page.url_path), lastmod(when) if when is not None else None))
    assert sitemap_entries(site, pages, renderer) == want
    assert sitemap_entries(site, pages, renderer, RecencyOrder(site.articles)) == want  # the feeds' order
    assert {"topic", "party", "article"} <= {p.kind for p in pages}  # each way to a date is taken


@given(
    st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 30)),
    st.integers(-23 * 60, 23 * 60),
)
def test_lastmod_is_the_strftime_of_the_utc_time(when, minutes):
    """``lastmod``'s formatting is ``strftime``'s, for any time and offset (a year before 1000 included)."""
    from briefgen.outputs.sitemap import lastmod

    aware = when.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))
    assert lastmod(aware) == aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@given(
    st.integers(0, 6),
    st.lists(st.sampled_from(["a", "b.c", "~x", "_-", "..a", "", ".", "..", "%2E", ";p", "é", "?q"]), max_size=4),
    st.sampled_from(["", "/", "#f", "#sec-a", "#", "#a#b"]),
    st.sampled_from(
        [
            "https://example.org/articles/a/",
            "http://example.org/",
            "https://h:8080/a/b/c/",
            "HTTPS://Example.org/x/",
            "https://h/a/../b/",
            "https://h//",
            "https://h/a/b",
            "https://u@h/a/",
        ]
    ),
)
def test_climbing_links_joined_as_urljoin_does(ups, parts, end, page_url):
    from urllib.parse import urljoin

    from briefgen.outputs.feeds import climbed

    url = "../" * ups + "/".join(parts) + end
    got = climbed(page_url, url)
    assert got is None or got == urljoin(page_url, url)
    plain = all(p in ("a", "b.c", "~x", "_-") for p in parts) and end in ("", "/", "#f", "#sec-a")
    if 1 <= ups <= 2 and page_url == "https://example.org/articles/a/" and plain and (parts or end != "/"):
        assert got is not None  # the common case takes the short way
