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
or ``</entry>`` either). The article's link element found in the file, with only a title between it and the
``<entry>`` before it, gives the entry up to the next ``</entry>``.
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

    def get(self, path: str, link: str) -> bytes | None:
        """The entry of the article at ``path`` (its page's absolute URL: ``link``), or None: write it anew."""
        if path not in self.carried:
            return None
        data = self.data
        try:
            at = data.find(link_element(link).encode("utf-8"))
        except UnicodeEncodeError:  # (a lone surrogate: written anew, and refused there as ever)
            return None
        if at < 0:
            return None
        start = data.rfind(_OPEN, 0, at)
        end = data.find(_CLOSE, at)
        if start < 0 or end < 0 or not _TITLE.fullmatch(data, start + len(_OPEN), at):
            return None
        return data[start : end + len(_CLOSE)]


def last_entries(read: Callable[[str], bytes | None], carried: Container[str]) -> Callable[[str], LastEntries | None]:
    """What a rebuild's ``kept.Keeper`` asks for a feed it makes again: ``read(rel)`` gives the feed's last bytes as
    recorded (or None), ``carried`` the articles whose entry is the one they had then."""

    def find(rel: str) -> LastEntries | None:
        data = read(rel)
        return LastEntries(data, carried) if data is not None else None

    return find
