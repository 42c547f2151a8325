"""The key a topic's exports (``briefing.json``, ``timeline.json``) are kept by: what they read, and nothing more.

They were keyed by the fingerprint of the topic's pack page, which hashes each of its articles' whole file:
an edit of one article's body made its topics' exports again, though their bytes cannot change. An export
reads (``outputs.exports``): the site-wide data (the site's title and ``base_url``, the parties of
``people.yaml`` and ``sources.yaml``, each topic's status, staleness and single origin, the time zone, the
schedule, the code: ``Fingerprints.global_digest``), the topic's own file, and its articles, in order, as
their front matter says (title, date, summary, dateline, updated, corrections, figures, quotes, claims,
events, citations, people). No export reads a body, nor any other topic's file. So the key is a hash of the
global digest, the topic file's hash, and each article's path with the hash of its front matter
(``inputs.head_digest``).

The sitemap is keyed the same way (``ExportKeys.sitemap``): its dates are the articles' front matter's.

Front-matter hashes are made where an article file is read anyway, when it is hashed (``inputs.scan_inputs``),
and kept in the build state (``heads_text``) by file hash: a file whose hash is unchanged has its front-matter
hash again, unread. One that is missing (a state from before) is worked out here from the file, when the file
still has the hash recorded for it; when it does not, the exports get a key of their own and are made.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from briefgen.engine.inputs import DIGEST_CHARS, bytes_digest, head_digest

_ROW = 2 * DIGEST_CHARS  # a file's digest, then its front matter's (both hex, both DIGEST_CHARS long)


def heads_from_text(text) -> dict[str, str]:
    """The front-matter hashes the build state holds (``heads_text``), by file hash; {} when damaged."""
    if not isinstance(text, str) or len(text) % _ROW:
        return {}
    try:
        bytes.fromhex(text)
    except ValueError:
        return {}
    return {text[i : i + DIGEST_CHARS]: text[i + DIGEST_CHARS : i + _ROW] for i in range(0, len(text), _ROW)}


def current_heads(heads: dict[str, str], inputs) -> dict[str, str]:
    """The front-matter hashes of the input files there now (the others are let go)."""
    out = {}
    for info in inputs.values():
        head = heads.get(info.digest)
        if head is not None:
            out[info.digest] = head
    return out


def heads_text(heads: dict[str, str]) -> str:
    """``heads`` for the build state: one string (one JSON value), read back by ``heads_from_text``."""
    return "".join([digest + head for digest, head in heads.items() if len(digest) == len(head) == DIGEST_CHARS])


class ExportKeys:
    """``of(page)``: the key of the exports of a pack page's topic (``kept.Keeper``); ``sitemap``: of the sitemap;
    ``last(rel)``: the key the last build recorded for output ``rel`` (``previous``: its recorded outputs)."""

    def __init__(self, global_digest: str, inputs, heads: dict[str, str], root: Path, previous=None):
        self.global_digest = global_digest
        self.inputs = inputs
        self.heads = heads  # file hash -> front-matter hash (this build's scan and the last build's state)
        self.root = root
        self.previous = previous or {}

    def of(self, page) -> str:
        topic = page.context["topic"]
        lines = self._lines(topic.articles)
        if lines is None:  # cannot tell what one says: a key no build recorded
            return "exports!" + os.urandom(16).hex()
        text = [self.global_digest, "\0", topic.path, "\0", self._digest(topic.path), "\n", *lines]
        return "exports:" + hashlib.blake2b("".join(text).encode(), digest_size=20).hexdigest()

    def sitemap(self, site, pages, max_urls: int) -> str | None:
        """What the sitemap reads (``outputs.sitemap``): which pages there are, of which kind, where (a topic's
        and a person's list their articles, as their front matter says), every article's front matter (its
        dates: ``modified``), every topic's file, the site-wide data (``base_url``, the time zone, the schedule,
        drafts shown); None past one file's worth of pages, or when an article's front matter cannot be told."""
        lines = self._lines(site.articles) if len(pages) <= max_urls else None
        if lines is None:
            return None
        text = [self.global_digest, "\0", *[f"{p.kind}\0{p.url_path}\n" for p in pages], "\0", *lines, "\0"]
        text += [f"{t.path}\0{self._digest(t.path)}\n" for t in site.topics.values()]  # (a draft topic: unlisted)
        return "sitemap:" + hashlib.blake2b("".join(text).encode(), digest_size=20).hexdigest()

    def last(self, rel: str) -> str | None:
        old = self.previous.get(rel)
        return old.fingerprint if old is not None else None

    def _lines(self, articles) -> list[str] | None:
        """Each article's path and front-matter hash, in order (a line each); None when one cannot be told."""
        inputs, heads = self.inputs, self.heads
        try:  # thousands of articles, each looked up in two tables: inline
            return [f"{path}\0{heads[inputs[path].digest]}\n" for path in [a.path for a in articles]]
        except KeyError:
            pass
        lines = []
        for article in articles:
            head = self._head(article.path)
            if head is None:
                return None
            lines.append(f"{article.path}\0{head}\n")
        return lines

    def _digest(self, path: str) -> str:
        info = self.inputs.get(path)
        return info.digest if info is not None else "-"

    def _head(self, path: str) -> str | None:
        info = self.inputs.get(path)
        if info is None:
            return None
        head = self.heads.get(info.digest)
        if head is None:
            try:
                data = (self.root / path).read_bytes()
            except OSError:
                return None
            if bytes_digest(data) != info.digest:  # changed since it was hashed (and loaded): not what was read
                return None
            head = self.heads[info.digest] = head_digest(data)
        return head
