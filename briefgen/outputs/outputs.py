"""Files besides the pages (feeds, sitemap, robots.txt, search index) and each page's <head> extras.

The two hooks the build calls (``engine.rebuild`` and ``engine.pipeline.render_site``); each delegates
to a module per concern: ``feeds``, ``sitemap``, ``metadata`` and ``search``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from briefgen.content.model import Site
from briefgen.outputs.sitemap import SitemapMemo
from briefgen.pages.assemble import Page
from briefgen.problems import Problems


def head_for(site: Site, page: Page, renderer) -> str:
    """Meta tags, feed links and JSON-LD for one page's <head> (Markup-safe)."""
    from briefgen.outputs.metadata import head_html

    return head_html(site, page, renderer)


def extra_outputs(
    site: Site,
    pages: list[Page],
    renderer,
    files: Mapping[str, bytes] | None = None,
    problems: Problems | None = None,
    sink: Callable[[str, bytes], object] | None = None,
    keeper=None,
    sitemap_memo: SitemapMemo | None = None,
    keep_entries: bool = True,
) -> dict[str, bytes]:
    """Feeds, sitemap.xml, robots.txt, exports, change history and (from the rendered ``files``) search and PDFs.

    Returns them by output path; with ``sink``, each is handed to ``sink(path, bytes)`` as soon as it is
    made instead (a cold build streams them into its staging folder) and the answer is empty. Search and
    PDFs see the same ``files`` either way: the pages, not the outputs made here. ``keeper`` (``kept.Keeper``,
    a rebuild's) makes feeds, sitemap and exports, answering ``KEPT`` for unchanged ones; ``sitemap_memo``
    is the build database's (``sitemap.SitemapMemo``); ``keep_entries``: whether the feeds' entries are kept for a
    later build in this process (``feeds.FeedWriter``). It makes them in two halves: ``site_outputs``, made from
    the site, then ``page_outputs``, made from the rendered pages."""
    out: dict[str, bytes] = {}
    made: dict[str, None] = {}

    def put(rel: str, data: bytes) -> None:
        if sink is None:
            out[rel] = data
        else:
            made[rel] = None
            sink(rel, data)

    for rel, data in site_outputs(site, pages, renderer, keeper, sitemap_memo, keep_entries):
        put(rel, data)
    if files is not None:
        for rel, data in page_outputs(site, pages, _Without(files, made) if made else files, renderer, problems):
            put(rel, data)
    return out


def site_outputs(
    site: Site,
    pages: list[Page],
    renderer,
    keeper=None,
    sitemap_memo: SitemapMemo | None = None,
    keep_entries: bool = True,
) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of each output made from the site and the assembled pages, not from rendered pages:
    feeds, images, sitemap.xml, robots.txt, change history, exports; in that order. None reports a problem,
    and none needs a page rendered."""
    from briefgen.content.images import outputs as image_outputs
    from briefgen.outputs.changefeeds import change_feeds
    from briefgen.outputs.feeds import RecencyOrder, iter_feeds
    from briefgen.outputs.sitemap import robots_txt, sitemap_files

    order = RecencyOrder(site.articles)  # worked out once, for the feeds and the sitemap
    yield from iter_feeds(site, pages, renderer, keeper.feed if keeper is not None else None, order, keep_entries)
    # resized, metadata-free copies of the images articles show (briefgen.content.images)
    yield from image_outputs([p for a in site.articles for p in a.all_pictures()]).items()
    make_sitemap = keeper.sitemap if keeper is not None else sitemap_files
    # sitemap.xml (past 50,000 URLs: an index of sitemap-N.xml) and robots.txt
    sitemaps = make_sitemap(site, pages, renderer, sitemap_memo, order=order)
    yield from {**sitemaps, "robots.txt": robots_txt(renderer)}.items()
    # changes/history.json and the "what changed" feeds
    yield from keeper.changes(site, renderer) if keeper is not None else change_feeds(site, renderer).items()
    # the briefing schema, then each topic's briefing.json and timeline.json
    if keeper is not None:
        yield from keeper.exports(site, pages, renderer)  # (which imports ``exports`` only to make one)
    else:
        from briefgen.outputs.exports import exports

        yield from exports(site, pages, renderer).items()


def page_outputs(
    site: Site, pages: list[Page], files: Mapping[str, bytes], renderer, problems: Problems | None = None
) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of each output made from the rendered pages ``files`` (the pages only): the PDFs, if the
    site asks for them, then the search index."""
    from briefgen.outputs.search import search_bundle

    problems = problems if problems is not None else Problems()
    if site.config.pdf:
        from briefgen.pages.pack import pdf_outputs

        yield from pdf_outputs(site, pages, files, renderer, problems).items()
    yield from search_bundle(pages, files, problems, site.config.search).items()


class _Without(Mapping):
    """``files`` less the paths in ``made``: what the rendered files were before ``site_outputs`` streamed its own
    into the same folder."""

    def __init__(self, files: Mapping[str, bytes], made: dict[str, None]):
        self._files = files
        self._made = made

    def __getitem__(self, rel: str) -> bytes:
        if rel in self._made:
            raise KeyError(rel)
        return self._files[rel]

    def __contains__(self, rel: object) -> bool:
        return rel not in self._made and rel in self._files

    def __iter__(self) -> Iterator[str]:
        return (rel for rel in self._files if rel not in self._made)

    def __len__(self) -> int:
        return sum(1 for _ in self)
