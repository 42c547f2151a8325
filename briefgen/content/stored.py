"""A linked article as data only, and back: the records of the stored model (``briefgen.engine.storedmodel``).

A record is what ``site.load_site`` made of one article (before review): its fields, its rendered body and
the ids of its body's headings (another article's ``#anchor`` links are checked against them), with every
reference to a topic or a party written as its slug or id. Records are msgpack, decoded by msgspec into the
structs below (types checked in C): nothing in one can run code or become an object of a type not named
here. Dates keep their kind and their time zone exactly (a ``ZoneInfo`` by its key, a fixed offset as
seconds); a value of any other kind is not stored (``encode_article`` raises TypeError: no stored model).

``decode_article`` makes a fresh ``Article`` from a record, its topics and parties looked up in the site
being rebuilt (an unknown one raises KeyError: the record is not for this site), its pictures' copies kept
in ``images`` as the loader's are.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

from briefgen.content.images import Picture, Variant
from briefgen.content.model import Article, Citation, Claim, Correction, Event, Figure, Quote

When = str | None  # "d|2025-02-23", "t0z<zone>|2025-02-23T11:30:00", "t0o7200|...": see _when


class CitationR(msgspec.Struct, array_like=True):
    source: str
    url: str | None
    note: str


class QuoteR(msgspec.Struct, array_like=True):
    speaker: str
    text: str
    said: When
    where: str
    via: str | None
    line: int | None
    key: bool | int
    undated: bool


class FigureR(msgspec.Struct, array_like=True):
    id: str
    label: str
    value: int | float
    unit: str
    as_of: When
    by: str
    measure: str
    note: str
    via: str | None
    line: int | None
    part_of: str | None
    derived: str
    one_sided: bool


class EventR(msgspec.Struct, array_like=True):
    when: str
    text: str
    inferred: bool


class ClaimR(msgspec.Struct, array_like=True):
    question: str
    by: str
    text: str
    status: str | None
    date: When
    evidence: str
    line: int | None
    kind: str
    assessment: str
    settle: str


class CorrectionR(msgspec.Struct, array_like=True):
    date: str
    text: str
    line: int | None


class PictureR(msgspec.Struct, array_like=True):
    source: str
    path: str
    digest: str
    alt: str
    caption: str
    credit: str
    width: int
    height: int
    fallback: str
    variants: list[tuple[int, int, list[tuple[str, str]]]]


class ArticleR(msgspec.Struct, array_like=True):
    slug: str
    path: str
    source_name: str
    title: str
    date: str
    updated: When
    summary: str
    dateline: str
    author: str
    body_line: int
    bodies: msgspec.Raw  # [body_md, body_html], decoded when first read (StoredArticle)
    toc: list[tuple[int, str, str]]
    topics: list[str]
    people: list[str]
    citations: list[CitationR]
    quotes: list[QuoteR]
    figures: list[FigureR]
    events: list[EventR]
    claims: list[ClaimR]
    confidence: str | None
    analysis: str
    lines: dict[str, int | None]
    draft: bool
    publish_at: When
    expires_at: When
    corrections: list[CorrectionR]
    author_ids: list[str]
    authors: list[str]
    preview: str
    image: PictureR | None
    pictures: list[PictureR]
    links_to: list[str]
    ids: list[str]  # every heading id of the body
    anchors: list[tuple[int, str, str]]  # its links to a heading of another article (``Rendered.content_links``)


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ArticleR)
_bodies = msgspec.msgpack.Decoder(tuple[str, str])
_LATER = object()  # a body StoredArticle decodes when it is first read


class StoredArticle(Article):
    """An ``Article`` made from a record. Its Markdown and HTML (nine tenths of a record) are decoded from the
    record when one is first read: a one-article edit reads few besides the edited one's."""

    _record: msgspec.Raw | None = None

    def _decode(self) -> None:
        md, html = _bodies.decode(self._record)
        self.__dict__.setdefault("_body_md", md)
        self.__dict__.setdefault("_body_html", html)

    def _get_md(self) -> str:
        if "_body_md" not in self.__dict__:
            self._decode()
        return self.__dict__["_body_md"]

    def _set_md(self, value: str) -> None:
        if value is not _LATER:
            self.__dict__["_body_md"] = value

    def _get_html(self) -> str:
        if "_body_html" not in self.__dict__:
            self._decode()
        return self.__dict__["_body_html"]

    def _set_html(self, value: str) -> None:
        if value is not _LATER:
            self.__dict__["_body_html"] = value

    body_md = property(_get_md, _set_md)
    body_html = property(_get_html, _set_html)


_zones: dict[str, dt.tzinfo] = {}


def _zone(tz) -> str:
    if isinstance(tz, ZoneInfo) and tz.key:
        return "z" + tz.key
    if isinstance(tz, dt.timezone):
        offset = tz.utcoffset(None)
        if offset.microseconds or tz.tzname(None) != dt.timezone(offset).tzname(None):
            raise TypeError("a named or sub-second time zone")
        return "o" + str(int(offset.total_seconds()))
    raise TypeError(f"a time zone of type {type(tz).__name__}")


def encode_when(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return f"t{value.fold}{_zone(value.tzinfo)}|{value.replace(tzinfo=None).isoformat()}"
    if isinstance(value, dt.date):
        return "d|" + value.isoformat()
    raise TypeError(f"cannot store a {type(value).__name__} as a date")


def _from_zone(code: str) -> dt.tzinfo:
    tz = _zones.get(code)
    if tz is None:
        if code[0] == "z":
            tz = ZoneInfo(code[1:])
        elif code[0] == "o":
            tz = dt.timezone(dt.timedelta(seconds=int(code[1:])))
        else:
            raise ValueError("unknown time zone code")
        _zones[code] = tz
    return tz


def decode_when(text: str | None):
    if text is None:
        return None
    head, sep, iso = text.partition("|")
    if not sep:
        raise ValueError("not a stored date")
    if head == "d":
        return dt.date.fromisoformat(iso)
    if head[:1] != "t" or head[1:2] not in ("0", "1") or len(head) < 4:
        raise ValueError("not a stored date")
    return dt.datetime.fromisoformat(iso).replace(tzinfo=_from_zone(head[2:]), fold=int(head[1]))


def _picture(pic: Picture) -> PictureR:
    variants = [(v.width, v.height, [tuple(o) for o in v.outputs]) for v in pic.variants]
    return PictureR(
        pic.source,
        pic.path,
        pic.digest,
        pic.alt,
        pic.caption,
        pic.credit,
        pic.width,
        pic.height,
        pic.fallback,
        variants,
    )


def _from_picture(r: PictureR, images) -> Picture:
    variants = [Variant(w, h, tuple((f, p) for f, p in outputs)) for w, h, outputs in r.variants]
    return Picture(
        r.source, r.path, r.digest, r.alt, r.caption, r.credit, r.width, r.height, r.fallback, variants, images
    )


def _via(party) -> str | None:
    return None if party is None else party.id


def encode_article(a: Article, ids, links) -> bytes:
    """``a``'s record (msgpack); ``ids``: its body's heading ids, ``links``: its links to other content files
    (``Rendered.content_links``). Raises TypeError for what cannot be stored."""
    w = encode_when
    return _encoder.encode(
        ArticleR(
            a.slug, a.path, a.source_name, a.title, w(a.date), w(a.updated), a.summary, a.dateline, a.author,
            a.body_line, msgspec.Raw(_encoder.encode((a.body_md, a.body_html))), [tuple(h) for h in a.toc], [t.slug for t in a.topics],
            [p.id for p in a.people], [CitationR(c.source.id, c.url, c.note) for c in a.citations],
            [
                QuoteR(q.speaker.id, q.text, w(q.said), q.where, _via(q.via), q.line, q.key, q.undated)
                for q in a.quotes
            ],
            [
                FigureR(
                    f.id, f.label, f.value, f.unit, w(f.as_of), f.by.id, f.measure, f.note, _via(f.via), f.line,
                    f.part_of, f.derived, f.one_sided,
                )
                for f in a.figures
            ],
            [EventR(w(e.when), e.text, e.inferred) for e in a.events],
            [
                ClaimR(
                    c.question, c.by.id, c.text, c.status, w(c.date), c.evidence, c.line, c.kind, c.assessment,
                    c.settle,
                )
                for c in a.claims
            ],
            a.confidence, a.analysis, dict(a.lines), a.draft, w(a.publish_at), w(a.expires_at),
            [CorrectionR(w(c.date), c.text, c.line) for c in a.corrections], list(a.author_ids),
            [p.id for p in a.authors], a.preview, _picture(a.image) if a.image is not None else None,
            [_picture(p) for p in a.pictures], sorted(a.links_to), sorted(ids),
            [tuple(x) for x in links if "#" in x[2]],
        )
    )  # fmt: skip


def decode_record(raw) -> ArticleR:
    """The record in ``raw`` (bytes or ``msgspec.Raw``); raises ``msgspec.MsgspecError`` if it is not one."""
    return _decoder.decode(raw)


def decode_article(r: ArticleR, topics: dict, parties: dict, images) -> Article:
    """A fresh, linked ``Article`` from record ``r``; KeyError if it names a topic or party ``topics`` or
    ``parties`` lack, ValueError for a malformed date."""
    d = decode_when
    a = StoredArticle(
        r.slug, r.path, r.source_name, r.title, d(r.date), d(r.updated), r.summary, r.dateline, r.author,
        _LATER, r.body_line, _LATER, [tuple(h) for h in r.toc], [topics[s] for s in r.topics],
        [parties[i] for i in r.people], [Citation(parties[c.source], c.url, c.note) for c in r.citations],
    )  # fmt: skip
    via = lambda key: None if key is None else parties[key]  # noqa: E731
    a.quotes = [
        Quote(parties[q.speaker], q.text, d(q.said), q.where, via(q.via), a, q.line, q.key, q.undated) for q in r.quotes
    ]
    a.figures = [
        Figure(
            f.id, f.label, f.value, f.unit, d(f.as_of), parties[f.by], f.measure, f.note, via(f.via), a, f.line,
            f.part_of, f.derived, f.one_sided,
        )
        for f in r.figures
    ]  # fmt: skip
    a.events = [Event(d(e.when), e.text, a, e.inferred) for e in r.events]
    a.claims = [
        Claim(
            c.question, parties[c.by], c.text, c.status, d(c.date), c.evidence, a, c.line, c.kind, c.assessment,
            c.settle,
        )
        for c in r.claims
    ]  # fmt: skip
    a.confidence, a.analysis, a.lines, a.draft = r.confidence, r.analysis, r.lines, r.draft
    a.publish_at, a.expires_at = d(r.publish_at), d(r.expires_at)
    a.corrections = [Correction(d(c.date), c.text, c.line) for c in r.corrections]
    a.author_ids, a.authors, a.preview = r.author_ids, [parties[i] for i in r.authors], r.preview
    a.image = _from_picture(r.image, images) if r.image is not None else None
    a.pictures = [_from_picture(p, images) for p in r.pictures]
    a.links_to = set(r.links_to)
    a._record = r.bodies
    return a
