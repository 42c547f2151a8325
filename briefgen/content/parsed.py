"""What an article file parsed to, as a data-only record the build database keeps on disk.

A command-line rebuild in which one article changed would otherwise parse the YAML of every other one,
validate it with pydantic and look up its lines again. A record holds what that work found and nothing
that depends on the project around it: the validated front matter, the line of every key and item (for
located errors), and the body with the line it starts on. The loader makes the Article fields from it
as it does after parsing (dates made aware in the site's zone, the workflow checks), so a record does not
depend on the time zone or the config.

The front matter is decoded by msgspec straight into structs generated from ``schema.ArticleIn`` (same
field names, same nesting; ids keep their pattern, so a record cannot name a path the schema refuses):
the loader and the linker read it by attribute, as they read the pydantic model. A record is written only
when decoding it gives back exactly what was validated (types, values and time zones: ``_same``), and a
record that does not decode to that shape is refused (``decode_record`` raises), never half used.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Annotated, Any, Literal, Union

import msgspec
from pydantic import BaseModel, StringConstraints

from briefgen.content import schema
from briefgen.content.yamlsource import YamlDoc

_ARTICLES_MAX = 50_000
_SEP = "/"  # between the parts of a location; an index is written "#3"


def _has_date(annotation: Any) -> bool:
    """Whether a field may hold a date (``schema.When``): msgspec cannot tell a date from a datetime in one field."""
    if annotation is dt.date:
        return True
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return any(_has_date(arg) for arg in typing.get_args(annotation))
    return False


def _view_type(annotation: Any) -> Any:
    """The msgspec type that decodes what a pydantic field of ``annotation`` validated."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *extra = typing.get_args(annotation)
        limits = {}
        for item in extra:
            if isinstance(item, StringConstraints):
                limits.update({k: getattr(item, k) for k in _CHECKED if getattr(item, k) is not None})
        return Annotated[_view_type(base), msgspec.Meta(**limits)] if limits else _view_type(base)
    if origin in (Union, types.UnionType):
        return Union[tuple(_view_type(arg) for arg in typing.get_args(annotation))]  # noqa: UP007
    if origin is list:
        return list[_view_type(typing.get_args(annotation)[0])]
    if origin is Literal or annotation in (str, int, float, bool, type(None), dt.datetime):
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _view(annotation)
    raise TypeError(f"no record type for {annotation!r}")  # a date inside a list, a new kind of field: say so


def _either(name: str) -> property:
    """A date-or-datetime field, read from the two fields it is stored in."""
    day, moment = name + "_d", name + "_t"
    return property(lambda self: getattr(self, moment) if getattr(self, day) is None else getattr(self, day))


_VIEWS: dict[type, type] = {}
_CHECKED = ("max_length",)  # every id; the slug (a path) also keeps its pattern (_view)


def _view(model: type[BaseModel]) -> type:
    """A msgspec struct with ``model``'s fields, in order, decoded from a JSON array; a field that may hold
    a date or a datetime is two fields (``name_d``, ``name_t``) read through a property of its name."""
    found = _VIEWS.get(model)
    if found is None:
        fields, namespace = [], {}
        for name, info in model.model_fields.items():
            if _has_date(info.annotation):
                fields += [(name + "_d", dt.date | None), (name + "_t", dt.datetime | None)]
                namespace[name] = _either(name)
            elif model is schema.ArticleIn and name == "slug":
                fields.append((name, Annotated[str, msgspec.Meta(pattern=schema.ID_PATTERN, max_length=80)] | None))
            else:
                fields.append((name, _view_type(info.annotation)))
        found = _VIEWS[model] = msgspec.defstruct(
            model.__name__ + "Record", fields, array_like=True, namespace=namespace, module=__name__
        )
    return found


_RECORD = msgspec.defstruct(
    "ArticleRecord",
    [
        ("meta", _view(schema.ArticleIn)),
        ("lines", dict[str, int]),  # location ("quotes/#0/speaker") -> line
        ("first_line", int),
        ("body", str),
        ("body_line", int),
    ],
    array_like=True,
    module=__name__,
)
_DECODER = msgspec.json.Decoder(_RECORD)
_ENCODER = msgspec.json.Encoder()


class StoredDoc(YamlDoc):
    """The lines of a parsed YAML document, from a record: what ``YamlDoc.line`` answers, without the values."""

    def __init__(self, keys: dict[str, int], first_line: int):
        super().__init__(None, {}, {}, [], first_line)
        self.keys = keys

    def line(self, loc) -> int:
        keys = self.keys
        if len(loc) == 1 and loc[0].__class__ is str:  # most questions: a key of the front matter
            found = keys.get(loc[0])
            return found if found is not None else keys.get("", self.first_line)
        parts = [p if p.__class__ is str else f"#{p}" for p in loc]
        while parts:
            found = keys.get(_SEP.join(parts))
            if found is not None:
                return found
            parts.pop()
        return keys.get("", self.first_line)


def _key(loc: tuple) -> str | None:
    if len(loc) == 1:  # most locations: a key of the front matter, written as it is
        p = loc[0]
        if p.__class__ is str and _SEP not in p and p[:1] != "#":
            return p
    parts = []
    for p in loc:
        cls = p.__class__
        if cls is str and _SEP not in p and p[:1] != "#":
            parts.append(p)
            continue
        if cls is int:
            parts.append(f"#{p}")
            continue
        if isinstance(p, bool) or not isinstance(p, (int, str)) or (isinstance(p, str) and (_SEP in p or p[:1] == "#")):
            return None  # cannot be written unambiguously: no record
        parts.append(f"#{p}" if isinstance(p, int) else p)
    return _SEP.join(parts)


_PLANS: dict[type, list[tuple[str, bool]]] = {}


def _plan(model: type[BaseModel]) -> list[tuple[str, bool]]:
    """``model``'s fields in order, each with whether it may hold a date (worked out once per model)."""
    found = _PLANS.get(model)
    if found is None:
        found = _PLANS[model] = [(name, _has_date(info.annotation)) for name, info in model.model_fields.items()]
    return found


def _plain(value):
    """A validated value as the record's JSON data: models as arrays of their fields (a date-or-datetime as two)."""
    if isinstance(value, BaseModel):
        out = []
        for name, date in _plan(type(value)):
            item = getattr(value, name)
            if date:
                moment = isinstance(item, dt.datetime)
                out += [None if moment else item, item if moment else None]
            elif isinstance(item, (BaseModel, list)):
                out.append(_plain(item))
            else:
                out.append(item)
        return out
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _same(a, b) -> bool:
    """Whether ``b`` (decoded) is ``a`` (validated) exactly: same types, values and time zones."""
    cls = a.__class__
    if cls is str or cls is int or cls is bool:  # most values, asked first (every article's record is checked)
        return b.__class__ is cls and a == b
    if a is None:
        return b is None
    if isinstance(a, BaseModel):
        for name, _date in _plan(cls):
            if not _same(getattr(a, name), getattr(b, name, _same)):
                return False
        return True
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and repr(a) == repr(b)


def encode_record(meta: schema.ArticleIn, doc: YamlDoc, body: str, body_line: int) -> bytes | None:
    """The record of a parsed article, or None when it would not decode to exactly this."""
    keys = {}
    for loc, line in doc.lines.items():
        key = _key(loc)
        if key is None or key in keys:
            return None
        keys[key] = line
    try:
        data = _ENCODER.encode([_plain(meta), keys, doc.first_line, body, body_line])
        back = decode_record(data)
    except (TypeError, ValueError, msgspec.MsgspecError):
        return None
    return data if _same(meta, back[0]) and back[2] == body and back[3] == body_line else None


def decode_record(data: bytes | str) -> tuple[Any, StoredDoc, str, int]:
    """(front matter, its lines, body, body's first line) from ``encode_record``'s bytes; raises
    ``msgspec.MsgspecError`` (or ValueError) for anything else."""
    record = _DECODER.decode(data)
    return record.meta, StoredDoc(record.lines, record.first_line), record.body, record.body_line


class ParsedArticles:
    """A memo of the build database: what each article file parsed to, so that a serve rebuild parses and
    validates only the files that changed.

    (path, time zone) -> (stamp, (Article fields, validated front matter, YAML)). The stamp is the file's
    content hash when the build knows it (``digests``, the input table's hashes: the same the incremental
    build trusts), and the text otherwise. Each build gets a fresh Article from the fields: linking fills in
    its lists. ``remember=False`` (a build no other follows): nothing is kept; at 4,000 articles the YAML
    trees and validated front matter are 50 MB.
    """

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[str, tuple[dict, schema.ArticleIn, YamlDoc]]] = {}
        self.digests: dict[str, str] = {}  # input path -> content hash, for the build that runs
        self.remember = True

    def start(self, digests: dict[str, str], remember: bool) -> None:
        self.digests, self.remember = digests, remember
        if not remember:
            self.entries.clear()

    def finish(self) -> None:
        self.digests, self.remember = {}, True

    def keep(self, key: tuple[str, str], stamp: str, found: tuple) -> None:
        if not self.remember:
            return
        if len(self.entries) >= _ARTICLES_MAX:
            self.entries.clear()
        self.entries[key] = (stamp, found)
