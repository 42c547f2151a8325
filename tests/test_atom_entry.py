"""The feeds' hand-written pieces write what feedgenerator and the regex they replace write, byte for byte.

``briefgen.outputs.atomentry`` writes an Atom <entry> without feedgenerator's SAX
writer, ``feeds.write_feed`` puts a feed together from feedgenerator's head and
those entries as bytes, and ``feeds.url_values`` finds the href/src values that
``feeds._URL_ATTR`` finds. Each is held here to the plain way, for generated
input (odd characters, quotes, empty fields, time zones, control characters),
and the feeds are read back with feedparser and an XML parser.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import feedparser
import pytest
from feed_support import reference_feed
from feedgenerator.django.utils.xmlutils import SimplerXMLGenerator, UnserializableContentError
from hypothesis import example, given
from hypothesis import strategies as st

from briefgen.outputs import feeds
from briefgen.outputs.atomentry import _CONTROL, entry_xml, has_control

# text with what matters to XML: markup characters, quotes, whitespace feedgenerator escapes in attributes,
# control characters it refuses in text, non-ASCII and (in ``odd``) lone surrogates
texts = st.text(st.sampled_from(list("aZ <>&\"'\t\n\r\x00\x01\x0b\x1f\x7f é€\u2028🙂")), max_size=12)
odd = st.text(st.characters(exclude_categories=()), max_size=12)
zones = st.sampled_from(
    [None, dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(-dt.timedelta(hours=8))]
)
whens = st.one_of(st.datetimes(timezones=zones), st.dates())
fields = st.fixed_dictionaries(
    {
        "title": texts,
        "link": st.sampled_from(["https://example.org/a/", 'https://h/ü x?q=1&r="2"#f', "http://h/<>"]),
        "description": st.none() | texts,
        "content": st.none() | texts,
        "author_name": st.none() | texts,
        "pubdate": whens,
        "updateddate": whens,
        "unique_id": texts,
        "categories": st.lists(texts, max_size=3),
    }
)


def feedgenerator_entry(**item) -> str:
    """The <entry> feedgenerator writes for ``add_item(**item)`` (how briefgen wrote entries before)."""
    feed = feeds._ReproducibleAtomFeed(title="", link="", description="")
    feed.add_item(**item)
    out = io.StringIO()
    feed.write_items(SimplerXMLGenerator(out, "utf-8", short_empty_elements=True))
    return out.getvalue()


def outcome(write, item):
    try:
        return write(**item)
    except UnserializableContentError:
        return UnserializableContentError


@given(fields)
def test_entry_is_what_feedgenerator_writes(item):
    assert outcome(entry_xml, item) == outcome(feedgenerator_entry, item)


@given(st.one_of(texts, odd))
def test_control_characters_found_as_feedgenerator_finds_them(text):
    assert has_control(text) == (_CONTROL.search(text) is not None)


def test_every_character_is_a_control_character_as_feedgenerator_says():
    every = [chr(n) for n in range(0x110000)]
    assert [c for c in every if has_control("a" + c)] == [c for c in every if _CONTROL.search(c)]


def whole_feed(items, head: dict) -> bytes:
    """The feed feedgenerator writes with every item added to it."""
    feed = feeds._ReproducibleAtomFeed(**head)
    for item in items:
        feed.add_item(**item)
    return feed.writeString("utf-8").encode("utf-8")


def assembled_feed(items, head: dict) -> bytes:
    """The feed as ``write_feed`` puts it together: feedgenerator's head, then each entry's bytes."""
    feed = feeds._ReproducibleAtomFeed(**head)
    entries = []
    for item in items:
        feed.add_dates(item["pubdate"], item["updateddate"])
        entries.append(entry_xml(**item).encode("utf-8"))
    start, tail = feed.head_and_tail()
    return b"".join([start, *entries, tail])


heads = st.fixed_dictionaries(
    {"title": texts, "link": st.just("https://example.org/t/"), "description": texts, "language": st.just("en")},
    optional={"author_name": texts, "feed_url": st.just("https://example.org/t/feed.xml"), "feed_guid": texts},
)
aware = st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30))]))
# a feed's items have aware datetimes (feedgenerator compares them for the feed's updated), and mostly clean text
clean_items = st.tuples(fields, aware, aware).map(
    lambda f: {
        **f[0],
        "pubdate": f[1],
        "updateddate": f[2],
        "title": _CONTROL.sub("", f[0]["title"]),
        "categories": [_CONTROL.sub("", c) for c in f[0]["categories"]],  # feedgenerator checks no attribute
    }
)


@given(st.lists(clean_items, max_size=4), heads)
def test_feed_is_what_feedgenerator_writes_and_reads_the_same(items, head):
    try:
        want = whole_feed(items, head)
    except UnserializableContentError:
        with pytest.raises(UnserializableContentError):
            assembled_feed(items, head)
        return
    got = assembled_feed(items, head)
    assert got == want
    # what a reader sees follows from the bytes; it is read here all the same, as a reader and as XML
    ours, theirs = feedparser.parse(got), feedparser.parse(want)
    assert [(e.get("title"), e.get("id"), e.get("content")) for e in ours.entries] == [
        (e.get("title"), e.get("id"), e.get("content")) for e in theirs.entries
    ]
    assert ET.tostring(ET.fromstring(got)) == ET.tostring(ET.fromstring(want))


# an attribute-ish alphabet: names, whitespace (str.isspace's, which is the pattern's \s), quotes and =
attrish = st.lists(
    st.sampled_from([" ", "\t", "\x1c", "\u2003", "href", "src", "h", "x", '="', '"', "=", ' href="', '\tsrc="']),
    max_size=30,
)


@given(attrish.map("".join))
@example('<a\thref="a">\u2003src="b"\x1chref="c" "href="d"')
def test_url_values_found_where_the_pattern_finds_them(text):
    assert list(feeds.url_values(text)) == [m.span(2) for m in feeds._URL_ATTR.finditer(text)]


def test_url_values_of_real_markup():
    body = '<p><a href="../x/">a</a> <img\nsrc="i.png" alt="href=&quot;no&quot;"><a title=" href=" href="y">'
    assert list(feeds.url_values(body)) == [m.span(2) for m in feeds._URL_ATTR.finditer(body)]
    assert len(list(feeds.url_values(body))) == 3  # the third is inside a title, as the pattern finds it


def test_every_feed_of_a_site_is_what_feedgenerator_writes(example):
    """iter_feeds writes each article's entry once for all the feeds that list it (``FeedWriter``)."""
    from briefgen.engine.build import load_and_assemble
    from briefgen.problems import Problems
    from briefgen.project import Project
    from briefgen.render.render import Renderer, static_files

    project = Project.at(example)
    site, pages = load_and_assemble(project, Problems())
    renderer = Renderer(site, project, static_files(project))
    feeds._entries.clear()
    want = {
        feeds.FEED_NAME: reference_feed(site, renderer, "", site.config.title, site.config.description, site.articles)
    }
    for page in pages:
        if page.kind == "topic" and page.url_path == page.context["topic"].url_path:
            t = page.context["topic"]
            want[feeds.feed_path(t.url_path)] = reference_feed(
                site, renderer, t.url_path, f"{t.title} · {site.config.title}", t.meta.summary, t.articles
            )
        elif page.kind == "party":
            p = page.context["party"]
            title = f"{p.name} · {site.config.title}"
            articles = feeds.party_articles(site, page)
            want[feeds.feed_path(p.url_path)] = reference_feed(
                site, renderer, p.url_path, title, page.description, articles
            )
    for memo in ("empty memo", "every entry memoised"):
        got = dict(feeds.iter_feeds(site, pages, renderer))
        assert got.keys() == want.keys()
        assert [rel for rel in want if got[rel] != want[rel]] == [], memo
        assert len({e for data in got.values() for e in data.split(b"<entry>")}) > 3
