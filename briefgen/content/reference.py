"""The content reference's field tables, generated from the schema (``briefgen.content.schema``).

docs/content.md carries one Markdown table per model of the schema, between
``<!-- schema:Name -->`` markers; a test fails when they drift apart. Regenerate them with
``python -m briefgen.content.reference docs/content.md``.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel

from briefgen.content.schema import ID_PATTERN, URL_PATTERN, ArticleIn, PartyIn, SiteConfig, SourceIn, TopicIn


def _type_name(annotation) -> str:
    if annotation is type(None):
        return ""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        for meta in extra:
            pattern = getattr(meta, "pattern", None)
            if pattern == ID_PATTERN:
                return "id"
            if pattern == URL_PATTERN:
                return "URL"
        return "text" if base is str else _type_name(base)
    if origin in (typing.Union, types.UnionType):
        names = [n for n in (_type_name(a) for a in typing.get_args(annotation)) if n]
        return " or ".join(dict.fromkeys(names))
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is typing.Literal:
        return " / ".join(f"`{v}`" for v in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"mapping ({annotation.__name__})"
    return {
        str: "text",
        int: "integer",
        float: "number",
        bool: "true / false",
        dt.date: "date",
        dt.datetime: "date and time",
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _table(model: type[BaseModel]) -> str:
    rows = ["| key | type | required or default | what it is |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        if info.is_required():
            need = "required"
        else:
            default = info.get_default(call_default_factory=True)
            if isinstance(default, BaseModel) or default in ("", [], None):
                need = "optional"
            else:
                need = f"default `{str(default).lower() if isinstance(default, bool) else default}`"
        kind = _type_name(info.annotation)
        patterns = {getattr(m, "pattern", None) for m in info.metadata}  # pydantic moves a field's Id here
        if kind == "text" and ID_PATTERN in patterns:
            kind = "id"
        elif kind == "text" and URL_PATTERN in patterns:
            kind = "URL"
        rows.append(f"| `{name}` | {kind} | {need} | {info.description or ''} |")
    return "\n".join(rows)


def _models(model: type[BaseModel], seen: list) -> list[type[BaseModel]]:
    if model in seen:
        return seen
    seen.append(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            current = stack.pop()
            if isinstance(current, type) and issubclass(current, BaseModel):
                _models(current, seen)
            stack.extend(typing.get_args(current))
    return seen


def reference_tables() -> dict[str, str]:
    """One Markdown table per model, between markers, as docs/content.md carries them."""
    out = {}
    for root in (SiteConfig, TopicIn, PartyIn, SourceIn, ArticleIn):
        for model in _models(root, []):
            name = model.__name__
            if name not in out:
                out[name] = f"<!-- schema:{name} -->\n{_table(model)}\n<!-- /schema:{name} -->"
    return out


def update_reference(path) -> bool:
    """Rewrite the tables in the reference at ``path``; True when it changed."""
    path = Path(path)
    text = original = path.read_text(encoding="utf-8")
    for name, table in reference_tables().items():
        pattern = re.compile(rf"<!-- schema:{name} -->.*?<!-- /schema:{name} -->", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m, t=table: t, text)
        else:
            text += f"\n\n### {name}\n\n{table}\n"
    if text != original:
        path.write_text(text, encoding="utf-8")
    return text != original


if __name__ == "__main__":  # python -m briefgen.content.reference docs/content.md
    import sys

    for target in sys.argv[1:] or ["docs/content.md"]:
        print(f"{target}: {'updated' if update_reference(target) else 'up to date'}")
