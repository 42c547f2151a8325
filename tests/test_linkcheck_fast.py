"""The link check's shortcuts give the general code's answers.

``linkcheck._split`` answers most hrefs without ``urlsplit`` and ``unquote``, ``linkcheck._join`` most
joins without ``normpath``, and ``_LinkCheck.page`` works on each distinct value of a page once. Each is
checked here against the general code on generated input, characters that change the general answer
included (schemes, queries, percent-escapes, whitespace and control characters, ``.`` and ``..`` parts).
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from hypothesis import example, given
from hypothesis import strategies as st

from briefgen.checks import linkcheck
from briefgen.pages.assemble import Page
from briefgen.problems import Problems


def plain_split(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "//")):
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        return None
    return path, parts.fragment


def plain_join(base_dir: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base_dir, path))
    if path.endswith("/") or joined == ".":
        joined = (joined + "/index.html") if joined != "." else "index.html"
    return joined


URL_PIECES = st.sampled_from(
    ["a", "b/", "../", "./", ".", "..", "/", "//", "#", "#x", ":", "?", "?q=1", "%", "%2E", "%41", "&", "é"]
    + [" ", "\t", "\n", "\r", "\x00", "\x01", "\x1f", "\x7f", "http:", "mailto:", "a1+.-:", "index.html"]
    + ["https://", "http://", "[", "]", "ｘ"]
)
urls = st.lists(URL_PIECES, max_size=8).map("".join)


def _outcome(split, url: str):
    try:
        return split(url)
    except ValueError as error:  # urlsplit's "Invalid IPv6 URL", for one: the check stops as it did
        return repr(error)


@given(urls)
@example("https://[x/")
@example("http://a]/b")
@example("https://a\uff0fb/")  # a full-width solidus: urlsplit objects to the host NFKC makes of it
@example("https://a.org/[")
def test_split_gives_what_urlsplit_and_unquote_give(url):
    assert _outcome(linkcheck._split, url) == _outcome(plain_split, url)


def test_split_takes_the_short_way_for_plain_links_only():
    assert linkcheck._PLAIN_URL.fullmatch("../../articles/x/#sec-1")
    for url in ("https://x.org/", "a?b", "a%20b", " a", "a\tb", "/a", "//a", "a#b#c", "a#b:c"):
        assert not linkcheck._PLAIN_URL.fullmatch(url), url


FOLDERS = st.lists(st.sampled_from(["a", "topics", "x.y", "page", "2", "..a", ".b"]), max_size=4).map("/".join)
PATH_PIECES = st.sampled_from(["../", "..", "./", ".", "/", "x", "x/", "index.html", "a/", "...", ".x/", "y.html"])


@given(FOLDERS, st.integers(0, 4), st.lists(PATH_PIECES, max_size=6))
def test_join_from_the_root_gives_what_normpath_gives(base_dir, climb, pieces):
    depth = len(base_dir.split("/")) if base_dir else 0
    to_root = "../" * depth
    path = "../" * climb + "".join(pieces)
    if not path:
        return  # _join is never asked about an empty path (it names the page itself)
    assert linkcheck._join(base_dir, path, to_root) == plain_join(base_dir, path)
    assert linkcheck._join(base_dir, path) == plain_join(base_dir, path)


def test_repeated_links_are_counted_and_reported_as_before():
    """A page that repeats a broken link and a good one: every occurrence counted, each broken one reported
    once, in the order of first appearance."""
    page = Page("topic", "topics/t/", "topic.html", "t")
    html = (
        '<a href="../../nowhere/">1</a> <a href="../../articles/a/">2</a> <a href=\'../../nowhere/\'>3</a>'
        '<a href="../../articles/a/#gone">4</a> <a href="../../articles/a/">5</a> <a href="../../nowhere/">6</a>'
    )
    files = {page.output: html.encode(), "articles/a/index.html": b'<h2 id="here">x</h2>'}
    problems = Problems()
    linkcheck._hrefs.clear()
    linkcheck._joins.clear()
    assert linkcheck.check_links(files, [page], problems) == 6
    assert [p.message for p in problems.items] == [
        "page /topics/t/ links to '../../nowhere/', which does not exist",
        "page /topics/t/ links to '../../articles/a/#gone', but that page has no #gone",
    ]


def test_links_without_src_are_read_as_the_general_pattern_reads_them():
    """Pages without ``src`` take the short way (one ``findall``); an unquoted value still counts only inside
    a tag, so text such as ``&lt;a href=x&gt;`` in a code sample is not a link."""
    quoted = b'<a href="a/">1</a> <a class=x href=\'b/#c\'>2</a> <p>href="not/a/link"</p>'
    assert linkcheck.links_in(quoted) == [(b"a/", b"", b""), (b"", b"b/#c", b"")]
    unquoted = b'<a href=a/>1</a> <code>&lt;a href=x&gt;</code> <a href="b/">2</a>'
    assert linkcheck.links_in(unquoted) == [(b"", b"", b"a/"), (b"b/", b"", b"")]


def test_a_broken_footnote_link_is_reported_at_the_footnote():
    """Markdown makes #fnN and #fnrefN links that the author never wrote: an error about one still says where.

    The property test in test_markdown_safety once saw a footnote's #fn1 lose its target, with the error
    about it unlocated; the link is found at the note's definition (#fn) or at its reference (#fnref)."""
    from types import SimpleNamespace

    body = "Intro.\n\nA claim[^src] and more.\n\n[^src]: <b>Said by</b> the ministry.\n"
    article = SimpleNamespace(body_md=body, body_line=10)
    page = SimpleNamespace(kind="article", context={"article": article})
    assert linkcheck.body_line(page, "#fn1") == 14
    assert linkcheck.body_line(page, "#fnref1") == 12
    assert linkcheck.body_line(page, "#fnref1:1") == 12
    assert linkcheck.body_line(page, "#elsewhere") is None
