"""Files besides the pages (feeds, sitemap, robots.txt) and each page's <head> extras."""

from __future__ import annotations

from briefgen.assemble import Page
from briefgen.model import Site


def head_for(site: Site, page: Page, renderer) -> str:
    return ""


def extra_outputs(site: Site, pages: list[Page], renderer) -> dict[str, bytes]:
    return {}
