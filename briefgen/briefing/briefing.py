"""What a topic's briefing page holds, computed from its articles.

This is the domain logic of the product: key figures grouped by what they
measure (two reporters' numbers side by side, never one overwriting the
other), a merged timeline, quotes, claims grouped by question, who's who and
deduplicated sources. Templates only lay these out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from briefgen.content.model import Article, Claim, Event, Figure, Party, Quote, Topic
from briefgen.content.schema import WatchItem

# The core a reader takes in on a phone in about three screens, in this order ...
CORE = (
    ("bottom-line", "Bottom line"),
    ("why-it-matters", "Why it matters"),
    ("key-figures", "The numbers"),
    ("watch", "What comes next"),
    ("key-quotes", "In their words"),
    ("latest", "Latest reports"),
)
# ... then everything else, one step deeper.
DEEPER = (
    ("changes", "What changed"),
    ("timeline", "Timeline"),
    ("claims", "Claims of fact"),
    ("positions", "Positions"),
    ("quotes", "Who said what"),
    ("earlier", "Earlier reports"),
    ("whos-who", "Who's who"),
    ("sources", "Sources"),
    ("related", "Related topics"),
    ("exports", "Take this briefing"),
)
BLOCKS = CORE + DEEPER
CORE_LATEST = 3  # reports in the core; the rest are listed under "Earlier reports"
MAX_KEY_QUOTES = 3


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
    """Every report of one measured thing: several reporters, several dates.

    Nothing here picks a winner: ``current`` keeps each reporter's latest
    number so they stand side by side, ``low``/``high`` give the range when
    they disagree, and ``series`` keeps each reporter's numbers over time
    for the trend chart.

    A group is complete when ``group_figures`` returns it and is not changed
    after: what is worked out from its figures (``current``, ``series``,
    ``trend``, the chart in ``drawn``) is worked out once, though the topic
    page and its pack each read it several times.
    """

    measure: str
    label: str
    figures: list[Figure]  # newest first
    # what briefing.charts drew of this group (its SVG), drawn once for the topic page and its pack
    drawn: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def latest(self) -> Figure:
        return self.figures[0]

    @cached_property
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
    def reporters(self) -> list[Party]:
        return [f.by for f in self.current]

    @property
    def history(self) -> list[Figure]:
        """Figures of one reporter at several dates, oldest first (for a trend)."""
        by = self.latest.by
        return sorted((f for f in self.figures if f.by is by), key=lambda f: when_key(f.as_of))

    @cached_property
    def series(self) -> list[tuple[Party, list[Figure]]]:
        """Each reporter's figures over time, oldest first, one per as-of date.

        When a reporter's number for one date was revised (a later article
        gives another value for the same ``as_of``), the newest report wins:
        ``figures`` is newest first, so the first one seen is kept.
        """
        out: dict[str, tuple[Party, dict]] = {}
        for f in self.figures:
            if f.as_of is None:
                continue
            _party, by_date = out.setdefault(f.by.id, (f.by, {}))
            by_date.setdefault(when_key(f.as_of), f)
        return [(party, [by_date[k] for k in sorted(by_date)]) for party, by_date in out.values()]

    @cached_property
    def trend(self) -> bool:
        """True when some reporter gave this number at two or more dates: worth a chart."""
        return any(len(points) > 1 for _party, points in self.series)


@dataclass
class ClaimGroup:
    question: str
    claims: list[Claim]


@dataclass
class FigureItem:
    """One row of the numbers table: a measure and the breakdown figures that are part of it."""

    group: FigureGroup
    parts: list[FigureGroup] = field(default_factory=list)


def figure_items(groups: list[FigureGroup]) -> list[FigureItem]:
    """Groups with their breakdowns folded in: 267 launched, of which 138 intercepted, 119 lost...

    A group whose latest figure names ``part_of`` a figure shown in another group
    becomes a part of that group's item; one naming a figure not on this page
    stands on its own.
    """
    owner = {f.id: g for g in groups for f in g.figures}
    items: dict[int, FigureItem] = {}
    parts: list[tuple[FigureGroup, FigureGroup]] = []
    for g in groups:
        parent = owner.get(g.latest.part_of) if g.latest.part_of else None
        if parent is not None and parent is not g and not parent.latest.part_of:
            parts.append((parent, g))
        else:
            items[id(g)] = FigureItem(g)
    for parent, g in parts:
        items[id(parent)].parts.append(g)
    return list(items.values())


def dedupe_quotes(quotes: list[Quote]) -> list[Quote]:
    """Each quotation once: the same words filed in two reports are one quote."""
    seen: set[tuple[str, str]] = set()
    out = []
    for q in quotes:
        key = (q.speaker.id, _label_key(q.text))
        if key not in seen:
            seen.add(key)
            out.append(q)
    return out


@dataclass
class SourceUse:
    source: Party
    articles: list[Article] = field(default_factory=list)


@dataclass
class Briefing:
    topic: Topic
    updated: dt.datetime | None
    figures: list[FigureGroup]
    latest: list[Article]  # every report on this page, newest first: the core lists three, "Earlier reports" the rest
    timeline: list[Event]
    quotes: list[Quote]  # every quote once, newest first (key quotes included)
    claims: list[ClaimGroup]  # claims of fact and positions, by question (exports)
    people: list[Party]
    watch: list[WatchItem]
    sources: list[SourceUse]
    related: list[Topic]
    changed: tuple | None = None  # (changes.Record, this topic's items): the latest recorded change
    exports: bool = False  # the page links the briefing pack, JSON and timeline exports
    archive: bool = False  # page 2 and later of a long topic: its own reports only, no "Earlier reports"

    @property
    def key_quotes(self) -> list[Quote]:
        """The quotes the editor marked as key (``key: true``), at most three, for the core."""
        ranked = [q for q in self.quotes if q.key]  # newest first; an editor's 1-3 comes before that
        ranked.sort(key=lambda q: q.key if type(q.key) is int else MAX_KEY_QUOTES + 1)
        return ranked[:MAX_KEY_QUOTES]

    @property
    def more_quotes(self) -> list[Quote]:
        """Every other quote, one step deeper: no quote is shown twice."""
        key = set(map(id, self.key_quotes))
        return [q for q in self.quotes if id(q) not in key]

    @property
    def facts(self) -> list[ClaimGroup]:
        """Claims of fact, by question: each gets a status."""
        return _of_kind(self.claims, position=False)

    @property
    def positions(self) -> list[ClaimGroup]:
        """Positions (demands, opinions), by question: never a verdict."""
        return _of_kind(self.claims, position=True)

    @property
    def figure_items(self) -> list[FigureItem]:
        return figure_items(self.figures)

    @property
    def core_latest(self) -> list[Article]:
        return self.latest[:CORE_LATEST]

    @property
    def earlier(self) -> list[Article]:
        return self.latest[CORE_LATEST:]

    @property
    def present(self) -> dict[str, bool]:
        return {
            "bottom-line": True,
            "why-it-matters": bool(self.topic.meta.why_it_matters),
            "key-figures": bool(self.figures),
            "watch": bool(self.watch),
            "key-quotes": bool(self.key_quotes),
            "latest": bool(self.latest),
            "changes": self.changed is not None,
            "timeline": bool(self.timeline),
            "claims": bool(self.facts),
            "positions": bool(self.positions),
            "quotes": bool(self.more_quotes),
            "earlier": bool(self.earlier) and not self.archive,
            "whos-who": bool(self.people),
            "sources": bool(self.sources),
            "related": bool(self.related),
            "exports": self.exports,
        }

    @property
    def blocks(self) -> list[tuple[str, str]]:
        present = self.present
        return [(anchor, label) for anchor, label in BLOCKS if present[anchor]]

    @property
    def core_blocks(self) -> list[tuple[str, str]]:
        present = self.present
        return [(anchor, label) for anchor, label in CORE if present[anchor]]

    @property
    def deeper_blocks(self) -> list[tuple[str, str]]:
        present = self.present
        return [(anchor, label) for anchor, label in DEEPER if present[anchor]]


def _of_kind(groups: list[ClaimGroup], position: bool) -> list[ClaimGroup]:
    out = []
    for g in groups:
        claims = [c for c in g.claims if c.is_position == position]
        if claims:
            out.append(ClaimGroup(g.question, claims))
    return out


def _label_key(label: str) -> str:
    return " ".join(label.casefold().replace("\u2019", "'").split()).rstrip(".:;")


def group_figures(figures: list[Figure], tz: dt.tzinfo | None = None) -> list[FigureGroup]:
    """Figures grouped by what they measure: the shared ``measure`` key, else the same label.

    A figure without ``measure:`` (its measure is then its own id) joins the
    group of a figure with the same label, so two reporters' numbers for "Drones
    shot down" stand side by side even when the author forgot the key.
    """
    explicit = {_label_key(f.label): f.measure for f in figures if f.measure != f.id}
    groups: dict[str, FigureGroup] = {}
    for f in figures:
        key = f.measure if f.measure != f.id else explicit.get(_label_key(f.label), "label:" + _label_key(f.label))
        group = groups.get(key)
        if group is None:
            groups[key] = FigureGroup(f.measure if f.measure != f.id else key.removeprefix("label:"), f.label, [f])
        else:
            group.figures.append(f)
    for group in groups.values():
        group.figures.sort(key=lambda f: (when_key(f.as_of, tz), f.article.date), reverse=True)
        group.label = group.latest.label
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
        quotes=dedupe_quotes(quotes),
        claims=group_claims(claims),
        people=sorted(people.values(), key=lambda p: p.name),
        watch=sorted(topic.meta.watch, key=lambda w: (w.date is None, w.date or dt.date.max)),
        sources=sorted(sources.values(), key=lambda u: u.source.name.casefold()),
        related=topic.related,
    )
