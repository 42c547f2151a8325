"""The pack's link rewriting: its shortcuts give exactly what urljoin gives, and bodies are rewritten lazily."""

from __future__ import annotations

import datetime as dt
import html
import re

from hypothesis import given
from hypothesis import strategies as st

from briefgen.content.model import Article
from briefgen.pages import pack

PAGES = frozenset({"articles/other/", "articles/x-1/", "articles/here/", "topics/t/"})
PIECES = [
    "../", "..", "./", "/", "//", "other/", "x-1/", "here/", "topics/", "#", "#sec-a", "?q=1", ":", "https:",
    "HTTPS:", "http:", "Http:", "mailto:", "javascript:", "[", "]", "\t", " ", "%20", "é", "&", ";p", "a.b",
]  # fmt: skip


def _article(body: str) -> Article:
    at = dt.datetime(2025, 2, 23, tzinfo=dt.UTC)
    return Article("here", "content/articles/here.md", "here.md", "Here", at, None, "", "", "", "", 1, body_html=body)


def _by_urljoin(article: Article) -> str:
    """``article_body`` with its shortcuts switched off: every link through urljoin, as before them."""
    saved = pack._SIBLING, pack._other_scheme
    pack._SIBLING, pack._other_scheme = re.compile(r"(?!)"), lambda value: False
    try:
        return pack.article_body(article, "topics/t/pack/", PAGES, "https://example.org/brief/")
    finally:
        pack._SIBLING, pack._other_scheme = saved


def _outcome(fn, article: Article):
    try:
        return fn(article)
    except ValueError as exc:  # urlsplit refuses some URLs (an unclosed [ in the host): the same either way
        return type(exc)


@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6))
def test_link_shortcuts_agree_with_urljoin(pieces: list[str]):
    value = "".join(pieces)
    article = _article(f'<p><a href="{html.escape(value)}">a</a><img src="{html.escape(value)}" alt=""></p>')
    fast = _outcome(lambda a: pack.article_body(a, "topics/t/pack/", PAGES, "https://example.org/brief/"), article)
    assert fast == _outcome(_by_urljoin, article)


def test_sibling_links_and_other_schemes():
    article = _article(
        '<h2 id="sec-a">A</h2><p><a href="../other/">o</a> <a href="../other/#sec-b">b</a> '
        '<a href="../gone/">g</a> <a href="https://x.org/">x</a> <a href="mailto:a@b.org">m</a></p>'
    )
    body = pack.article_body(article, "topics/t/pack/", PAGES, "https://example.org/brief/")
    assert body == _by_urljoin(article)
    assert 'href="../../../articles/other/"' in body and 'href="../../../articles/other/#sec-b"' in body
    assert 'href="https://example.org/brief/articles/gone/"' in body, "not a page: absolute"
    assert 'href="https://x.org/"' in body and 'href="mailto:a@b.org"' in body
    assert '<h4 id="here--sec-a">' in body


def test_pack_bodies_are_rewritten_when_asked_and_reused_while_unchanged(monkeypatch):
    calls = []
    original = pack.article_body
    monkeypatch.setattr(pack, "article_body", lambda *args: calls.append(args[0].slug) or original(*args))
    memo: pack.PackBodyMemo = {}  # the build database's (a session's)
    article = _article('<p><a href="../other/">o</a></p>')
    bodies = pack.PackBodies([article], "topics/t/pack/", PAGES, "https://example.org/brief/", memo)
    assert calls == [] and list(bodies) == ["here"] and len(bodies) == 1
    first = bodies["here"]
    again = pack.PackBodies([article], "topics/t/pack/", PAGES, "https://example.org/brief/", memo)["here"]
    assert again is first and calls == ["here"], "the next build reuses an unchanged body"
    article.body_html = '<p><a href="../x-1/">x</a></p>'
    changed = pack.PackBodies([article], "topics/t/pack/", PAGES, "https://example.org/brief/", memo)["here"]
    assert "articles/x-1/" in changed and calls == ["here", "here"], "an edited body is rewritten"
    alone = pack.PackBodies([article], "topics/t/pack/", PAGES, "https://example.org/brief/")
    assert alone["here"] == changed and alone["here"] == changed and calls == ["here"] * 4, "no memo: none kept"


# What the pack rewrote with a regular expression before ``_rewrite_attributes`` (which must find the same).
_ATTR_REGEX = re.compile(r'(\s(href|src|id)=")([^"]*)(")')
ATTR_PIECES = [
    '="',
    '"',
    "=",
    " ",
    "\t",
    "\n",
    "\xa0",
    "\u2003",
    "href",
    "src",
    "id",
    "ref",
    "h",
    "x",
    "<a ",
    ">",
    "&amp;",
]


def _by_regex(body: str, fix) -> str:
    def one(m: re.Match) -> str:
        new = fix(m.group(2), m.group(3))
        return m.group(0) if new is None else m.group(1) + new + m.group(4)

    return _ATTR_REGEX.sub(one, body)


def _tagging_fix(name: str, value: str) -> str | None:
    """Marks each match with what it found; leaves every third one (by length) as written."""
    return None if len(value) % 3 == 2 else f"[{name}:{value}]"


@given(st.lists(st.sampled_from(ATTR_PIECES), max_size=16))
def test_attribute_scan_finds_what_the_regex_found(pieces: list[str]):
    body = "".join(pieces)
    assert pack._rewrite_attributes(body, _tagging_fix) == _by_regex(body, _tagging_fix)


def test_attribute_scan_on_body_markup():
    body = (
        '<h2 id="a">A</h2>\n<p>x="1" <a href="../other/" rel="noopener">o</a><img src="p.png" alt="">'
        '<a\thref="#a">t</a> <span data-id="k">q</span> <a href="open'
    )
    seen = []
    out = pack._rewrite_attributes(body, lambda name, value: seen.append((name, value)) or value.upper())
    assert seen == [("id", "a"), ("href", "../other/"), ("src", "p.png"), ("href", "#a")], "data-id: no white space"
    assert out == _by_regex(body, lambda name, value: value.upper())
    assert '<img src="P.PNG"' in out and 'data-id="k"' in out and out.endswith('href="open')
