"""The fast paths of the extra outputs give the same answers as the plain code they replace.

``jsontext.dumps`` must write what ``json.dumps(indent=1, ensure_ascii=False)``
writes, character for character, for any value (including the ones it hands
back to ``json``).
"""

from __future__ import annotations

import enum
import json
import math

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


def plain_feed(site, renderer, url_path, title, subtitle, articles) -> bytes:
    """An Atom feed written item by item with feedgenerator, as briefgen wrote them before the entry memo."""
    import html

    from feedgenerator import get_tag_uri

    from briefgen.feeds import absolute_links, feed_path, new_feed

    config = site.config
    feed = new_feed(site, renderer, url_path, feed_path(url_path), title, subtitle, renderer.absolute(url_path))
    for article in sorted(articles, key=lambda a: (a.modified, a.date, a.slug), reverse=True)[:50]:
        link = renderer.absolute(article.url_path)
        feed.add_item(
            title=article.title,
            link=link,
            description=html.escape(article.summary, quote=False),
            content=absolute_links(article.body_html, link),
            author_name=article.author or config.publisher or config.title,
            pubdate=article.date,
            updateddate=article.modified,
            unique_id=get_tag_uri(link, article.date),
            categories=[t.title for t in article.topics],
        )
    return feed.writeString("utf-8").encode("utf-8")


def test_feed_entries_written_once_are_what_feedgenerator_writes(example):
    from briefgen import feeds
    from briefgen.build import load_and_assemble
    from briefgen.problems import Problems
    from briefgen.project import Project
    from briefgen.render import Renderer, static_files

    project = Project.at(example)
    site, _pages = load_and_assemble(project, Problems())
    renderer = Renderer(site, project, static_files(project))
    feeds._entries.clear()
    for memo in ("empty memo", "every entry memoised"):
        assert feeds.write_feed(site, renderer, "", "T", "S", site.articles) == plain_feed(
            site, renderer, "", "T", "S", site.articles
        ), memo
        for topic in site.topics.values():
            got = feeds.write_feed(site, renderer, topic.url_path, topic.title, "s", topic.articles)
            assert got == plain_feed(site, renderer, topic.url_path, topic.title, "s", topic.articles), memo
    assert feeds._entries
