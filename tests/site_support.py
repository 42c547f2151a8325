"""Reading a built site the way its readers' tools do: feeds through feedparser, the sitemap through an XML
parser, and every output file (Pagefind's fragments decompressed) for a word that must not be there."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser


def outputs_mentioning(site: Path, word: str) -> list[str]:
    """Every output file whose bytes (or, for Pagefind's fragments, decompressed bytes) contain ``word``."""
    found = []
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".pf_fragment":
            data = gzip.decompress(data)
        if word.encode() in data or word.lower().encode() in data:
            found.append(path.relative_to(site).as_posix())
    return found


def feed_links(path: Path) -> list[str]:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.bozo_exception
    return [e.link for e in feed.entries]


def sitemap_urls(site: Path) -> list[str]:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [loc.text for loc in ET.parse(site / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
