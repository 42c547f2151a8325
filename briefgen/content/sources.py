"""The articles' Markdown sources after loading: let go of in a one-off build, read again when asked.

Once the bodies are rendered (``bodies.render_bodies``) and the stored model is written, the only reader of
an article's Markdown left in ``briefgen build`` is the link check, and only to give a broken link its line.
Held until the end, the sources (23 MB at 4,000 articles) stayed in the parent and in every page of memory
a forked worker copied. ``forget_sources`` puts in each article's ``body_md`` a ``SourceOnDisk``, which reads
the file again; ``markdown_of`` gives the text either way, or None when the file no longer holds the body
that was loaded (edited or removed since): then no line is given rather than a wrong one.
"""

from __future__ import annotations

import os

from briefgen.content.model import Article, Site
from briefgen.content.yamlsource import YamlProblem, normalise_text, split_front_matter


class SourceOnDisk:
    """Where an article's Markdown body was loaded from, with its length and hash to know it again."""

    __slots__ = ("file", "length", "check")

    def __init__(self, file: str, body: str):
        self.file, self.length, self.check = file, len(body), hash(body)

    def read(self) -> str | None:
        """The body as loaded, read again from the file; None when the file no longer holds it."""
        try:
            with open(self.file, "rb") as f:
                body = split_front_matter(normalise_text(f.read()))[2]
        except (OSError, UnicodeDecodeError, YamlProblem):
            return None
        return body if len(body) == self.length and hash(body) == self.check else None


def forget_sources(site: Site) -> None:
    """Let go of every article's Markdown (a build no other follows, once loaded); ``markdown_of`` reads it again.

    A ``StoredArticle`` (a site from the stored model) is left alone: it decodes its body only when asked."""
    for article in site.articles:
        if type(article) is Article and isinstance(article.body_md, str):
            article.body_md = SourceOnDisk(os.path.join(site.root, article.path), article.body_md)  # type: ignore[assignment]


def markdown_of(article) -> str | None:
    """An article's Markdown body, read again if it was let go of (None if its file no longer holds it)."""
    body = article.body_md
    return body.read() if isinstance(body, SourceOnDisk) else body
