"""Files besides the pages (feeds, sitemap, robots.txt, search index) and each page's <head> extras.

The two hooks ``build.render_site`` calls; each delegates to a module per
concern: ``feeds``, ``sitemap``, ``metadata`` and ``search``.
"""

from __future__ import annotations

from briefgen.assemble import Page
from briefgen.model import Site
from briefgen.problems import Problems


def head_for(site: Site, page: Page, renderer) -> str:
    """Meta tags, feed links and JSON-LD for one page's <head> (Markup-safe)."""
    from briefgen.metadata import head_html

    return head_html(site, page, renderer)


def extra_outputs(
    site: Site,
    pages: list[Page],
    renderer,
    files: dict[str, bytes] | None = None,
    problems: Problems | None = None,
) -> dict[str, bytes]:
    """Feeds, sitemap.xml, robots.txt, exports, change history and (from the rendered ``files``) search and PDFs."""
    from briefgen.changes import change_feeds
    from briefgen.exports import exports
    from briefgen.feeds import feeds
    from briefgen.search import search_bundle
    from briefgen.sitemap import robots_txt, sitemap

    out = feeds(site, pages, renderer)
    out["sitemap.xml"] = sitemap(site, pages, renderer)
    out["robots.txt"] = robots_txt(renderer)
    out.update(change_feeds(site, renderer))  # changes/history.json and the "what changed" feeds
    out.update(exports(site, pages, renderer))  # briefing.json, timeline.json, the briefing schema
    if site.config.pdf and files is not None:
        from briefgen.pack import pdf_outputs

        out.update(pdf_outputs(site, pages, files, renderer, problems if problems is not None else Problems()))
    if files is not None:
        out.update(search_bundle(pages, files, problems if problems is not None else Problems(), site.config.search))
    return out
