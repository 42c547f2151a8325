"""Turn pydantic validation errors into located, explained problems.

pydantic says *what* is wrong in its own words ("Input should be a valid
string"); an author needs *where* (the YAML line, from ``YamlDoc``) and *how
to fix it* in the terms of the file they are editing: "quote it", "did you
mean 'summary'?", "remove the quotes so YAML reads it as a date".
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from slugify import slugify

from briefgen.content.schema import NOT_AN_OPTION_PATTERN, URL_PATTERN
from briefgen.content.yamlsource import YamlDoc
from briefgen.problems import Problems

_DATE_HINT = "write a date like 2025-02-23 or a date and time like 2025-02-23T11:30:00+02:00"
_TYPE_NAMES = {"str", "int", "float", "bool", "date", "datetime", "list", "dict", "none", "constrained-str"}
_YAML_NAMES = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    dt.date: "a date",
    dt.datetime: "a date and time",
}


def _submodel(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class that describes the mapping at ``loc`` inside ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _unwrap(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _unwrap(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    return annotation


def _clean_loc(loc: tuple, doc: YamlDoc, prefix: tuple) -> tuple:
    """Drop the union-member tags pydantic adds (``('date', 'datetime')``).

    A tag follows a value that is not a mapping; a key (even one named like a
    type, such as ``date``) is inside a mapping, so it is kept.
    """
    out: list = []
    for part in loc:
        candidate = prefix + tuple(out) + (part,)
        if (
            isinstance(part, str)
            and candidate not in doc.lines
            and not isinstance(_value_at(doc.data, candidate[:-1]), dict)
            and (part in _TYPE_NAMES or "[" in part or part.startswith("function"))
        ):
            continue
        out.append(part)
    return tuple(out)


def _value_at(data: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _dotted(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _value_text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _yaml_kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    for kind in (bool, dt.datetime, dt.date, int, float):
        if isinstance(value, kind):
            return _YAML_NAMES[kind]
    return type(value).__name__


def validate(
    model: type[BaseModel], doc: YamlDoc, path: str, problems: Problems, prefix: tuple = ()
) -> BaseModel | None:
    """Validate ``doc.data`` (or the part at ``prefix``) against ``model``.

    Every error becomes a problem at the line of the offending value.
    """
    data = doc.data
    for part in prefix:
        data = data[part]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        seen: set[tuple] = set()
        errors = exc.errors()
        misspelt = _misspelt(errors)
        for err in errors:
            loc = prefix + _clean_loc(tuple(err["loc"]), doc, prefix)
            if loc in seen or (err["type"] == "missing" and tuple(err["loc"]) in misspelt):
                continue
            seen.add(loc)
            message, hint = _explain(model, err, loc, prefix, doc)
            line = doc.line(loc if err["type"] != "missing" else loc[:-1])
            problems.error(path, line, message, hint)
        return None


def _misspelt(errors: list) -> set[tuple]:
    """Missing keys that an unknown key beside them misspells (``sumary:``): said once, as "did you mean"."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    covered = set()
    for e in errors:
        if e["type"] != "extra_forbidden":
            continue
        parent, key = tuple(e["loc"][:-1]), str(e["loc"][-1])
        names = [loc[-1] for loc in missing if loc[:-1] == parent]
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        if close:
            covered.add(parent + (close[0],))
    return covered


def _item(loc: tuple) -> str:
    """Where in a list a nested key is: ``the quote at item 2 of quotes``."""
    for i in range(len(loc) - 1, -1, -1):
        if isinstance(loc[i], int) and i > 0:
            return f" in item {loc[i] + 1} of {loc[i - 1]}"
    return f" in {_dotted(loc[:-1])}" if len(loc) > 1 else ""


def _required(model: type[BaseModel], loc: tuple, prefix: tuple) -> bool:
    sub = _submodel(model, loc[len(prefix) : -1])
    info = sub.model_fields.get(str(loc[-1])) if sub is not None else None
    return info is not None and info.is_required()


def _looks_like_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value.strip())
        return True
    except ValueError:
        return False


def _explain(model: type[BaseModel], err: dict, loc: tuple, prefix: tuple, doc: YamlDoc) -> tuple[str, str | None]:
    """The message and hint for one pydantic error at ``loc``: what is wrong, in the author's words."""
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        sub = _submodel(model, loc[len(prefix) : -1])
        known = list(sub.model_fields) if sub else []
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else (f"known keys: {', '.join(known)}" if known else None)
        return f"unknown key '{key}'", hint
    if kind == "missing":
        return f"missing required field '{loc[-1]}'{_item(loc[len(prefix) :])}", f"add '{loc[-1]}:' here"
    field = _dotted(loc)
    value = err.get("input")
    empty_hint = "write a value: it is required" if _required(model, loc, prefix) else "write a value or remove the key"
    raw = doc.raw(loc)
    if raw is not None and kind in ("string_type", "literal_error", "string_pattern_mismatch"):
        if value is None and raw.strip() == "":
            return f"{field} is empty", empty_hint
        expected = str(err.get("ctx", {}).get("expected", ""))
        if kind != "literal_error" or f"'{raw}'" in expected:
            return (
                f"{field}: YAML reads {raw} as {_yaml_kind(value)}, but text is expected",
                f'quote it: "{raw}"',
            )
    if kind in ("datetime_type", "date_type", "datetime_from_date_parsing", "date_from_datetime_parsing"):
        return _explain_date(kind, field, value)
    if kind == "string_pattern_mismatch":
        return _explain_pattern(err, field, value)
    return _explain_value(kind, err, field, value, empty_hint)


def _explain_date(kind: str, field: str, value) -> tuple[str, str | None]:
    if isinstance(value, dt.datetime) and kind.startswith("date_"):
        return f"{field}: a day is expected, not a date and time", f"write just the day, e.g. {value.date()}"
    if _looks_like_date(value):
        return f"{field}: {_value_text(value)} is quoted, so YAML reads it as text", "remove the quotes"
    return f"{field}: {_value_text(value)} is not a date", _DATE_HINT


def _explain_pattern(err: dict, field: str, value) -> tuple[str, str | None]:
    """A text that does not have the form asked for: a web address, a git remote, or an id."""
    if err.get("ctx", {}).get("pattern") == URL_PATTERN:
        return (
            f"{field}: {_value_text(value)} is not an absolute web address",
            "write it like https://example.org/page",
        )
    if err.get("ctx", {}).get("pattern") == NOT_AN_OPTION_PATTERN:
        return (
            f"{field}: {_value_text(value)} starts with '-', which git would read as an option",
            "give a URL, a path (./name for a folder named so) or a remote's name",
        )
    suggestion = slugify(str(value))
    hint = "ids use lower-case letters, digits and hyphens"
    return f"{field}: {_value_text(value)} is not a valid id", (
        f"{hint}, e.g. {suggestion}" if suggestion else f"{hint}, e.g. kyiv-source"
    )


def _explain_value(kind: str, err: dict, field: str, value, empty_hint: str) -> tuple[str, str | None]:
    """A value of the wrong type or size: a choice, a text, a list, a mapping, a number, true or false."""
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{field}: {_value_text(value)} is not allowed", f"use one of {expected}"
    if kind == "string_too_short":
        return f"{field} is empty", empty_hint.replace("a value", "some text")
    if kind == "string_too_long":
        return f"{field} is too long", f"keep it under {err.get('ctx', {}).get('max_length')} characters"
    if kind == "too_short":
        return f"{field} is empty", "list at least one item"
    if kind == "list_type":
        shown = value if isinstance(value, str) and len(value) < 40 else "..."
        return f"{field} must be a list", f"write it as [{shown}] or as '- item' lines"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if value is None:
            return f"{field} is empty", "write its keys indented below it, e.g. '  name: ...'"
        return f"{field} must be a mapping of keys to values, not {_value_text(value)}", "write 'key: value' lines"
    if kind in ("int_type", "float_type", "int_parsing", "float_parsing", "finite_number"):
        return f"{field}: {_value_text(value)} is not a number", "write a plain number such as 267 or 3.5"
    if kind == "string_type":
        if value is None:
            return f"{field} is empty", empty_hint
        return f"{field}: expected text, got {_yaml_kind(value)} {_value_text(value)}", "quote the value"
    if kind == "bool_type":
        return f"{field}: {_value_text(value)} is not true or false", "write true or false"
    return f"{field}: {err['msg']}", None
