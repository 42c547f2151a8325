"""The briefing domain after loading: validated, linked, ready to assemble.

``schema`` says what an author may write; this module is what the rest of the
pipeline works with: references resolved to objects, dates made time-zone
aware, Markdown rendered. Objects compare by identity (``eq=False``) because
they form a graph (an article knows its topics, a topic its articles).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from briefgen.content.schema import SiteConfig, TopicIn

# Units whose singular is not the plural minus its final "s".
_SINGULAR = {"people": "person", "casualties": "casualty", "children": "child", "men": "man", "women": "woman"}


def unit_for(value: int | float, unit: str) -> str:
    """``unit`` agreeing with ``value``: units are written in the plural, one of them reads singular."""
    if value != 1 or not unit:
        return unit
    if unit in _SINGULAR:
        return _SINGULAR[unit]
    if unit.endswith("ies") and len(unit) > 4:
        return unit[:-3] + "y"
    if unit.endswith("s") and not unit.endswith("ss") and len(unit) > 2:
        return unit[:-1]
    return unit


PartyKind = Literal["person", "organisation", "outlet", "originator"]


@dataclass(eq=False)
class Party:
    """Someone who says or reports things: a person, an organisation or a source."""

    id: str
    name: str
    kind: PartyKind
    role: str = ""
    url: str | None = None
    description: str = ""
    path: str = ""
    line: int | None = None
    quotes: list[Quote] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)

    @property
    def is_source(self) -> bool:
        return self.kind in ("outlet", "originator")

    @property
    def section(self) -> str:
        return "sources" if self.is_source else "people"

    @property
    def url_path(self) -> str:
        return f"{self.section}/{self.id}/"


@dataclass(eq=False)
class Citation:
    source: Party
    url: str | None = None
    note: str = ""


@dataclass(eq=False)
class Quote:
    speaker: Party
    text: str
    said: dt.date | dt.datetime | None
    where: str
    via: Party | None
    article: Article
    line: int | None = None  # where it was written in the article file, for editorial warnings
    key: bool | int = False  # a key quote for the topic's core: True, or its place 1-3 there
    undated: bool = False  # the source gives no date for it (not a forgotten said:)


@dataclass(eq=False)
class Figure:
    id: str
    label: str
    value: int | float
    unit: str
    as_of: dt.date | dt.datetime | None
    by: Party
    measure: str
    note: str
    via: Party | None
    article: Article
    line: int | None = None
    part_of: str | None = None  # id of the figure this one breaks down
    derived: str = ""  # how the desk calculated it: the desk's own arithmetic, not a reporter's
    one_sided: bool = False  # given by one side only and not checked

    @property
    def unit_text(self) -> str:
        """The unit in the right number: "1 person", "1 drone", "5 people"."""
        return unit_for(self.value, self.unit)

    @property
    def display(self) -> str:
        v = self.value
        if isinstance(v, float) and not v.is_integer():
            return f"{v:,}"
        return f"{int(v):,}"


@dataclass(eq=False)
class Event:
    when: dt.date | dt.datetime
    text: str
    article: Article
    inferred: bool = False  # the source gives no date; the desk inferred this one


@dataclass(eq=False)
class Claim:
    question: str
    by: Party
    text: str
    status: str
    date: dt.date | dt.datetime | None
    evidence: str
    article: Article
    line: int | None = None
    kind: str = "fact"  # fact: checkable, gets a status; position: a demand or opinion, never a verdict
    assessment: str = ""  # the desk's assessment of a claim of fact
    settle: str = ""  # what would settle a claim of fact

    @property
    def is_position(self) -> bool:
        return self.kind == "position"


@dataclass(eq=False)
class Correction:
    date: dt.datetime  # time-zone aware
    text: str
    line: int | None = None


@dataclass(eq=False)
class Article:
    slug: str
    path: str  # relative to the project, for messages
    source_name: str  # file name inside content/articles, for Markdown links
    title: str
    date: dt.datetime  # always time-zone aware
    updated: dt.datetime | None
    summary: str
    dateline: str
    author: str
    body_md: str
    body_line: int
    body_html: str = ""
    toc: list[tuple[int, str, str]] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    people: list[Party] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    confidence: str | None = None  # the author's stated confidence in the summary's judgement
    analysis: str = ""  # the desk's analysis, shown apart from the reporting
    lines: dict[str, int] = field(default_factory=dict)  # front-matter key -> line, for editorial warnings
    # the desk's workflow (briefgen.content.schedule): drafts, embargoes, withdrawals, corrections, bylines
    draft: bool = False
    publish_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    corrections: list[Correction] = field(default_factory=list)  # oldest first, as written
    author_ids: list[str] = field(default_factory=list)
    authors: list[Party] = field(default_factory=list)
    preview: str = ""  # "draft" or "scheduled" when a preview build shows what a normal build leaves out
    image: Any = None  # briefgen.content.images.Picture: the lead image
    pictures: list = field(default_factory=list)  # briefgen.content.images.Picture: images in the body
    # the content files (article or topic paths) its body links to, recorded by the link resolver
    links_to: set[str] = field(default_factory=set)

    @property
    def url_path(self) -> str:
        return f"articles/{self.slug}/"

    def all_pictures(self) -> list:
        return ([self.image] if self.image else []) + self.pictures

    @property
    def image_inputs(self) -> list[str]:
        """The image files this article shows (inputs of its page, like the article file itself)."""
        return [p.source for p in self.all_pictures()]

    @property
    def modified(self) -> dt.datetime:
        """The last change a reader should know of: ``updated:`` or the latest correction, else the date."""
        latest = self.updated  # the same answer as max() over these, without building lists: asked ~20,000
        for correction in self.corrections:  # times when serve renders a home page at 4,000 articles
            if latest is None or correction.date > latest:
                latest = correction.date
        return self.date if latest is None else latest


@dataclass(eq=False)
class Topic:
    slug: str
    path: str
    meta: TopicIn
    articles: list[Article] = field(default_factory=list)  # newest first
    related: list[Topic] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line in the topic file
    # Set by the editorial review (briefgen.briefing.editorial), shown on the topic page:
    stale: bool = False  # no article for stale_after_days before the site's newest content
    one_sided: Party | None = None  # every source traces back to this one originator
    preview: str = ""  # "draft" when a preview build shows a draft topic
    # (``updated``,) worked out once, while serve renders open pages from a patched site (briefgen.serve.patch);
    # a class attribute, not a field: no build sets or stores it
    pinned_updated = None

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def label(self) -> str:
        """The short name for the topic strip, kickers and navigation."""
        return self.meta.label or self.meta.title

    @property
    def url_path(self) -> str:
        return f"topics/{self.slug}/"

    @property
    def updated(self) -> dt.datetime | None:
        """The newest ``Article.modified`` of its reports. Read ~185 times an edit at 4,000 articles (cards,
        sorting, review), each over hundreds of reports whose time-zone-aware times are slow to compare: kept
        for the list it was worked out from, while that is still ``articles`` and as long (a list is replaced,
        or appended to while linking, never edited in place; an article's times are fixed once it is linked)."""
        if self.pinned_updated is not None:
            return self.pinned_updated[0]
        articles, memo = self.articles, self.__dict__.get("_updated_memo")
        if memo is not None and memo[0] is articles and memo[1] == len(articles):
            return memo[2]
        found = max((a.modified for a in articles), default=None)
        self.__dict__["_updated_memo"] = (articles, len(articles), found)
        return found


@dataclass(eq=False)
class Site:
    config: SiteConfig
    root: str  # project folder (absolute), for the pipeline; never printed
    topics: dict[str, Topic]
    articles: list[Article]  # newest first
    parties: dict[str, Party]
    changes: Any = None  # briefgen.briefing.changes.History: what changed between builds, set before assembling
    schedule: Any = None  # briefgen.content.schedule.Schedule: what this build held back or withdrew, and why

    @property
    def people(self) -> list[Party]:
        return [p for p in self.parties.values() if not p.is_source]

    @property
    def sources(self) -> list[Party]:
        return [p for p in self.parties.values() if p.is_source]
