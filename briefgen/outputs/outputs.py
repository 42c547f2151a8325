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
) -> dict[str, bytes]:
    """Feeds, sitemap.xml, robots.txt, exports, change history and (from the rendered ``files``) search and PDFs.

    Returns them by output path; with ``sink``, each is handed to ``sink(path, bytes)`` as soon as it is
    made instead (a cold build streams them into its staging folder) and the answer is empty. Search and
    PDFs see the same ``files`` either way: the pages, not the outputs made here. ``keeper`` (``kept.Keeper``,
    a rebuild's) makes feeds, sitemap and exports, answering ``KEPT`` for unchanged ones; ``sitemap_memo``
    is the build database's (``sitemap.SitemapMemo``)."""
    from briefgen.outputs.changefeeds import change_feeds
    from briefgen.outputs.exports import exports
    from briefgen.outputs.feeds import iter_feeds
    from briefgen.outputs.search import search_bundle
    from briefgen.outputs.sitemap import robots_txt, sitemap_files

    out: dict[str, bytes] = {}
    made: dict[str, None] = {}

    def put(rel: str, data: bytes) -> None:
        if sink is None:
            out[rel] = data
        else:
            made[rel] = None
            sink(rel, data)

    for rel, data in iter_feeds(site, pages, renderer, keeper.feed if keeper is not None else None):
        put(rel, data)
    from briefgen.content.images import outputs as image_outputs

    for rel, data in image_outputs([p for a in site.articles for p in a.all_pictures()]).items():
        put(rel, data)  # resized, metadata-free copies of the images articles show (briefgen.content.images)
    make_sitemap = keeper.sitemap if keeper is not None else sitemap_files
    for rel, data in {**make_sitemap(site, pages, renderer, sitemap_memo), "robots.txt": robots_txt(renderer)}.items():
        put(rel, data)  # sitemap.xml (past 50,000 URLs: an index of sitemap-N.xml) and robots.txt
    for rel, data in change_feeds(site, renderer).items():  # changes/history.json and the "what changed" feeds
        put(rel, data)
    make_exports = keeper.exports if keeper is not None else exports
    for rel, data in make_exports(site, pages, renderer).items():  # briefing.json, timeline.json, the briefing schema
        put(rel, data)
    if files is not None and made:
        files = _Without(files, made)
    if site.config.pdf and files is not None:
        from briefgen.pages.pack import pdf_outputs

        pdfs = pdf_outputs(site, pages, files, renderer, problems if problems is not None else Problems())
        for rel, data in pdfs.items():
            put(rel, data)
    if files is not None:
        bundle = search_bundle(pages, files, problems if problems is not None else Problems(), site.config.search)
        for rel, data in bundle.items():
            put(rel, data)
    return out


class _Without(Mapping):
    """``files`` less the paths in ``made``: what the rendered files were before this stage streamed its own."""

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
