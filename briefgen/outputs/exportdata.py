"""A topic's ``briefing.json`` as plain JSON data, made without building pydantic models.

``exports.Exporter.briefing`` builds the ``BriefingExport`` model and dumps it (``model_dump(mode="json")``);
validating every nested model again cost a one-article edit tens of milliseconds per topic, for data the
content schema validated already. ``briefing_data`` writes the same dictionaries straight away: the same
keys in the models' field order, dates and times through pydantic's own serialiser
(``pydantic_core.to_jsonable_python``, what ``model_dump`` writes). It checks each value's type as it goes;
a value the models would convert or refuse (a ``str`` subclass, a ``bool`` where a number goes, a status
outside its ``Literal``) raises ``Unusual``, and the caller then takes the pydantic path, which converts or
refuses it as before. tests/test_export_data.py compares the two on every topic of the example and of a
generated corpus, and on unusual values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pydantic_core import to_jsonable_python

FORMAT = 1
PARTY_KINDS = frozenset({"person", "organisation", "outlet", "originator"})
STATUSES = frozenset({"developing", "dormant", "concluded"})
CONFIDENCES = frozenset({"low", "moderate", "high"})
CLAIM_KINDS = frozenset({"fact", "position"})
CLAIM_STATUSES = frozenset({"confirmed", "disputed", "unverified", "false"})


class Unusual(Exception):
    """A value the pydantic models would convert or refuse: take their path instead."""


def _str(value) -> str:
    if type(value) is not str:
        raise Unusual(value)
    return value


def _opt_str(value) -> str | None:
    return None if value is None else _str(value)


def _bool(value) -> bool:
    if type(value) is not bool:
        raise Unusual(value)
    return value


def _number(value) -> int | float:
    if type(value) is not int and type(value) is not float:
        raise Unusual(value)
    return value


def _of(value, allowed: frozenset) -> str:
    if type(value) is not str or value not in allowed:
        raise Unusual(value)
    return value


def _when(value, none: bool = True, date: bool = True) -> str | None:
    """A date or a time as ``model_dump(mode="json")`` writes it (``date``: a plain date is allowed too)."""
    kind = type(value)
    if value is None and none:
        return None
    if kind is dt.datetime or (date and kind is dt.date):
        return to_jsonable_python(value)
    raise Unusual(value)


class BriefingData:
    """``briefing_data``'s helpers: the site's title and how to make an absolute URL."""

    def __init__(self, site_title: str, absolute: Callable[[str], str]):
        self.site_title = site_title
        self.abs = absolute

    def party(self, p) -> dict | None:
        if p is None:
            return None
        return {
            "id": _str(p.id),
            "name": _str(p.name),
            "kind": _of(p.kind, PARTY_KINDS),
            "url": _str(self.abs(p.url_path)),
            "homepage": _opt_str(p.url),
        }

    def article(self, a) -> dict:
        return {
            "slug": _str(a.slug),
            "title": _str(a.title),
            "url": _str(self.abs(a.url_path)),
            "date": _when(a.date, none=False, date=False),
        }

    def briefing(self, b) -> dict:
        """What ``Exporter.briefing(b).model_dump(mode="json")`` gives, or ``Unusual``."""
        article = self.article
        return {
            "format": FORMAT,
            "generator": "briefgen",
            "site": _str(self.site_title),
            "topic": self.topic(b.topic),
            "figures": [self.figure_group(g) for g in b.figures],
            "timeline": [
                {"date": _when(e.when, none=False), "text": _str(e.text), "article": article(e.article)}
                for e in b.timeline
            ],
            "quotes": [self.quote(q) for q in b.quotes],
            "claims": [{"question": _str(g.question), "claims": [self.claim(c) for c in g.claims]} for g in b.claims],
            "sources": [
                {"source": self.party(u.source), "cited_in": [article(a) for a in u.articles]} for u in b.sources
            ],
            "articles": [
                {
                    **article(a),
                    "summary": _str(a.summary),
                    "dateline": _str(a.dateline),
                    "updated": _when(a.updated, date=False),
                }
                for a in b.latest
            ],
            "watch": [{"date": _day(w.date), "text": _str(w.text)} for w in b.watch],
        }

    def topic(self, t) -> dict:
        meta = t.meta
        return {
            "slug": _str(t.slug),
            "title": _str(t.title),
            "url": _str(self.abs(t.url_path)),
            "status": _of(meta.status, STATUSES),
            "summary": _str(meta.summary),
            "confidence": None if meta.confidence is None else _of(meta.confidence, CONFIDENCES),
            "why_it_matters": _str(meta.why_it_matters),
            "updated": _when(t.updated, date=False),
            "stale": _bool(t.stale),
            "single_origin": self.party(t.one_sided),
        }

    def figure_group(self, g) -> dict:
        current = set(map(id, g.current))
        reports = [
            {
                "id": _str(f.id),
                "label": _str(f.label),
                "value": _number(f.value),
                "unit": _str(f.unit),
                "as_of": _when(f.as_of),
                "reported_by": self.party(f.by),
                "via": self.party(f.via),
                "note": _str(f.note),
                "article": self.article(f.article),
                "current": id(f) in current,
                "part_of": _opt_str(f.part_of),
                "derived": _str(f.derived),
                "one_sided": _bool(f.one_sided),
            }
            for f in g.figures
        ]
        return {
            "measure": _str(g.measure),
            "label": _str(g.label),
            "disagree": _bool(g.disagree),
            "low": _number(g.low),
            "high": _number(g.high),
            "reports": reports,
        }

    def quote(self, q) -> dict:
        return {
            "text": _str(q.text),
            "speaker": self.party(q.speaker),
            "said": _when(q.said),
            "where": _str(q.where),
            "via": self.party(q.via),
            "article": self.article(q.article),
        }

    def claim(self, c) -> dict:
        return {
            "by": self.party(c.by),
            "kind": _of(c.kind, CLAIM_KINDS),
            "text": _str(c.text),
            "status": None if c.status is None else _of(c.status, CLAIM_STATUSES),
            "date": _when(c.date),
            "evidence": _str(c.evidence),
            "assessment": _str(c.assessment),
            "settle": _str(c.settle),
            "article": self.article(c.article),
        }


def _day(value) -> str | None:
    """A ``date | None`` field: a plain date only (pydantic would refuse a time there)."""
    if value is None:
        return None
    if type(value) is not dt.date:
        raise Unusual(value)
    return to_jsonable_python(value)
