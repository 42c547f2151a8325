"""Content-Type and Cache-Control of each file uploaded to object storage.

Types come from a fixed table, not from ``mimetypes`` (which reads the
machine's ``/etc/mime.types``, so two machines could publish the same site with
different headers). An ``.xml`` file is Atom when it is a ``<feed>`` in the
Atom namespace (the site's feeds and topic change logs), plain XML otherwise
(the sitemap).

Caching, first matching rule wins:

- content-hashed names never change their bytes, so browsers and CDNs may keep
  them for a year without asking again: the theme's CSS and JS
  (``static/style.a62dbc96bf.css``: ten hex digits of the file's SHA-256) and
  Pagefind's fragments, index chunks and meta file (``en_15434ae.pf_fragment``,
  ``pagefind.en_3e92ffd2ba.pf_meta``);
- pages, feeds, the sitemap, JSON, ``robots.txt`` and Pagefind's fixed names
  (``pagefind.js``, ``pagefind-entry.json``, ``wasm.en.pagefind``, which must
  stay in step with each other and with the index) are kept a minute;
- anything else (``static/favicon.svg``, images) an hour.

``publish: headers:`` in briefgen.yaml puts rules of the project's own in front
of these (see docs/publish.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"
HOUR = "public, max-age=3600"

UTF8 = "; charset=utf-8"
CONTENT_TYPES = {
    ".html": "text/html" + UTF8,
    ".css": "text/css" + UTF8,
    ".js": "text/javascript" + UTF8,
    ".mjs": "text/javascript" + UTF8,
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain" + UTF8,
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    # Pagefind's own files are gzip streams its JavaScript unpacks itself: served as bytes, with no
    # Content-Encoding (a browser that unpacked them first would hand Pagefind something it cannot read).
    ".pf_meta": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
    ".pagefind": "application/octet-stream",
}
ATOM = "application/atom+xml" + UTF8
DEFAULT_TYPE = "application/octet-stream"

HASHED = (
    re.compile(r"^static/(.+/)?[^/]+\.[0-9a-f]{10}\.[A-Za-z0-9]+$"),
    re.compile(r"^pagefind/(fragment|index)/[^/]+_[0-9a-f]{7,}\.pf_(fragment|index)$"),
    re.compile(r"^pagefind/pagefind\.[^/]+_[0-9a-f]{7,}\.pf_meta$"),
)
SHORT_SUFFIXES = (".html", ".xml", ".json", ".txt")


@dataclass(frozen=True)
class Rule:
    """A ``publish: headers:`` entry: a glob over the site path (``*`` also crosses ``/``) and what it sets."""

    match: str
    cache_control: str | None = None
    content_type: str | None = None


def is_hashed(rel: str) -> bool:
    return any(pattern.match(rel) for pattern in HASHED)


def _is_atom(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(1024)
    return b"<feed" in head and b"http://www.w3.org/2005/Atom" in head


def default_content_type(rel: str, path: Path) -> str:
    suffix = Path(rel).suffix.lower()
    if suffix == ".xml" and _is_atom(path):
        return ATOM
    return CONTENT_TYPES.get(suffix, DEFAULT_TYPE)


def default_cache_control(rel: str) -> str:
    if is_hashed(rel):
        return IMMUTABLE
    if rel.endswith(SHORT_SUFFIXES) or rel.startswith("pagefind/"):
        return SHORT
    return HOUR


def headers_for(rel: str, path: Path, rules: Sequence[Rule] = ()) -> tuple[str, str]:
    """(Content-Type, Cache-Control) of the site file ``rel``, read from ``path`` when its type needs a look."""
    content_type = next((r.content_type for r in rules if r.content_type and fnmatchcase(rel, r.match)), None)
    cache = next((r.cache_control for r in rules if r.cache_control and fnmatchcase(rel, r.match)), None)
    return content_type or default_content_type(rel, path), cache or default_cache_control(rel)
