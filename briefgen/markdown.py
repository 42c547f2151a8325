"""Markdown bodies to safe HTML, with markdown-it-py.

Safe by default: raw HTML is off (a site may allow it, and it is then cleaned
with nh3), link and image URLs are allow-listed (http, https, mailto and
relative), and heading ids carry a ``sec-`` prefix so that ``id="location"``
cannot shadow a DOM global. Links to other content files (``other.md#part``)
become the URL of that article's page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from slugify import slugify

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
HEADING_PREFIX = "sec-"
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def safe_url(url: str) -> bool:
    """True for http(s), mailto and scheme-less (relative) URLs."""
    cleaned = re.sub(r"[\x00-\x20\x7f]+", "", url)  # browsers ignore these inside a scheme
    match = _SCHEME.match(cleaned)
    return match is None or match.group(1).lower() in ALLOWED_SCHEMES


def heading_slug(text: str) -> str:
    return HEADING_PREFIX + (slugify(text) or "section")


@dataclass
class Rendered:
    html: str
    # (line in the body, target) of links to content files that do not exist
    broken: list[tuple[int, str]] = field(default_factory=list)
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, id, text)


LinkResolver = Callable[[str], str | None]


class MarkdownRenderer:
    """One configured parser, reused for every body (building it is the slow part)."""

    def __init__(self, allow_html: bool = False):
        self.allow_html = allow_html
        md = MarkdownIt("commonmark", {"html": allow_html, "typographer": True})
        md.enable(["table", "strikethrough", "replacements", "smartquotes"])
        md.use(footnote_plugin)
        md.use(anchors_plugin, min_level=2, max_level=4, slug_func=heading_slug)
        md.validateLink = safe_url
        self.md = md

    def render(self, text: str, resolve: LinkResolver | None = None) -> Rendered:
        env: dict = {}
        tokens = self.md.parse(text, env)
        out = Rendered("")
        self._rewrite(tokens, resolve, out)
        html = self.md.renderer.render(tokens, self.md.options, env)
        if self.allow_html:
            html = nh3.clean(
                html,
                url_schemes=set(ALLOWED_SCHEMES),
                link_rel="noopener noreferrer",
            )
        out.html = html
        return out

    def _rewrite(self, tokens: list[Token], resolve: LinkResolver | None, out: Rendered) -> None:
        line = 0
        for i, token in enumerate(tokens):
            if token.map:
                line = token.map[0]
            if token.type == "heading_open" and token.attrs.get("id"):
                title = tokens[i + 1].content if i + 1 < len(tokens) else ""
                out.headings.append((int(token.tag[1]), str(token.attrs["id"]), title))
            if token.children:
                for child in token.children:
                    if child.type == "link_open":
                        self._link(child, line, resolve, out)
                    elif child.type == "image":
                        src = str(child.attrs.get("src", ""))
                        if not safe_url(src):
                            child.attrs["src"] = ""

    @staticmethod
    def _link(token: Token, line: int, resolve: LinkResolver | None, out: Rendered) -> None:
        href = str(token.attrs.get("href", ""))
        if not safe_url(href):
            token.attrs["href"] = "#"
            return
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
            if parts.scheme in ("http", "https"):
                token.attrs["rel"] = "noopener"
            return
        target = resolve(parts.path) if resolve else None
        if target is None:
            out.broken.append((line, href))
            return
        if parts.fragment:
            fragment = parts.fragment
            if not fragment.startswith(HEADING_PREFIX):
                fragment = HEADING_PREFIX + fragment
            target += "#" + fragment
        token.attrs["href"] = target
