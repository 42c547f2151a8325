"""The link check's shortcuts report what a plain check reports.

``_LinkCheck.page`` passes over, as a set, the links already found fine on another page as deep (the header, the
topic strip and the footer most pages share), answers a page's own ``#anchor`` from its ids without the memo of
verdicts, works out the rest in any order and reports what is wrong in the order of first appearance;
``pass_plain`` answers the plainest of the rest (to a folder's page by plain names, to the page's own anchor)
directly; ``Ids`` keeps a page's double-quoted ids as bytes; ``markup`` finds the end of a script, style or
comment a run at a time. Each is compared here with the plain way on generated input, and a real build with broken links planted where the
shortcuts pass over (in one variant of the shared header, in the footer on one page only, in a body, a missing
anchor on the page itself and on another page) reports each of them, once per source, in order.
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path

from conftest import REPO, copy_example, run_cli
from hypothesis import given
from hypothesis import strategies as st

from briefgen.checks import linkcheck
from briefgen.pages.page import Page
from briefgen.problems import Problems

_OLD_NOT_MARKUP = re.compile(rb"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->", re.S | re.I)

MARKUP_PIECES = st.sampled_from(
    [b"<script>", b"<SCRIPT type=x>", b"</script>", b"</ScRiPt >", b"</script x>", b"<scripts>", b"<style>"]
    + [b"</style\n>", b"</styles>", b"<!--", b"-->", b"--", b"-", b"--->", b"<!-->", b"<", b">", b"x", b" href=a"]
    + [b"\n", b"</", b"/script>", b"<st", b"\xff"]
)


@given(st.lists(MARKUP_PIECES, max_size=12).map(b"".join))
def test_markup_takes_out_what_the_lazy_pattern_takes_out(html):
    assert linkcheck.markup(html) == _OLD_NOT_MARKUP.sub(b" ", html)


ID_VALUES = st.sampled_from([b"a", b"b", b"sec-1", b"x&amp;y", b"x&y", b"caf\xc3\xa9", b"\xff", b"", b"a b"])
ID_FORMS = st.sampled_from(['id="{}"', "id='{}'", "id={}", 'id = "{}"', 'xid="{}"'])
NAMES = st.sampled_from(["a", "b", "sec-1", "x&y", "x&amp;y", "café", "\ufffd", "", "a b", "zz"])


@given(st.lists(st.tuples(ID_FORMS, ID_VALUES), max_size=5), NAMES)
def test_ids_hold_what_the_set_of_strings_holds(attributes, name):
    html = b"<p " + b" ".join(form.encode().replace(b"{}", value) for form, value in attributes) + b">"
    plain = {linkcheck._attr(m) for m in linkcheck._ID.findall(html)}
    assert (name in linkcheck.Ids(html)) == (name in plain)


# A small site: pages at several depths, each with a header its depth shares and links of its own.
OUTPUTS = ["index.html", "topics/index.html", "topics/t/index.html", "articles/a/index.html", "articles/b/index.html"]
TARGETS = ["", "topics/", "topics/t/", "articles/a/", "articles/b/", "articles/gone/", "feed.xml", "static/s.css"]
FRAGMENTS = ["", "#h", "#a-only", "#gone", "#h%20x"]
OTHER = ["https://example.org/", "mailto:a@b", "//cdn.example/x", "/abs/", "?q=1", "#", "%7E/"]
CLIMBS = ["articles/a/", "../articles/a/", "../topics/", "../../articles/b/"]  # too few or many "../" for some pages


def _href(page_dir: str, target: str, fragment: str) -> str:
    """A link from a page in ``page_dir`` to ``target`` (from the root), as the theme writes them: up to the root first."""
    return ("../" * (page_dir.count("/") + 1 if page_dir else 0) + target or "./") + fragment


LINKS = st.one_of(
    st.tuples(st.sampled_from(TARGETS), st.sampled_from(FRAGMENTS)),
    st.tuples(st.just(None), st.sampled_from(OTHER + FRAGMENTS[1:] + ["../a/", "../../x/", "b/../a/", *CLIMBS])),
)


def _page_html(output: str, header: list, own: list, ids: list[str]) -> bytes:
    page_dir = posixpath.dirname(output)
    hrefs = []
    for target, rest in header + own:
        hrefs.append(rest if target is None else _href(page_dir, target, rest))
    anchors = "".join(f'<a href="{h}">x</a>\n' for h in hrefs)
    return f'<html><body><header>{anchors}</header><h2 id="h">x</h2>{"".join(ids)}</body></html>'.encode()


def plain_check(files: dict[str, bytes], pages: list[Page], statics: set[str]) -> tuple[int, list[str]]:
    """The link check the plain way: every link of every page, in order, each broken one once per page's source."""
    checked, found, reported = 0, [], set()
    for page in pages:
        html = _OLD_NOT_MARKUP.sub(b" ", files.get(page.output, b""))
        base_dir = posixpath.dirname(page.output)
        for m in linkcheck._LINK.finditer(html):
            if m[3] and not linkcheck._in_tag(html, m.start()):
                continue
            url = linkcheck._attr(m.groups(b""))
            split = linkcheck._split(url)  # (its own test compares it with urlsplit)
            if split is None:
                continue
            checked += 1
            path, fragment = split
            joined = page.output if path == "" else _plain_join(base_dir, path)
            what = None
            if joined.startswith("pagefind/"):
                pass
            elif joined not in files and joined not in statics:
                what = "which does not exist"
            elif fragment and joined in files:
                ids = {linkcheck._attr(i) for i in linkcheck._ID.findall(_OLD_NOT_MARKUP.sub(b" ", files[joined]))}
                if linkcheck.unquote(fragment) not in ids:
                    what = f"but that page has no #{linkcheck.unquote(fragment)}"
            where = page.source or page.output
            if what and (where, url) not in reported:
                reported.add((where, url))
                found.append(f"{where}: page /{page.url_path} links to {url!r}, {what}")
    return checked, found


def _plain_join(base_dir: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base_dir, path))
    if path.endswith("/") or joined == ".":
        joined = (joined + "/index.html") if joined != "." else "index.html"
    return joined


@given(
    st.dictionaries(st.sampled_from([0, 1, 2]), st.lists(LINKS, max_size=4)),  # a header for each depth
    st.lists(st.tuples(st.lists(LINKS, max_size=5), st.sampled_from(["", '<p id="a-only">'])), min_size=5, max_size=5),
    st.lists(st.sampled_from(OUTPUTS), min_size=1, max_size=8),
    st.booleans(),
)
def test_the_check_reports_what_the_plain_check_reports(headers, bodies, order, shared_source):
    files = {"feed.xml": b"<feed/>"}
    for output, (own, ids) in zip(OUTPUTS, bodies, strict=True):
        header = headers.get(output.count("/"), [])
        files[output] = _page_html(output, header, own, [ids])
    source = (lambda o: "t.md") if shared_source else (lambda o: o.replace("/index.html", ".md"))
    pages = [Page("topic", o[: -len("index.html")], "topic.html", o, source=source(o)) for o in order]
    plain = plain_check(files, pages, {"static/s.css"})
    for least in (0, linkcheck.PLAIN_PASS_MIN):  # every page's links through ``pass_plain`` first, and as built
        linkcheck._hrefs.clear()
        linkcheck._joins.clear()
        problems = Problems()
        linkcheck.PLAIN_PASS_MIN, before = least, linkcheck.PLAIN_PASS_MIN
        try:
            checked = linkcheck.check_links(files, pages, problems, {"static/s.css"})
        finally:
            linkcheck.PLAIN_PASS_MIN = before
        got = [f"{p.path}: {p.message}" for p in problems.items if " links to " in p.message]  # (not a page twice)
        assert (checked, got) == plain


def _planted_project(tmp_path: Path) -> Path:
    """The example, its theme's base.html with broken links where most pages share them: in the topic pages' variant
    of the header, and an anchor in the footer that every page but the search page has (the search box's)."""
    project = copy_example(tmp_path / "project")
    base = (REPO / "templates" / "base.html").read_text()
    header_end = "  {%- if all_topics %}"
    assert header_end in base and "</footer>" in base
    base = base.replace(
        header_end,
        "{% if nav_kind == 'topic' %}<a href=\"{{ root }}topics/no-such-story/\">x</a>{% endif %}\n" + header_end,
        1,
    )
    base = base.replace("</footer>", '<a href="#site-search">search</a></footer>', 1)
    (project / "templates").mkdir()
    (project / "templates" / "base.html").write_text(base)
    return project


def test_links_broken_where_most_pages_are_fine_are_each_reported(tmp_path: Path):
    project = _planted_project(tmp_path)
    article = project / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
    lines = article.read_text().splitlines()
    article.write_text(
        "\n".join(lines) + "\n\nSee [the record](#on-the-record-nope) and [gone](../../topics/no-such/) "
        "and [a heading](../2025-02-21-kellogg-kyiv-talks/#no-such-heading).\n"
    )
    line = len(lines) + 2
    rel = "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
    art, pack = "page /articles/2025-02-23-kryvyi-rih-missile-strike/", "page /topics/drone-strikes/pack/"
    header = "../../topics/no-such-story/"  # in the topics' variant of the header only
    other = "2025-02-21-kellogg-kyiv-talks/#no-such-heading', but that page has no #no-such-heading"
    expected = [
        f"{rel}:{line}: {art} links to '#on-the-record-nope', but that page has no #on-the-record-nope",
        f"{rel}:{line}: {art} links to '../../topics/no-such/', which does not exist",
        f"{rel}:{line}: {art} links to '../{other}",
        f"content/topics/drone-strikes.yaml: page /topics/drone-strikes/ links to '{header}', which does not exist",
        f"content/topics/drone-strikes.yaml: {pack} links to '#2025-02-23-kryvyi-rih-missile-strike--on-the-record-nope'"
        ", but that page has no #2025-02-23-kryvyi-rih-missile-strike--on-the-record-nope",
        f"content/topics/drone-strikes.yaml: {pack} links to '../../../articles/{other}",
        f"content/topics/minerals-deal.yaml: page /topics/minerals-deal/ links to '{header}', which does not exist",
        f"content/topics/nato-offer.yaml: page /topics/nato-offer/ links to '{header}', which does not exist",
        "search/index.html: page /search/ links to '#site-search', but that page has no #site-search",  # its page only
    ]
    for jobs in ("1", "2"):
        proc = run_cli("build", "--source", str(project), "--jobs", jobs)
        assert proc.returncode == 1, proc.stderr
        problems = [text.split(" (check ")[0] for text in proc.stderr.splitlines() if " links to " in text]
        assert problems == expected
    shutil.rmtree(project / "site", ignore_errors=True)
