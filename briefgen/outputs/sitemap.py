"""sitemap.xml and robots.txt: what search engines should crawl, and how fresh it is.

``lastmod`` comes from the content (an article's ``updated:`` or ``date:``, a
topic's newest article, a person's or source's newest article), never from file times or
the clock, so the sitemap changes only when the content does. The search page
and the 404 page are left out: neither is a page anyone should land on from a
search engine. Written with the standard library's ElementTree, which escapes
and orders deterministically.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from briefgen.content.model import Site
from briefgen.outputs.feeds import party_articles
from briefgen.pages.assemble import Page

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NOT_LISTED = frozenset({"notfound", "search", "pack", "withdrawn"})  # a pack repeats its topic page and articles


def page_date(site: Site, page: Page) -> dt.datetime | None:
    """When the content a page shows last changed (None when it shows no dated content)."""
    ctx = page.context
    if page.kind == "article":
        return ctx["article"].modified
    if page.kind == "topic":
        return max((a.modified for a in ctx["b"].latest), default=None) or ctx["topic"].updated
    if page.kind == "party":
        return max((a.modified for a in party_articles(site, page)), default=None)
    return max((a.modified for a in site.articles), default=None)


def lastmod(value: dt.datetime) -> str:
    """W3C datetime in UTC (a 'Z' date is the least ambiguous for crawlers)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SitemapMemo:
    """A memo of the build database: the last sitemap's (loc, lastmod) pairs and bytes (rebuilds rarely
    change them)."""

    def __init__(self) -> None:
        self.last: tuple[list, bytes] | None = None


def _preview(page: Page) -> bool:
    """A draft or scheduled report (or draft topic) in a preview build: noindex, so not listed either."""
    shown = page.context.get("article") if page.kind == "article" else page.context.get("topic")
    return bool(getattr(shown, "preview", "")) if page.kind in ("article", "topic") else False


def sitemap(site: Site, pages: list[Page], renderer, memo: SitemapMemo | None = None) -> bytes:
    """``sitemap.xml``: every listed page with its last change; ``memo`` spares a rebuild the XML when the
    entries are the last build's."""
    entries = []
    for page in pages:
        if page.kind in NOT_LISTED or _preview(page):
            continue
        when = page_date(site, page)
        entries.append((renderer.absolute(page.url_path), lastmod(when) if when is not None else None))
    if memo is not None and memo.last is not None and memo.last[0] == entries:
        return memo.last[1]
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for loc, modified in entries:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
        if modified is not None:
            ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = modified
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    if memo is not None:
        memo.last = (entries, data)
    return data


def robots_txt(renderer) -> bytes:
    """Allow everything and point to the sitemap (crawlers read robots.txt only at a domain root)."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {renderer.absolute('sitemap.xml')}\n".encode()
