"""sitemap.xml and robots.txt: what search engines should crawl, and how fresh it is.

``lastmod`` comes from the content (an article's ``updated:`` or ``date:``, a
topic's newest article, a person's or source's newest article), never from file times or
the clock, so the sitemap changes only when the content does. The search page
and the 404 page are left out: neither is a page anyone should land on from a
search engine. Written with the standard library's ElementTree, which escapes
and orders deterministically.

The sitemaps protocol allows 50,000 URLs in one file. A larger site (about
45,000 articles and up) gets ``sitemap.xml`` as a sitemap index pointing to
``sitemap-1.xml``, ``sitemap-2.xml``, ... at the site root (a sitemap may only
list URLs under its own folder), each with at most 50,000 URLs in page order.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from briefgen.content.model import Site
from briefgen.outputs.feeds import RecencyOrder, party_articles
from briefgen.pages.assemble import Page

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # per sitemap file, the protocol's limit (its 50 MB limit is far off: ~150 bytes a URL)
NOT_LISTED = frozenset({"notfound", "search", "pack", "withdrawn"})  # a pack repeats its topic page and articles


_ASK = object()


def page_date(site: Site, page: Page, site_newest=_ASK) -> dt.datetime | None:
    """When the content a page shows last changed (None when it shows no dated content); ``site_newest``:
    the newest change of any article, when the caller has it (every page but articles, topics and people
    and sources shows it)."""
    ctx = page.context
    if page.kind == "article":
        return ctx["article"].modified
    if page.kind == "topic":
        return max((a.modified for a in ctx["articles"]), default=None) or ctx["topic"].updated
    if page.kind == "party":
        return max((a.modified for a in party_articles(site, page)), default=None)
    return _site_newest(site) if site_newest is _ASK else site_newest


def _site_newest(site: Site) -> dt.datetime | None:
    return max((a.modified for a in site.articles), default=None)


def lastmod(value: dt.datetime) -> str:
    """W3C datetime in UTC (a 'Z' date is the least ambiguous for crawlers)."""
    u = value.astimezone(dt.UTC)
    if u.year < 1000:  # the platform's %Y (glibc's has no leading zeros)
        return u.strftime("%Y-%m-%dT%H:%M:%SZ")
    # what strftime("%Y-%m-%dT%H:%M:%SZ") gives, in two thirds of the time (a sitemap formats thousands)
    return f"{u.year}-{u.month:02}-{u.day:02}T{u.hour:02}:{u.minute:02}:{u.second:02}Z"


class SitemapMemo:
    """A memo of the build database: the last sitemap's (loc, lastmod) pairs and bytes (rebuilds rarely
    change them)."""

    def __init__(self) -> None:
        self.last: tuple[list, bytes] | None = None


def _preview(page: Page) -> bool:
    """A draft or scheduled report (or draft topic) in a preview build: noindex, so not listed either."""
    shown = page.context.get("article") if page.kind == "article" else page.context.get("topic")
    return bool(getattr(shown, "preview", "")) if page.kind in ("article", "topic") else False


def sitemap_entries(
    site: Site, pages: list[Page], renderer, order: RecencyOrder | None = None
) -> list[tuple[str, str | None]]:
    """(URL, lastmod) of every listed page, in page order: all a sitemap's bytes are made from. ``order``: the
    ``RecencyOrder`` of ``site.articles``, when the caller has it (the feeds use the same)."""
    if order is None:  # the newest of a page's articles by a look-up, not by comparing dates
        order = RecencyOrder(site.articles)
    first = order.newest(site.articles)
    site_newest = first.modified if first is not None else None
    entries = []
    for page in pages:
        kind = page.kind
        if kind == "article":  # most pages: ``_preview`` and ``page_date`` of an article, read once
            article = page.context["article"]
            if getattr(article, "preview", ""):
                continue
            when = article.modified
        elif kind in NOT_LISTED or _preview(page):
            continue
        else:
            when = _page_date(site, page, site_newest, order)
        entries.append((renderer.absolute(page.url_path), lastmod(when) if when is not None else None))
    return entries


def _page_date(site: Site, page: Page, site_newest, order: RecencyOrder) -> dt.datetime | None:
    """``page_date``, the newest of a page's articles found by ``order``: the same instant, so the same
    lastmod (of two reports changed at one instant, perhaps the other's time zone)."""
    if page.kind not in ("topic", "party"):
        return page_date(site, page, site_newest)
    # a topic page's "articles" are the ones its briefing lists (``b.latest``), read without working it out
    articles = page.context["articles"] if page.kind == "topic" else party_articles(site, page)
    try:
        newest = order.newest(articles)
    except KeyError:  # an article not among the site's: compare the dates themselves
        return page_date(site, page, site_newest)
    if page.kind == "topic":
        return (newest.modified if newest is not None else None) or page.context["topic"].updated
    return newest.modified if newest is not None else None


def sitemap_paths(entries: list, max_urls: int = MAX_URLS) -> list[str]:
    """The files ``sitemap_files`` makes of ``entries``: sitemap.xml, and past ``max_urls`` the parts."""
    parts = -(-len(entries) // max_urls) if len(entries) > max_urls else 0
    return ["sitemap.xml", *(f"sitemap-{n}.xml" for n in range(1, parts + 1))]


def sitemap_files(
    site: Site,
    pages: list[Page],
    renderer,
    memo: SitemapMemo | None = None,
    max_urls: int = MAX_URLS,
    entries: list | None = None,
    order: RecencyOrder | None = None,
) -> dict[str, bytes]:
    """``sitemap.xml`` (and, past ``max_urls`` listed pages, the files a sitemap index points to): every
    listed page with its last change (``entries``, when the caller has them); ``memo`` spares a rebuild the
    XML when the entries are the last build's."""
    if entries is None:
        entries = sitemap_entries(site, pages, renderer, order)
    if memo is not None and memo.last is not None and memo.last[0] == (entries, max_urls):
        return memo.last[1]
    if len(entries) <= max_urls:
        files = {"sitemap.xml": _urlset(entries)}
    else:
        files, parts = {}, []
        for n, start in enumerate(range(0, len(entries), max_urls), 1):
            chunk = entries[start : start + max_urls]
            files[f"sitemap-{n}.xml"] = _urlset(chunk)
            newest = max((m for _loc, m in chunk if m is not None), default=None)
            parts.append((renderer.absolute(f"sitemap-{n}.xml"), newest))
        files = {"sitemap.xml": _xml("sitemapindex", "sitemap", parts), **files}
    if memo is not None:
        memo.last = ((entries, max_urls), files)
    return files


def _urlset(entries: list[tuple[str, str | None]]) -> bytes:
    return _xml("urlset", "url", entries)


def _xml(root_tag: str, item_tag: str, entries: list[tuple[str, str | None]]) -> bytes:
    """A sitemap (``urlset`` of ``url``) or a sitemap index (``sitemapindex`` of ``sitemap``): loc and lastmod."""
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}{root_tag}")
    for loc, modified in entries:
        item = ET.SubElement(root, f"{{{SITEMAP_NS}}}{item_tag}")
        ET.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = loc
        if modified is not None:
            ET.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = modified
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def robots_txt(renderer) -> bytes:
    """Allow everything and point to the sitemap (crawlers read robots.txt only at a domain root)."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {renderer.absolute('sitemap.xml')}\n".encode()
