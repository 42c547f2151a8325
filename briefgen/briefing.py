"""What a topic's briefing page holds, computed from its articles.

This is the domain logic of the product: key figures grouped by what they
measure (two reporters' numbers side by side, never one overwriting the
other), a merged timeline, quotes, claims grouped by question, who's who and
deduplicated sources. Templates only lay these out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from briefgen.model import Article, Claim, Event, Figure, Party, Quote, Topic
from briefgen.schema import WatchItem

BLOCKS = (
    ("bottom-line", "Bottom line"),
    ("why-it-matters", "Why it matters"),
    ("key-figures", "Key figures"),
    ("latest", "Latest developments"),
    ("timeline", "Timeline"),
    ("quotes", "Who said what"),
    ("claims", "Disputed and unverified claims"),
    ("whos-who", "Who's who"),
    ("watch", "What to watch"),
    ("sources", "Sources"),
    ("related", "Related topics"),
)


def when_key(value: dt.date | dt.datetime | None, tz: dt.tzinfo | None = None) -> dt.datetime:
    """A sort key that orders dates and aware datetimes together.

    A bare date sorts at the start of that day in the site's zone (UTC when
    the site sets none).
    """
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz or dt.UTC)
    return dt.datetime.combine(value, dt.time.min, tz or dt.UTC)


@dataclass
class FigureGroup:
    measure: str
    label: str
    figures: list[Figure]  # newest first

    @property
    def latest(self) -> Figure:
        return self.figures[0]

    @property
    def current(self) -> list[Figure]:
        """The most recent figure from each reporter."""
        seen: dict[str, Figure] = {}
        for f in self.figures:
            seen.setdefault(f.by.id, f)
        return list(seen.values())

    @property
    def low(self) -> float:
        return min(f.value for f in self.current)

    @property
    def high(self) -> float:
        return max(f.value for f in self.current)

    @property
    def disagree(self) -> bool:
        return len({f.value for f in self.current}) > 1

    @property
    def history(self) -> list[Figure]:
        """Figures of one reporter at several dates, oldest first (for a trend)."""
        by = self.latest.by
        return sorted((f for f in self.figures if f.by is by), key=lambda f: when_key(f.as_of))


@dataclass
class ClaimGroup:
    question: str
    claims: list[Claim]


@dataclass
class SourceUse:
    source: Party
    articles: list[Article] = field(default_factory=list)


@dataclass
class Briefing:
    topic: Topic
    updated: dt.datetime | None
    figures: list[FigureGroup]
    latest: list[Article]
    timeline: list[Event]
    quotes: list[Quote]
    claims: list[ClaimGroup]
    people: list[Party]
    watch: list[WatchItem]
    sources: list[SourceUse]
    related: list[Topic]

    @property
    def blocks(self) -> list[tuple[str, str]]:
        present = {
            "bottom-line": True,
            "why-it-matters": bool(self.topic.meta.why_it_matters),
            "key-figures": bool(self.figures),
            "latest": bool(self.latest),
            "timeline": bool(self.timeline),
            "quotes": bool(self.quotes),
            "claims": bool(self.claims),
            "whos-who": bool(self.people),
            "watch": bool(self.watch),
            "sources": bool(self.sources),
            "related": bool(self.related),
        }
        return [(anchor, label) for anchor, label in BLOCKS if present[anchor]]


def group_figures(figures: list[Figure], tz: dt.tzinfo | None = None) -> list[FigureGroup]:
    groups: dict[str, FigureGroup] = {}
    for f in figures:
        group = groups.get(f.measure)
        if group is None:
            groups[f.measure] = FigureGroup(f.measure, f.label, [f])
        else:
            group.figures.append(f)
    for group in groups.values():
        group.figures.sort(key=lambda f: (when_key(f.as_of, tz), f.article.date), reverse=True)
    return list(groups.values())


def group_claims(claims: list[Claim]) -> list[ClaimGroup]:
    groups: dict[str, ClaimGroup] = {}
    for c in claims:
        groups.setdefault(c.question, ClaimGroup(c.question, [])).claims.append(c)
    return list(groups.values())


def brief(topic: Topic, tz: dt.tzinfo | None = None) -> Briefing:
    articles = topic.articles  # newest first
    oldest_first = list(reversed(articles))
    figures = [f for a in oldest_first for f in a.figures]
    events = sorted((e for a in articles for e in a.events), key=lambda e: (when_key(e.when, tz), e.article.date))
    quotes = sorted(
        (q for a in articles for q in a.quotes), key=lambda q: (when_key(q.said, tz), q.article.date), reverse=True
    )
    claims = [c for a in oldest_first for c in a.claims]

    people: dict[str, Party] = {}
    for a in oldest_first:
        for p in a.people + [q.speaker for q in a.quotes] + [f.by for f in a.figures] + [c.by for c in a.claims]:
            if not p.is_source:
                people.setdefault(p.id, p)

    sources: dict[str, SourceUse] = {}
    for a in articles:
        cited = [c.source for c in a.citations] + [x.via for x in a.quotes + a.figures if x.via]
        cited += [p for p in [f.by for f in a.figures] + [c.by for c in a.claims] if p.is_source]
        for s in cited:
            use = sources.setdefault(s.id, SourceUse(s))
            if a not in use.articles:
                use.articles.append(a)

    return Briefing(
        topic=topic,
        updated=topic.updated,
        figures=group_figures(figures, tz),
        latest=articles,
        timeline=events,
        quotes=quotes,
        claims=group_claims(claims),
        people=sorted(people.values(), key=lambda p: p.name),
        watch=sorted(topic.meta.watch, key=lambda w: (w.date is None, w.date or dt.date.max)),
        sources=sorted(sources.values(), key=lambda u: u.source.name.casefold()),
        related=topic.related,
    )
