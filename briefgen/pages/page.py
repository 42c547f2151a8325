"""What a page is: plain data, made by ``briefgen.pages.assemble`` and rendered by ``briefgen.render``.

A ``Page`` says where it goes, which template lays it out, the objects the template gets and the input
files it depends on. Nothing here knows about Jinja or the disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class Later:
    """A value of a page's context made the first time it is read (``LazyContext``)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


class LazyContext(Mapping):
    """A page's context whose ``Later`` values are each made the first time they are read, then kept.

    Assembling makes every page of the site on every build, but a rebuild renders only the pages whose
    inputs changed, and feeds, the sitemap and the exports of unchanged topics read only a page's cheap
    values (its topic, its articles). A topic's briefing (``briefing.brief``), its archive pages' parts,
    a pack's footnotes and an article's figure table were most of assembling at 4,000 articles: they are
    made only for the pages that need them. Reading a value gives what the plain dict would have held.
    """

    __slots__ = ("_items",)

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        value = self._items[key]
        if type(value) is Later:
            value = self._items[key] = value.make()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Pagination:
    number: int
    total: int
    prev_url: str | None  # site-relative url_path
    next_url: str | None


# The page kinds whose templates in the default theme show of an article only what its front matter says (title,
# dates, summary, figures, quotes, claims, corrections...) and where its page is, never its body: a rebuild after
# an edit of a report's text renders none of them (``engine.fingerprints``: their articles count by the hash of
# their front matter). A page of another kind, or rendered with a template the project has of its own, counts
# each article by its whole file. tests/test_body_edits.py edits every body and compares these pages' bytes.
FRONT_MATTER_KINDS = frozenset(
    {"home", "topics", "people", "claims", "changes", "corrections", "search", "notfound", "topic", "party"}
)


@dataclass
class Page:
    kind: str
    url_path: str  # "" for home, "topics/x/" ... ; "404.html" for the not-found page
    template: str
    title: str
    description: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)  # a dict, or a LazyContext
    deps: frozenset[str] = frozenset()  # input files whose change affects this page ("*" = every input)
    source: str = ""  # the input file this page mainly shows, for messages

    def __post_init__(self) -> None:
        # the output file, asked tens of thousands of times per build (fingerprints, reuse, writing); set here, not
        # a cached_property: its first read of each page took a lock (6 ms an edit at 4,000 articles, against 3)
        url = self.url_path
        self.output = url if url.endswith((".html", ".xml")) or "." in url.rsplit("/", 1)[-1] else url + "index.html"
