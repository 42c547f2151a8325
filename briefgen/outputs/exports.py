"""Machine-readable exports of each topic: the briefing as JSON, and its timeline for TimelineJS.

A desk's graphics team, a newsletter tool or another newsroom should be able
to take a briefing's facts without scraping HTML. Every topic gets:

- ``topics/<slug>/briefing.json``: the bottom line, key figures with their
  provenance (who reported each number, via whom, as of when, in which
  article), the merged timeline, quotes, claims grouped by question, sources,
  articles and what to watch. Its JSON Schema is generated from the pydantic
  models below, so the file and its schema cannot drift apart; the build
  publishes it at ``schema/briefing.schema.json`` and docs/exports.md
  documents it.
- ``topics/<slug>/timeline.json``: the merged timeline in the JSON format of
  Knight Lab's TimelineJS (``{"title": ..., "events": [{"start_date":
  {"year", "month", "day"}, "text": {"headline", "text"}}]}``), ready to load
  into a TimelineJS embed. TimelineJS inserts headline and text as HTML, so
  both are escaped here: content can never become markup in an embed.

URLs in exports are absolute (from ``base_url``): a JSON file is read away
from the site. Keys keep a fixed order and nothing depends on the clock, so
builds stay byte-identical.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from typing import Literal

from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field

from briefgen.briefing.briefing import Briefing, FigureGroup
from briefgen.content.model import Article, Claim, Party, Site, Topic
from briefgen.jsontext import file_bytes, same_as_json
from briefgen.outputs.exportpaths import SCHEMA_PATH, topic_paths
from briefgen.pages.assemble import Page

FORMAT = 1

When = dt.datetime | dt.date


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class PartyRef(Out):
    id: str = Field(description="the id used in the content files")
    name: str
    kind: Literal["person", "organisation", "outlet", "originator"]
    url: str = Field(description="the party's page on this site")
    homepage: str | None = Field(None, description="their own web page, when known")


class ArticleRef(Out):
    slug: str
    title: str
    url: str = Field(description="the article's page on this site")
    date: dt.datetime = Field(description="when it was published, with its time zone")


class TopicOut(Out):
    slug: str
    title: str
    url: str
    status: Literal["developing", "dormant", "concluded"]
    summary: str = Field(description="the bottom line")
    confidence: Literal["low", "moderate", "high"] | None = Field(
        description="the stated confidence in the bottom line"
    )
    why_it_matters: str
    updated: dt.datetime | None = Field(description="the newest article's date (or update)")
    stale: bool = Field(description="no article for the site's stale_after_days before its newest content")
    single_origin: PartyRef | None = Field(
        description="set when every source of the topic comes from this one originator"
    )


class FigureOut(Out):
    id: str
    label: str
    value: int | float
    unit: str
    as_of: When | None = Field(description="when the number was true")
    reported_by: PartyRef = Field(description="who gave the number")
    via: PartyRef | None = Field(description="the source that carried it, if not the reporter")
    note: str
    article: ArticleRef = Field(description="the article that records it")
    current: bool = Field(description="the reporter's most recent number for this measure")
    part_of: str | None = Field(description="id of the figure this one breaks down")
    derived: str = Field(description="how the desk calculated it; empty for a reported number")
    one_sided: bool = Field(description="given by one side only and not checked")


class FigureGroupOut(Out):
    measure: str = Field(description="what is measured; reports of one measure are grouped")
    label: str
    disagree: bool = Field(description="true when reporters' current numbers differ")
    low: int | float = Field(description="the lowest current number")
    high: int | float = Field(description="the highest current number")
    reports: list[FigureOut] = Field(description="every report, newest first")


class EventOut(Out):
    date: When
    text: str
    article: ArticleRef


class QuoteOut(Out):
    text: str
    speaker: PartyRef
    said: When | None
    where: str
    via: PartyRef | None
    article: ArticleRef


class ClaimOut(Out):
    by: PartyRef
    kind: Literal["fact", "position"]
    text: str
    status: Literal["confirmed", "disputed", "unverified", "false"] | None  # None for a position: no verdict
    date: When | None
    evidence: str
    assessment: str
    settle: str
    article: ArticleRef


class ClaimGroupOut(Out):
    question: str
    claims: list[ClaimOut]


class SourceOut(Out):
    source: PartyRef
    cited_in: list[ArticleRef]


class ArticleOut(ArticleRef):
    summary: str
    dateline: str
    updated: dt.datetime | None


class WatchOut(Out):
    date: dt.date | None
    text: str


class BriefingExport(Out):
    """One topic's briefing as data (briefgen's ``topics/<slug>/briefing.json``)."""

    model_config = ConfigDict(extra="forbid", title="briefgen topic briefing", defer_build=True)

    format: Literal[1] = Field(description="bumped only when the meaning of a field changes")
    generator: Literal["briefgen"]
    site: str = Field(description="the site's title")
    topic: TopicOut
    figures: list[FigureGroupOut] = Field(description="key figures grouped by measure")
    timeline: list[EventOut] = Field(description="every dated event of the topic's articles, oldest first")
    quotes: list[QuoteOut] = Field(description="who said what, newest first")
    claims: list[ClaimGroupOut] = Field(description="claims grouped by the question they answer")
    sources: list[SourceOut] = Field(description="every outlet and originator cited, with where")
    articles: list[ArticleOut] = Field(description="the topic's articles, newest first")
    watch: list[WatchOut] = Field(description="what to watch next")


@functools.cache
def _model_schema() -> dict:
    """pydantic's JSON Schema of ``BriefingExport``: it depends only on the code, so it is worked out once a process."""
    return BriefingExport.model_json_schema()


def briefing_schema(base_url: str) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base_url + SCHEMA_PATH,
        **copy.deepcopy(_model_schema()),  # callers may change what they get; the memo must not see it
    }


@functools.lru_cache(maxsize=4)
def schema_bytes(base_url: str) -> bytes:
    """The file ``schema/briefing.schema.json`` for a site at ``base_url``."""
    return file_bytes(briefing_schema(base_url))


class Exporter:
    def __init__(self, site: Site, renderer):
        self.site = site
        self.abs = renderer.absolute
        # A briefing names the same articles and parties again and again (each figure, quote, claim and
        # source cites one): each reference is made (and validated) once and shared. pydantic takes a model
        # instance as it is and writes it out at every place it appears, so the JSON is the same.
        self._articles: dict[int, tuple[Article, ArticleRef]] = {}
        self._parties: dict[int, tuple[Party, PartyRef]] = {}

    def party(self, p: Party | None) -> PartyRef | None:
        if p is None:
            return None
        found = self._parties.get(id(p))  # (the party, kept alive here so that no other object takes its id)
        if found is None:
            ref = PartyRef(id=p.id, name=p.name, kind=p.kind, url=self.abs(p.url_path), homepage=p.url)
            found = self._parties[id(p)] = (p, ref)
        return found[1]

    def article(self, a: Article) -> ArticleRef:
        found = self._articles.get(id(a))
        if found is None:
            ref = ArticleRef(slug=a.slug, title=a.title, url=self.abs(a.url_path), date=a.date)
            found = self._articles[id(a)] = (a, ref)
        return found[1]

    def briefing(self, b: Briefing) -> BriefingExport:
        return BriefingExport(
            format=FORMAT,
            generator="briefgen",
            site=self.site.config.title,
            topic=self.topic(b.topic),
            figures=[self.figure_group(g) for g in b.figures],
            timeline=[EventOut(date=e.when, text=e.text, article=self.article(e.article)) for e in b.timeline],
            quotes=[
                QuoteOut(
                    text=q.text,
                    speaker=self.party(q.speaker),
                    said=q.said,
                    where=q.where,
                    via=self.party(q.via),
                    article=self.article(q.article),
                )
                for q in b.quotes
            ],
            claims=[ClaimGroupOut(question=g.question, claims=[self.claim(c) for c in g.claims]) for g in b.claims],
            sources=[
                SourceOut(source=self.party(u.source), cited_in=[self.article(a) for a in u.articles])
                for u in b.sources
            ],
            articles=[
                ArticleOut(
                    slug=a.slug,
                    title=a.title,
                    url=self.abs(a.url_path),
                    date=a.date,
                    summary=a.summary,
                    dateline=a.dateline,
                    updated=a.updated,
                )
                for a in b.latest
            ],
            watch=[WatchOut(date=w.date, text=w.text) for w in b.watch],
        )

    def topic(self, t: Topic) -> TopicOut:
        return TopicOut(
            slug=t.slug,
            title=t.title,
            url=self.abs(t.url_path),
            status=t.meta.status,
            summary=t.meta.summary,
            confidence=t.meta.confidence,
            why_it_matters=t.meta.why_it_matters,
            updated=t.updated,
            stale=t.stale,
            single_origin=self.party(t.one_sided),
        )

    def figure_group(self, g: FigureGroup) -> FigureGroupOut:
        current = set(map(id, g.current))
        reports = [
            FigureOut(
                id=f.id,
                label=f.label,
                value=f.value,
                unit=f.unit,
                as_of=f.as_of,
                reported_by=self.party(f.by),
                via=self.party(f.via),
                note=f.note,
                article=self.article(f.article),
                current=id(f) in current,
                part_of=f.part_of,
                derived=f.derived,
                one_sided=f.one_sided,
            )
            for f in g.figures
        ]
        return FigureGroupOut(
            measure=g.measure, label=g.label, disagree=g.disagree, low=g.low, high=g.high, reports=reports
        )

    def claim(self, c: Claim) -> ClaimOut:
        return ClaimOut(
            by=self.party(c.by),
            kind=c.kind,
            text=c.text,
            status=c.status,
            date=c.date,
            evidence=c.evidence,
            assessment=c.assessment,
            settle=c.settle,
            article=self.article(c.article),
        )

    def timeline(self, b: Briefing) -> dict:
        """TimelineJS's JSON: a title slide and one slide per event."""
        t = b.topic
        events = []
        for n, e in enumerate(b.timeline, start=1):
            when = e.when
            start = {"year": when.year, "month": when.month, "day": when.day}
            if isinstance(when, dt.datetime) and (when.hour or when.minute):
                start.update(hour=when.hour, minute=when.minute)
            a = e.article
            source = f'Reported in <a href="{escape(self.abs(a.url_path))}">{escape(a.title)}</a>'
            events.append(
                {
                    "start_date": start,
                    "text": {"headline": str(escape(e.text)), "text": source},  # TimelineJS reads both as HTML
                    "unique_id": f"{t.slug}-{n}",
                }
            )
        return {
            "title": {
                "text": {
                    "headline": str(escape(t.title)),
                    "text": f'{escape(t.meta.summary)} <a href="{escape(self.abs(t.url_path))}">The full briefing</a>',
                }
            },
            "events": events,
        }


_json = file_bytes  # indented JSON, as json.dumps(indent=1, ensure_ascii=False) writes it


def exports(site: Site, pages: list[Page], renderer) -> dict[str, bytes]:
    """briefing.json and timeline.json for every topic, and the briefing schema."""
    out = {SCHEMA_PATH: schema_bytes(site.config.base_url)}
    out.update(topic_exports(site, pages, renderer))
    return out


def topic_exports(site: Site, pages: list[Page], renderer) -> dict[str, bytes]:
    """briefing.json and timeline.json for the topic of every pack page in ``pages``."""
    exporter = Exporter(site, renderer)
    out = {}
    for page in pages:
        if page.kind != "pack":  # the pack holds the whole (unpaginated) briefing of its topic
            continue
        b = page.context["b"]
        briefing, timeline = topic_paths(b.topic)
        out[briefing] = briefing_bytes(exporter.briefing(b))
        out[timeline] = _json(exporter.timeline(b))
    return out


def briefing_bytes(export: BriefingExport) -> bytes:
    """The file ``briefing.json``: ``export`` as ``_json(export.model_dump(mode="json"))`` writes it.

    pydantic writes its own JSON (``model_dump_json``, in Rust) with the same text: the same strings
    (``model_dump`` made them), the same escapes (``ensure_ascii=False``'s), the same indentation and
    separators, the same integers, and a float's shortest digits, as ``repr`` writes them unless ``repr``
    uses an exponent (``1e+16``, ``1e-05``: pydantic writes ``1e16``, ``0.00001``) or it is NaN or
    infinite. Figures' numbers are the export's only floats: with any such one, or if pydantic cannot write
    it, the export goes through ``model_dump`` and ``_json``. That way made a Python dict of tens of thousands
    of values for a large topic and walked it again (``jsontext.same_as_json``): a third slower at 4,000 articles."""
    numbers = [v for g in export.figures for v in (g.low, g.high, *(f.value for f in g.reports))]
    if same_as_json(numbers):  # no exponent, NaN or infinity (nor an integer past 64 bits: the plain path too)
        try:
            return export.model_dump_json(indent=1).encode("utf-8") + b"\n"
        except (ValueError, UnicodeEncodeError):  # pydantic's own errors are ValueErrors
            pass
    return _json(export.model_dump(mode="json"))
