"""The link check of pages checked before the build's other files exist, settled once they do.

A cold build has every page on disk once rendering ends, and makes its other files after (feeds, sitemap,
exports, search, copies, the manifest: ``engine.linksahead`` checks the pages meanwhile). What is wrong with
a link to a page (none, a missing #anchor) depends on that page's bytes alone, there already: ``EarlyCheck``
judges it with the code of ``linkcheck``. A link to anything else (a feed, an export, a copy, the manifest, a
file nothing makes) is not judged then: it is noted, and ``settle`` judges it once those files are made, against
the final files, with the same code (``_LinkCheck.verdict``).

``settle`` reports as ``linkcheck.check_links`` run on each chunk of pages would have: ``check_outputs`` first,
then each broken link in page order and in the order of its first appearance on the page, once per (where,
url) in the chunk, with the same message and line. The tests compare the two (tests/test_links_ahead.py).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import TYPE_CHECKING

from briefgen.checks import linkcheck
from briefgen.checks.linkcheck import _SKIP_PREFIXES, _LinkCheck, check_outputs
from briefgen.problems import Problems

if TYPE_CHECKING:  # (a worker that only checks imports no content model: ``linkworker``)
    from briefgen.pages.assemble import Page

# What ``EarlyCheck.events`` answers: (page index, url, what, hint) of each link it found wrong, and of each it
# left for ``settle`` (what None, hint the (path, fragment) it names), in the order the plain check meets them.
Event = tuple[int, str, "str | None", "str | tuple[str, str]"]


class EarlyCheck(_LinkCheck):
    """The link check of ``pages``, judging only links to the files in ``known`` (the pages rendered)."""

    def __init__(self, files: Mapping[str, bytes], known: Container[str]):
        super().__init__(files, Problems(), frozenset(), False, {}, {})
        self.known = known
        self.found: list[Event] = []
        self.at = 0  # the index of the page being checked

    def events(self, pages: list[Page], start: int, stop: int) -> list[Event]:
        """What is wrong with the links of ``pages[start:stop]``, or left to judge; checked as ``check_links``
        checks them. Every link that may be wrong is noted, reported or not by the plain check (``settle``
        decides, in its chunk)."""
        self.found = []
        for at in range(start, stop):
            page = pages[at]
            if page.kind != "notfound":
                self.at = at
                self.page(page)
        return self.found

    def _verdict(self, path: str, fragment: str) -> tuple | None:
        if path.startswith(_SKIP_PREFIXES) or path in self.known:
            return super()._verdict(path, fragment)
        return None, (path, fragment)  # made later, or never: judged by ``settle``

    def report(self, page: Page, url: str, what, hint) -> None:
        self.found.append((self.at, url, what, hint))


def settle(
    files: Mapping[str, bytes],
    pages: list[Page],
    statics: Container[str],
    chunks: list[tuple[int, int]],
    events: list[Event],
    problems: Problems,
) -> None:
    """Report, in ``problems``, what ``check_links(files, pages[start:stop], ..., statics, remember=False)`` would
    for each of ``chunks`` in turn, from the ``events`` of ``EarlyCheck`` (in page order) and the final ``files``."""
    at = 0
    for start, stop in chunks:
        check_outputs(pages[start:stop], problems, statics)
        check = _LinkCheck(files, problems, statics, False, {}, {})
        while at < len(events) and events[at][0] < stop:
            index, url, what, hint = events[at]
            at += 1
            if what is None:
                verdict = check.verdict(*hint)
                if verdict is None:
                    continue
                what, hint = verdict
            page = pages[index]
            if (page.source or page.output, url) not in check.reported:
                check.report(page, url, what, hint)
    linkcheck._ids = {}  # as ``check_links`` leaves it after a check that does not remember
