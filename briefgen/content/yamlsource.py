"""Strict YAML: safe loading that remembers where every value came from.

PyYAML's composer (the C one when available) gives a node tree with marks; we
construct plain Python values from it ourselves so that we can

* keep a line number for every key and item (``YamlDoc.line(loc)``), which
  turns a validation error's location into ``path:line``;
* refuse anchors, aliases and merge keys (alias bombs, surprising sharing),
  and any tag beyond plain data (``!!binary``, ``!!python/...``, ``!custom``);
* report duplicate keys with both line numbers instead of keeping the last;
* remember which values were *plain* (unquoted) scalars that YAML 1.1 turned
  into something else (``NO`` -> False, ``1.10`` -> 1.1, ``012`` -> 10,
  ``2025-02-23`` -> a date, ``~`` -> null), so a "wrong type" error can say
  "quote it";
* turn the constructor's own failures (``2025-02-30``, a 5,000-digit number,
  nesting hundreds of levels deep) into located problems, never tracebacks.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is much faster; fall back to the pure-Python parser.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Loc = tuple[str | int, ...]

_T = "tag:yaml.org,2002:"
_STR_TAG = _T + "str"
_TIMESTAMP_TAG = _T + "timestamp"
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a date alone, as YAML's timestamp pattern reads one
# a date and time to the minute, unquoted (YAML 1.1 timestamps need seconds): read as a date and time
_TO_THE_MINUTE = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(?:[Zz]|[+-]\d\d:\d\d)?")
_ALLOWED_TAGS = {_T + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
# Characters XML 1.0 (feeds, sitemaps) cannot carry and HTML treats as errors; tab and newline are fine.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
MAX_DEPTH = 32  # no briefgen file needs more than ~5 levels; deeper is a mistake or an attack


class YamlProblem(Exception):
    def __init__(self, line: int | None, message: str, hint: str | None = None):
        super().__init__(message)
        self.line = line
        self.message = message
        self.hint = hint


@dataclass
class YamlDoc:
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    plain: dict[Loc, str] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)
    first_line: int = 1

    def line(self, loc: Loc) -> int:
        """Line of the value at ``loc``, or of its closest recorded parent."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), self.first_line)

    def raw(self, loc: Loc) -> str | None:
        """The source text of a plain scalar that YAML did not read as a string."""
        return self.plain.get(tuple(loc))


class _Builder:
    def __init__(self, offset: int):
        self.offset = offset  # 0-based line of the document's first line in its file
        self.doc = YamlDoc(None, first_line=offset + 1)
        self.seen: set[int] = set()
        self.scalars = yaml.constructor.SafeConstructor()

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def build(self, node: yaml.Node, loc: Loc, at_line: int | None = None) -> Any:
        if id(node) in self.seen:
            raise YamlProblem(
                at_line or self.line_of(node),
                "anchors and aliases (&name / *name) are not allowed",
                "write the value out in full",
            )
        self.seen.add(id(node))
        if len(loc) > MAX_DEPTH:
            raise YamlProblem(
                self.line_of(node),
                f"values are nested more than {MAX_DEPTH} levels deep",
                "briefgen files need only a few levels; check the indentation",
            )
        if node.tag not in _ALLOWED_TAGS:
            raise YamlProblem(
                self.line_of(node),
                f"the YAML tag {node.tag.replace(_T, '!!')} is not allowed",
                "write plain text, numbers, dates, lists and mappings only",
            )
        self.doc.lines[loc] = self.line_of(node)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        value = self.scalar(node)
        if node.tag != _STR_TAG and not node.style:
            self.doc.plain[loc] = node.value
        elif isinstance(value, str) and CONTROL_CHARACTER.search(value):  # "\u0001" escapes past the file check
            bad = CONTROL_CHARACTER.search(value).group()
            self.doc.problems.append(
                YamlProblem(
                    self.line_of(node),
                    f"control character U+{ord(bad):04X} in a value",
                    "remove it: web pages and feeds cannot carry it",
                )
            )
        return value

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR_TAG:
            if not node.style and _TO_THE_MINUTE.fullmatch(value):
                # YAML's timestamps need seconds; 2031-04-28T07:15 is what people write, and means a time
                return dt.datetime.fromisoformat(value.replace("t", "T").replace("z", "Z"))
            return value  # what SafeConstructor.construct_yaml_str answers, without its bookkeeping
        if tag == _TIMESTAMP_TAG and _PLAIN_DATE.fullmatch(value):
            try:  # what construct_yaml_timestamp answers for a date alone, its ValueError included
                return dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
            except ValueError as exc:
                raise self.not_a_date(node, exc) from None
        try:
            return self.scalars.construct_object(node)
        except Exception as exc:  # noqa: BLE001 - one scalar's constructor, whatever it raises is that value's fault
            # PyYAML's constructors assume their resolver chose the tag: written out (``!!timestamp x``,
            # ``!!bool x``, ``!!int ""``) they fail on values the resolver never gives them, in any way
            # (AttributeError, KeyError, IndexError...), besides the ValueError and YAMLError they mean to raise
            if node.tag == _TIMESTAMP_TAG:
                raise self.not_a_date(node, exc) from None
            raise YamlProblem(
                self.line_of(node), f"cannot read the value {node.value[:40]!r}", f'quote it: "{node.value[:40]}"'
            ) from None

    def not_a_date(self, node: yaml.ScalarNode, exc: Exception) -> YamlProblem:
        return YamlProblem(
            self.line_of(node),
            f"{node.value} is not a real date: {exc}",
            "check the month and day; quote it if it is meant as text",
        )

    def mapping(self, node: yaml.MappingNode, loc: Loc) -> dict:
        out: dict[str, Any] = {}
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _T + "merge":
                raise YamlProblem(
                    self.line_of(key_node), "merge keys (<<) are not allowed", "write the keys out in full"
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(self.line_of(key_node), "a key must be plain text", "write 'name: value'")
            key = key_node.value
            line = self.line_of(key_node)
            if key_node.tag != _STR_TAG and not key_node.style:
                constructed = self.scalar(key_node)
                if not isinstance(constructed, str) and constructed is not None:
                    self.doc.problems.append(
                        YamlProblem(
                            line,
                            f"the key {key!r} is read by YAML as {type(constructed).__name__}",
                            f'quote it: "{key}"',
                        )
                    )
            if key in first:
                self.doc.problems.append(
                    YamlProblem(
                        line,
                        f"duplicate key {key!r} (first defined at line {first[key]})",
                        "remove one of them; YAML would silently keep the last",
                    )
                )
                continue
            first[key] = line
            out[key] = self.build(value_node, loc + (key,), line)
            self.doc.lines[loc + (key,)] = line
        return out


_HINTS = {
    "mapping values are not allowed": "a value containing ': ' must be quoted",
    "could not find expected ':'": "check the indentation and that every key ends with ':'",
    "found undefined alias": "anchors and aliases (&name / *name) are not allowed",
    "expected <block end>": "check the indentation of this line and the one above",
    "expected a single document": "a file holds exactly one YAML document; remove the extra '---'",
    "found unexpected end of stream": "a quote or bracket is not closed",
    "found character that cannot start any token": "a value starting with @, ` or % must be quoted",
}


def _hint_for(message: str, text: str, mark: yaml.Mark | None) -> str | None:
    if mark is not None:
        lines = text.split("\n")
        if mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
            return "YAML indentation must use spaces, not tabs"
    for needle, hint in _HINTS.items():
        if needle in message:
            return hint
    return None


def load_yaml(text: str, offset: int = 0) -> YamlDoc:
    """Parse ``text`` (one YAML document). ``offset`` is the 0-based file line of its first line.

    Raises YamlProblem for a document that cannot be read at all; problems that
    still let us read it (duplicate keys) are in ``doc.problems``.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        hint = _hint_for(str(exc), text, mark)
        if exc.context and exc.problem and exc.problem.startswith("but "):
            problem = f"{exc.context}, {exc.problem}"
        if exc.context and "flow" in exc.context and exc.context_mark is not None:
            mark = exc.context_mark  # where the bracket was opened, not where YAML gave up
            hint = "a [ or { opened on this line is not closed, or a value in it needs quotes"
        line = (mark.line + 1 + offset) if mark else offset + 1
        raise YamlProblem(line, f"invalid YAML: {problem}", hint) from None
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        raise YamlProblem(offset + 1, f"invalid YAML: {exc}", "remove control characters from the file") from None
    except RecursionError:
        raise YamlProblem(offset + 1, "YAML nested far too deep", "check the indentation and brackets") from None
    builder = _Builder(offset)
    if node is None:
        builder.doc.data = None
        return builder.doc
    try:
        builder.doc.data = builder.build(node, ())
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops this first
        raise YamlProblem(offset + 1, "YAML nested far too deep", "check the indentation and brackets") from None
    return builder.doc


def normalise_text(raw: bytes) -> str:
    """Decode a content file: UTF-8 with an optional BOM, any line endings."""
    text = raw.decode("utf-8-sig")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_CLOSING_LINE = re.compile(r"^(?:---|\.\.\.)[^\S\n]*$", re.M)  # what line.rstrip() in ("---", "...") accepts


def split_front_matter(text: str) -> tuple[str, int, str, int]:
    """Return (yaml_text, yaml_offset, body, body_line) or raise YamlProblem."""
    if not text or text.isspace():
        raise YamlProblem(
            1, "the file is empty", "start it with '---', the YAML metadata (title, date, ...), then '---'"
        )
    if not text.startswith("---"):
        lines = text.split("\n")
        later = next((i for i, line in enumerate(lines) if line.rstrip() == "---"), None)
        if later is not None:
            raise YamlProblem(
                1, "missing front matter: the file must begin with '---'", f"remove the lines above line {later + 1}"
            )
        raise YamlProblem(1, "missing front matter", "start the file with a line '---', the YAML metadata, then '---'")
    first_nl = text.find("\n")
    first = text if first_nl == -1 else text[:first_nl]
    if first.rstrip() != "---":
        raise YamlProblem(1, "the first line must be exactly '---'", "put the YAML metadata on the following lines")
    if first_nl == -1:
        raise YamlProblem(1, "front matter is not closed", "add a line '---' after the YAML metadata")
    # one regular-expression search instead of a Python loop over the lines: this runs for every article
    closing = _CLOSING_LINE.search(text, first_nl + 1)
    if closing is None:
        raise YamlProblem(1, "front matter is not closed", "add a line '---' after the YAML metadata")
    start, end = closing.span()
    yaml_text = text[first_nl + 1 : start]
    body = "" if end == len(text) else text[end + 1 :]
    return yaml_text, 1, body, text.count("\n", first_nl + 1, start) + 3
