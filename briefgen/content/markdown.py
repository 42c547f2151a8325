"""Markdown bodies to safe HTML, with markdown-it-py.

Safe by default: raw HTML is off (a site may allow it, and it is then cleaned
with nh3), link and image URLs are allow-listed (http, https, mailto and
relative), and heading ids carry a ``sec-`` prefix so that ``id="location"``
cannot shadow a DOM global. Links to other content files (``other.md#part``)
become the URL of that article's page; ``#part`` links inside a body are
given the same prefix as the headings they point at.

Raw HTML that would swallow the rest of a body: an element whose content the
HTML parser reads as raw text up to its end tag (``<style>``, ``<script>``,
``<textarea>``, ``<title>``, ``<iframe>``...), a ``<template>`` or a comment
that is never closed would take every later paragraph with it (nh3 drops
scripts, styles and templates with their content, and the others turn the
rest of the body into escaped markup). Such an opener is shown as text
instead, the body rendered again, and a located warning says so
(``RAW_TEXT``, ``_unclosed``).

Bounded work: markdown-it stops descending at ``MAX_NESTING`` levels and
silently drops what is below; we turn that into an error instead, and assign
heading ids ourselves in one pass (mdit's anchors plugin is quadratic in the
number of headings with the same text).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import nh3
from slugify import slugify

if TYPE_CHECKING:  # imported with the reference parser (``MarkdownRenderer.md``), when a body first needs it
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
HEADING_PREFIX = "sec-"
TOC_LEVELS = (2, 3, 4)
MAX_NESTING = 32  # blockquotes, lists and emphasis inside each other; real text needs < 10
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_SKIPPED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")  # what browsers skip inside a scheme
# What swallows the rest of a body when left open: elements whose content is raw text (or, for
# template, a fragment nh3 drops) up to their end tag, and comments; plaintext never ends.
RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext")
_OPENER = re.compile(r"<(?:(" + "|".join(RAW_TEXT + ("template",)) + r")(?=[\s/>])|(!--))", re.I)
MAX_UNCLOSED = 20  # openers shown as text in one body before giving up (each costs a parse)
_FOOTNOTE_ID = re.compile(r"^fn(ref)?\d+(:\d+)?$")
_FOOTNOTE_CLASSES = {
    "footnote-ref",
    "footnote-backref",
    "footnotes",
    "footnotes-list",
    "footnote-item",
    "footnotes-sep",
}


def safe_url(url: str) -> bool:
    """True for http(s), mailto and scheme-less (relative) URLs.

    Judged on the URL as written and percent-decoded (markdown-it encodes a
    tab as %09), with the whitespace and control characters browsers skip
    inside a scheme removed: ``java%09script:`` is refused like ``javascript:``.
    """
    for form in (url, unquote(url)):
        cleaned = _SKIPPED_IN_SCHEME.sub("", form)
        match = _SCHEME.match(cleaned)
        if match is not None and match.group(1).lower() not in ALLOWED_SCHEMES:
            return False
    return True


def heading_slug(text: str) -> str:
    return HEADING_PREFIX + (slugify(text) or "section")


def unique_heading_id(title: str, used: dict[str, int], ids: set[str]) -> str:
    """The id of a heading titled ``title``: its slug, numbered if taken; added to ``ids``."""
    base = heading_slug(title)
    slug = base
    while slug in ids:
        used[base] = used.get(base, 0) + 1
        slug = f"{base}-{used[base]}"
    ids.add(slug)
    return slug


@dataclass
class Rendered:
    html: str
    # (line in the body, target) of links to content files that do not exist
    broken: list[tuple[int, str]] = field(default_factory=list)
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, id, text), levels 2-4
    ids: set[str] = field(default_factory=set)  # every heading id in the body
    # (line, href as written, href as rendered) of every link to another content file
    content_links: list[tuple[int, str, str]] = field(default_factory=list)
    # (line, message, hint): the body cannot be rendered faithfully
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    # (line, message, hint): rendered, but not as written (an unclosed raw-text element shown as text)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)


LinkResolver = Callable[[str], str | None]


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    """nh3 filter for raw HTML: ids only in our own namespaces, so raw HTML cannot clobber DOM globals."""
    if attr == "id" and not (value.startswith(HEADING_PREFIX) or _FOOTNOTE_ID.match(value)):
        return None
    return value


class MarkdownRenderer:
    """One configured parser, reused for every body (building it is the slow part)."""

    def __init__(self, allow_html: bool = False):
        self.allow_html = allow_html
        self.fast = None  # markdown-it.rs where it renders as markdown-it-py does (briefgen.content.markdown_fast)
        if os.environ.get("BRIEFGEN_MARKDOWN", "fast") != "reference":
            try:
                from briefgen.content import markdown as reference
                from briefgen.content.markdown_fast import FastPath
            except ImportError:  # markdown-it-pyrs has no wheel for this Python: the reference renders everything
                pass
            else:
                self.fast = FastPath(allow_html, reference)

    @functools.cached_property
    def md(self) -> MarkdownIt:
        """The reference parser, made when a body first needs it: the fast path renders most bodies, and a
        one-article edit whose body it renders imports neither markdown-it-py nor its plugins (0.02-0.03 s)."""
        from markdown_it import MarkdownIt
        from mdit_py_plugins.footnote import footnote_plugin

        md = MarkdownIt("commonmark", {"html": self.allow_html, "typographer": True, "maxNesting": MAX_NESTING})
        md.enable(["table", "strikethrough", "replacements", "smartquotes"])
        md.use(footnote_plugin)
        md.validateLink = safe_url
        return md

    def render(self, text: str, resolve: LinkResolver | None = None) -> Rendered:
        out = self.fast.render(text, resolve) if self.fast is not None else None
        if out is None:
            out = self.render_reference(text, resolve)
        if self.allow_html and not out.errors:
            out.html = self._clean(out.html)
        return out

    def render_reference(self, text: str, resolve: LinkResolver | None = None) -> Rendered:
        """The body rendered by markdown-it-py (the reference), before sanitising."""
        env: dict = {}
        out = Rendered("")
        tokens = self.md.parse(text, env)
        if self.allow_html:
            text, tokens, env = self._close_raw_text(text, tokens, env, out)
            if out.errors:
                return out
        if self._too_deep(tokens, out):
            return out
        tokens = self._without_orphan_backrefs(tokens)
        self._heading_ids(tokens, out)
        self._rewrite(tokens, resolve, out)
        out.html = self.md.renderer.render(tokens, self.md.options, env)
        return out

    @staticmethod
    def _clean(html: str) -> str:
        """Raw HTML allowed: nh3 keeps what is safe (the same on both paths)."""
        return nh3.clean(
            html,
            tags=nh3.ALLOWED_TAGS | {"section"},
            attributes={
                **nh3.ALLOWED_ATTRIBUTES,
                "*": nh3.ALLOWED_ATTRIBUTES.get("*", set()) | {"id"},
                "th": {"style"},
                "td": {"style"},
            },
            attribute_filter=_keep_attribute,
            allowed_classes={t: _FOOTNOTE_CLASSES for t in ("a", "sup", "section", "ol", "li", "hr")},
            filter_style_properties={"text-align"},
            url_schemes=set(ALLOWED_SCHEMES),
            link_rel="noopener noreferrer",
        )

    def _close_raw_text(self, text: str, tokens: list[Token], env: dict, out: Rendered) -> tuple:
        """Show each unclosed opener (see ``RAW_TEXT``) as text, with a warning; returns (text, tokens, env)."""
        for _ in range(MAX_UNCLOSED):
            found = _unclosed(tokens)
            if found is None:
                return text, tokens, env
            line, nth, name = found
            fixed = _escape_opener(text, line, nth, name)
            if fixed is None:  # cannot find it in the source (should not happen): say so rather than lose text
                break
            text = fixed
            what = "a comment (<!--)" if name == "!--" else f"<{name}>"
            closer = {"!--": "close it with -->", "plaintext": "remove it: <plaintext> never ends"}.get(
                name, f"close it with </{name}>"
            )
            out.warnings.append(
                (
                    line,
                    f"{what} is never closed, so it would hide the rest of the article; it is shown as text instead",
                    f"{closer}; the rest of the body is kept",
                )
            )
            env = {}
            tokens = self.md.parse(text, env)
        if _unclosed(tokens) is not None:
            line = _unclosed(tokens)[0]
            out.errors.append(
                (line, f"more than {MAX_UNCLOSED} unclosed raw HTML elements", "close each <style>, <script>...")
            )
        return text, tokens, env

    @staticmethod
    def _too_deep(tokens: list[Token], out: Rendered) -> bool:
        """markdown-it drops everything below MAX_NESTING levels; say so rather than lose text."""
        line = 0
        for token in tokens:
            if token.map:
                line = token.map[0]
            deepest = max([token.level] + [c.level for c in token.children or ()])
            if deepest >= MAX_NESTING - 1:
                out.errors.append(
                    (
                        line,
                        f"Markdown nested more than {MAX_NESTING - 2} levels deep (quotes, lists or emphasis)",
                        "flatten the structure; deeper levels would be dropped",
                    )
                )
                return True
        return False

    @staticmethod
    def _without_orphan_backrefs(tokens: list[Token]) -> list[Token]:
        """Drop footnote back-links to references that were not rendered.

        mdit's footnote plugin counts a reference inside a definition that a
        second definition of the same label then replaces, and links back to
        it: a dangling ``#fnref1:1`` the link check would blame on the author.
        """
        refs = {
            (c.meta.get("id"), c.meta.get("subId"))
            for t in tokens
            for c in t.children or ()
            if c.type == "footnote_ref"
        }
        return [t for t in tokens if t.type != "footnote_anchor" or (t.meta.get("id"), t.meta.get("subId")) in refs]

    @staticmethod
    def _heading_ids(tokens: list[Token], out: Rendered) -> None:
        """Give every heading a unique, prefixed id, in one pass."""
        used: dict[str, int] = {}
        for i, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            inline = tokens[i + 1] if i + 1 < len(tokens) else None
            title = (
                "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline"))
                if inline
                else ""
            )
            slug = unique_heading_id(title, used, out.ids)
            token.attrSet("id", slug)
            level = int(token.tag[1])
            if level in TOC_LEVELS:
                out.headings.append((level, slug, inline.content if inline else ""))

    def _rewrite(self, tokens: list[Token], resolve: LinkResolver | None, out: Rendered) -> None:
        line = 0
        for token in tokens:
            if token.map:
                line = token.map[0]
            for child in token.children or ():
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
        if parts.scheme or parts.netloc:
            if parts.scheme in ("http", "https"):
                token.attrs["rel"] = "noopener"
            return
        if not parts.path:
            # an anchor in this body: point it at the prefixed heading id when there is one
            fragment = parts.fragment
            if fragment and fragment not in out.ids and HEADING_PREFIX + fragment in out.ids:
                token.attrs["href"] = "#" + HEADING_PREFIX + fragment
            return
        if not parts.path.endswith((".md", ".markdown", ".yaml", ".yml")):
            return
        target = resolve(parts.path) if resolve else None
        if target is None:
            out.broken.append((line, href))
            return
        if parts.fragment:
            fragment = parts.fragment
            if parts.path.endswith((".md", ".markdown")) and not fragment.startswith(HEADING_PREFIX):
                fragment = HEADING_PREFIX + fragment
            target += "#" + fragment
        token.attrs["href"] = target
        out.content_links.append((line, href, target))


def _raw_html(tokens: list[Token]) -> list[tuple[int, str]]:
    """(line, text) of every piece of raw HTML in the body, in order: html blocks and inline tags."""
    pieces = []
    line = 0
    for token in tokens:
        if token.map:
            line = token.map[0]
        if token.type == "html_block":
            pieces.append((line, token.content))
        for child in token.children or ():
            if child.type == "html_inline":
                pieces.append((line, child.content))
    return pieces


def _unclosed(tokens: list[Token]) -> tuple[int, int, str] | None:
    """(line, n, name) of the first opener whose end never comes: the n-th such opener (0-based) of that line's HTML.

    Raw HTML is all that can open or close one: Markdown text reaches the page escaped.
    """
    pieces = _raw_html(tokens)
    joined = "".join(text for _, text in pieces)
    starts, at = [], 0
    for line, text in pieces:
        starts.append((at, line))
        at += len(text)
    pos = 0
    while (match := _OPENER.search(joined, pos)) is not None:
        name = (match.group(1) or match.group(2)).lower()
        if name == "!--":
            if joined.startswith(("<!-->", "<!--->"), match.start()):
                pos = match.end()
                continue
            end = re.compile(r"--!?>").search(joined, match.end())
        elif name == "plaintext":
            end = None
        else:
            end = re.compile(rf"</{name}(?=[\s/>])", re.I).search(joined, match.end())
        if end is None:
            line = max((ln for start, ln in starts if start <= match.start()), default=0)
            first = min(start for start, ln in starts if ln == line)
            nth = sum(1 for m in _OPENER.finditer(joined, first, match.start()) if _name(m) == name)
            return line, nth, name
        pos = end.end()
    return None


def _name(match: re.Match) -> str:
    return (match.group(1) or match.group(2)).lower()


def _escape_opener(text: str, line: int, nth: int, name: str) -> str | None:
    """``text`` with the ``nth`` opener ``<name`` from ``line`` on written ``&lt;name``, or None if not there."""
    offset = 0
    for _ in range(line):
        nl = text.find("\n", offset)
        if nl < 0:
            return None
        offset = nl + 1
    for match in _OPENER.finditer(text, offset):
        if _name(match) != name:
            continue
        if nth == 0:
            return text[: match.start()] + "&lt;" + text[match.start() + 1 :]
        nth -= 1
    return None
