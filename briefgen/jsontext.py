"""JSON text exactly as ``json.dumps(value, indent=1, ensure_ascii=False)`` writes it, about twice as fast.

The exports, the change history and the manifest are written with
``indent=1`` so that they read well and diff line by line. The standard
library encodes indented JSON in pure Python (its C encoder handles only
``indent=None``), which made the JSON files a large part of building the
extra outputs. This encoder covers the plain JSON values those files hold
(dict with str keys, list, tuple, str, int, float, bool, None) with one
recursive function, and strings with the standard library's own C escaper,
so its text is the same character for character; any other value (a
subclass, a non-str key, NaN or infinity) makes it hand the whole value to
``json.dumps``.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _string  # the C escaper, when the C extension is present

_INF = float("inf")
_int = int.__repr__
_float = float.__repr__


class _Unusual(Exception):
    """A value this encoder leaves to ``json.dumps``."""


def _encode(value, newline: str) -> str:
    kind = type(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = newline + " "
        parts = []
        add = parts.append
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            of = type(item)
            if of is str:
                add(_string(key) + ": " + _string(item))
            elif of is int:
                add(_string(key) + ": " + _int(item))
            elif item is None:
                add(_string(key) + ": null")
            else:
                add(_string(key) + ": " + _encode(item, inner))
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + " "
        items = [_string(item) if type(item) is str else _encode(item, inner) for item in value]
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return _int(value)
    if kind is float and value == value and value != _INF and value != -_INF:
        return _float(value)
    raise _Unusual


def dumps(value) -> str:
    """``json.dumps(value, indent=1, ensure_ascii=False)``."""
    try:
        return _encode(value, "\n")
    except (_Unusual, RecursionError):
        return json.dumps(value, indent=1, ensure_ascii=False)


def file_bytes(value) -> bytes:
    """The bytes of a JSON file: the text, a final newline, UTF-8."""
    return (dumps(value) + "\n").encode("utf-8")
