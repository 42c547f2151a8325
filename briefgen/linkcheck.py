"""After rendering: every internal link and #anchor in every page resolves.

The pages are our own output (templates and markdown-it-py quote every
attribute), so a regular expression over ``href``/``src``/``id`` is enough and
much faster than a full HTML parse of thousands of pages.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from briefgen.assemble import Page
from briefgen.problems import Problems

_LINK = re.compile(rb'\s(?:href|src)="([^"]*)"')
_ID = re.compile(rb'\sid="([^"]*)"')
_SKIP_PREFIXES = ("pagefind/",)  # written after the pages, by the search indexer


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


def check_links(files: dict[str, bytes], pages: list[Page], problems: Problems, statics: set[str] = frozenset()) -> int:
    """Report broken internal links as problems; returns how many links were checked."""
    ids_cache: dict[str, set[str]] = {}

    def ids(path: str) -> set[str]:
        if path not in ids_cache:
            ids_cache[path] = {m.decode() for m in _ID.findall(files.get(path, b""))}
        return ids_cache[path]

    checked = 0
    for page in pages:
        if page.kind == "notfound":
            continue
        html = files.get(page.output, b"")
        base_dir = posixpath.dirname(page.output)
        for raw in _LINK.findall(html):
            url = raw.decode("utf-8", "replace").replace("&amp;", "&")
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
            if path not in files and path not in statics:
                problems.error(
                    where,
                    None,
                    f"page /{page.url_path} links to {url!r}, which does not exist",
                    "check the link's target",
                )
            elif fragment and path in files and unquote(fragment) not in ids(path):
                problems.error(
                    where,
                    None,
                    f"page /{page.url_path} links to {url!r}, but that page has no #{fragment}",
                    "check the anchor name",
                )
    return checked
