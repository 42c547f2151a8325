"""A page: plain data saying where it goes, which template lays it out and the objects the template gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass
class Pagination:
    number: int
    total: int
    prev_url: str | None  # site-relative url_path
    next_url: str | None


@dataclass
class Page:
    kind: str
    url_path: str  # "" for home, "topics/x/" ... ; "404.html" for the not-found page
    template: str
    title: str
    description: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    deps: frozenset[str] = frozenset()  # input files whose change affects this page ("*" = every input)
    source: str = ""  # the input file this page mainly shows, for messages

    @cached_property  # asked tens of thousands of times per build (fingerprints, reuse, writing)
    def output(self) -> str:
        if self.url_path.endswith(".html") or self.url_path.endswith(".xml") or "." in self.url_path.rsplit("/", 1)[-1]:
            return self.url_path
        return self.url_path + "index.html"
