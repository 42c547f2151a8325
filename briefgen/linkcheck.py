"""After rendering: every output path is written once, and every internal link and #anchor resolves.

The pages are our own output (templates and markdown-it-py quote every
attribute; nh3 re-serialises raw HTML with double quotes), so a regular
expression over ``href``/``src``/``id`` is enough and much faster than a full
HTML parse of thousands of pages.

A broken link in an article's body is reported at its line in the Markdown
source when it can be found there, so an editor can jump to it.
"""

from __future__ import annotations

import html
import posixpath
import re
from urllib.parse import unquote, urlsplit

from briefgen.assemble import Page
from briefgen.problems import Problems

_LINK = re.compile(rb"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ID = re.compile(rb"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SKIP_PREFIXES = ("pagefind/",)  # written after the pages, by the search indexer
# Text that is not markup: a URL inside JSON-LD or a comment is not a link a reader can follow.
_NOT_MARKUP = re.compile(rb"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->", re.S | re.I)


def markup(html: bytes) -> bytes:
    """``html`` without the contents of scripts, styles and comments."""
    return _NOT_MARKUP.sub(b" ", html)


def _target(base_dir: str, url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "//")):
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        return None  # absolute paths appear only on the 404 page; checked by tests
    if path == "":
        return "", parts.fragment
    joined = posixpath.normpath(posixpath.join(base_dir, path))
    if path.endswith("/") or joined == ".":
        joined = (joined + "/index.html") if joined != "." else "index.html"
    return joined, parts.fragment


def _attr(match: tuple[bytes, bytes]) -> str:
    return (match[0] or match[1]).decode("utf-8", "replace").replace("&amp;", "&")


def body_line(page: Page, url: str) -> int | None:
    """The line of ``url`` in the Markdown body of the article a page shows, if it is written there."""
    article = page.context.get("article") if page.kind == "article" else None
    if article is None:
        return None
    needles = {url, unquote(url), url.replace("&", "&amp;")}
    lines = [f"{text} {html.unescape(text)}" for text in article.body_md.split("\n")]  # entities as written
    for i, text in enumerate(lines):  # as Markdown writes links: (url) <url> [ref]: url
        if any(f"({n}" in text or f"<{n}>" in text or f": {n}" in text for n in needles):
            return article.body_line + i
    pattern = re.compile("|".join(rf"(?<![\w/.%-]){re.escape(n)}(?![\w/.%-])" for n in needles))
    for i, text in enumerate(lines):  # anywhere else, e.g. in raw HTML: src=x
        if pattern.search(text):
            return article.body_line + i
    return None


def check_outputs(pages: list[Page], problems: Problems, statics: set[str] = frozenset()) -> None:
    """Two inputs must never write the same file, not even in names differing only in case.

    A case-insensitive file system (macOS, Windows, many CDNs' origins) would
    keep only one of them, silently.
    """
    seen: dict[str, tuple[str, str]] = {name.casefold(): (name, f"static file {name}") for name in statics}
    for page in pages:
        key = page.output.casefold()
        what = page.source or f"the {page.kind} page"
        if key in seen:
            output, other = seen[key]
            if output == page.output:
                message = f"writes {page.output}, which {other} writes too"
            else:
                message = f"writes {page.output}, which differs only in case from {output}, written by {other}"
            problems.error(page.source or page.output, None, message, "rename one of them")
        else:
            seen[key] = (page.output, what)


def check_links(files: dict[str, bytes], pages: list[Page], problems: Problems, statics: set[str] = frozenset()) -> int:
    """Report broken internal links as problems; returns how many links were checked."""
    check_outputs(pages, problems, statics)
    ids_cache: dict[str, set[str]] = {}

    def ids(path: str) -> set[str]:
        if path not in ids_cache:
            ids_cache[path] = {_attr(m) for m in _ID.findall(markup(files.get(path, b"")))}
        return ids_cache[path]

    checked = 0
    reported: set[tuple[str, str]] = set()
    for page in pages:
        if page.kind == "notfound":
            continue
        html = markup(files.get(page.output, b""))
        base_dir = posixpath.dirname(page.output)
        for match in _LINK.findall(html):
            url = _attr(match)
            target = _target(base_dir, url)
            if target is None:
                continue
            checked += 1
            path, fragment = target
            if path == "":
                path = page.output
            if path.startswith(_SKIP_PREFIXES):
                continue
            where = page.source or page.output
            if (where, url) in reported:
                continue
            if path not in files and path not in statics:
                reported.add((where, url))
                problems.error(
                    where,
                    body_line(page, url),
                    f"page /{page.url_path} links to {url!r}, which does not exist",
                    "check the link's target",
                )
            elif fragment and path in files and unquote(fragment) not in ids(path):
                reported.add((where, url))
                problems.error(
                    where,
                    body_line(page, url),
                    f"page /{page.url_path} links to {url!r}, but that page has no #{unquote(fragment)}",
                    "check the anchor name; headings in articles get ids like #sec-my-heading",
                )
    return checked
