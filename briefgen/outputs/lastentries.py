"""A feed's entries as the last build wrote them, for a rebuild that makes the feed again.

A one-article edit makes again every feed that lists the article (its topics', its people's and sources', the
site's: often eight), each of up to 50 articles: some 300 entries at 4,000 articles, each its article's body with
every link made absolute (``feeds.FeedWriter.entry``), 0.03-0.05 s of the edit. All of them but the edited
article's are the bytes the last build wrote into the same feed: an article whose part of the fingerprints was
carried from the last build (``fingerprints.Fingerprints.carried_paths``: its file, and everything else its
pages read, are as they were then) has the entry it had then. Such an entry is taken from the last build's file
of the same feed, when that file's bytes are the ones the last build recorded (by their hash:
``state.recorded_bytes``); every other entry is written anew.

How an entry is found: ``atomentry.entry_xml`` writes ``<entry><title>TEXT</title>``, then the link element of
the article's URL (``atomentry.link_element``), every text and attribute escaped (no ``<`` in one, so no ``<entry>``
or ``</entry>`` either). The file is read once into its entries, each by the link element that follows its title
(``_spans``); the article's link element names its entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from briefgen.outputs.atomentry import link_element

_OPEN, _CLOSE = b"<entry>", b"</entry>"
_TITLE = re.compile(rb"<title(?:/>|>[^<]*</title>)")


class LastEntries:
    """The entries of one feed's last file (``data``), for the articles whose path is in ``carried``."""

    def __init__(self, data: bytes, carried: Container[str]):
        self.data, self.carried = data, carried
        self._spans: dict[bytes, tuple[int, int]] | None = None  # link element -> where its entry is

    def get(self, path: str, link: str) -> bytes | None:
        """The entry of the article at ``path`` (its page's absolute URL: ``link``), or None: write it anew."""
        if path not in self.carried:
            return None
        if self._spans is None:
            self._spans = _spans(self.data)
        try:
            span = self._spans.get(link_element(link).encode("utf-8"))
        except UnicodeEncodeError:  # (a lone surrogate: written anew, and refused there as ever)
            return None
        return self.data[span[0] : span[1]] if span is not None else None


def _spans(data: bytes) -> dict[bytes, tuple[int, int]]:
    """Each entry of a feed by its link element: ``<entry>``, a title, the link element up to its ``/>`` (a ``>``
    in an attribute is written ``&gt;``), and the rest up to ``</entry>``. The first entry of a link counts."""
    found: dict[bytes, tuple[int, int]] = {}
    at = data.find(_OPEN)
    while at >= 0:
        end = data.find(_CLOSE, at)
        if end < 0:
            break
        title = _TITLE.match(data, at + len(_OPEN), end)
        if title is not None and data.startswith(b"<link href=", title.end()):
            close = data.find(b"/>", title.end(), end)
            if close >= 0:
                found.setdefault(data[title.end() : close + 2], (at, end + len(_CLOSE)))
        at = data.find(_OPEN, end)
    return found


def last_entries(read: Callable[[str], bytes | None], carried: Container[str]) -> Callable[[str], LastEntries | None]:
    """What a rebuild's ``kept.Keeper`` asks for a feed it makes again: ``read(rel)`` gives the feed's last bytes as
    recorded (or None), ``carried`` the articles whose entry is the one they had then."""

    def find(rel: str) -> LastEntries | None:
        data = read(rel)
        return LastEntries(data, carried) if data is not None else None

    return find
