"""Where a broken link of an article's page is written in its Markdown source, for the link check's report."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from briefgen.pages.assemble import Page

_FOOTNOTE_ANCHOR = re.compile(r"#fn(ref)?\d+(?::\d+)?")  # the anchors Markdown's footnotes make
_FOOTNOTE_MARK = re.compile(r"\[\^[^\]\s]*\](:?)")  # [^label] in the text, [^label]: its definition


def body_line(page: Page, url: str) -> int | None:
    """The line of ``url`` in the Markdown body of the article a page shows, if it is written there."""
    article = page.context.get("article") if page.kind == "article" else None
    if article is None:
        return None
    needles = {url, unquote(url), url.replace("&", "&amp;")}
    path, mark, rest = url.partition("#") if "#" in url else url.partition("?")
    if path.endswith("index.html") and path[-11:-10] in ("/", ""):  # links: files added it (render.file_links)
        for written in (path[:-10], path[:-11]):  # "topics/x/" or, for "../index.html", ".."
            if written:
                needles |= {written + mark + rest, unquote(written + mark + rest)}
    from briefgen.content.sources import markdown_of

    source = markdown_of(article)  # a one-off build let go of it after loading: read again (content.sources)
    if source is None:
        return None
    lines = [f"{text} {html.unescape(text)}" for text in source.split("\n")]  # entities as written
    for i, text in enumerate(lines):  # as Markdown writes links: (url) <url> [ref]: url
        if any(f"({n}" in text or f"<{n}>" in text or f": {n}" in text for n in needles):
            return article.body_line + i
    pattern = re.compile("|".join(rf"(?<![\w/.%-]){re.escape(n)}(?![\w/.%-])" for n in needles))
    for i, text in enumerate(lines):  # anywhere else, e.g. in raw HTML: src=x
        if pattern.search(text):
            return article.body_line + i
    footnote = _FOOTNOTE_ANCHOR.fullmatch(url)
    if footnote:  # Markdown made this link for a footnote: the first note (#fnN) or reference (#fnrefN) written
        for i, text in enumerate(lines):
            if any(bool(m[1]) != bool(footnote[1]) for m in _FOOTNOTE_MARK.finditer(text)):
                return article.body_line + i
    return None
