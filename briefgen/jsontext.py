"""JSON text exactly as ``json.dumps(value, indent=1, ensure_ascii=False)`` writes it, several times faster.

The exports, the change history and the manifest are written with
``indent=1`` so that they read well and diff line by line. The standard
library encodes indented JSON in pure Python (its C encoder handles only
``indent=None``), which made the JSON files a large part of building the
extra outputs. msgspec (a maintained C encoder) writes the same text for the
plain JSON values those files hold: its compact output, re-indented by
``msgspec.json.format``, is ``json.dumps``'s character for character
(tests/test_output_speedups.py checks it with generated values). Where the two
differ, the value goes to ``json.dumps`` instead: a float written with an
exponent (``1e16`` against ``1e+16``), NaN or infinity, an integer past 64
bits, a key that is not a ``str``, a subclass (an ``IntEnum``, a ``str``
subclass), or anything else unusual.
"""

from __future__ import annotations

import json

import msgspec

_ENCODER = msgspec.json.Encoder()
_float = float.__repr__
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1  # what msgspec encodes as a JSON integer


def same_as_json(value) -> bool:
    """Whether msgspec writes ``value`` exactly as ``json.dumps`` does (see the module's docstring)."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not _INT_MIN <= item <= _INT_MAX:
                return False
        elif kind is float:
            text = _float(item)
            if "e" in text or "n" in text:  # an exponent; "inf" and "nan"
                return False
        elif kind is dict:
            for key in item:
                if type(key) is not str:
                    return False
            extend(item.values())
        elif kind is list or kind is tuple:
            extend(item)
        else:
            return False
    return True


def dumps(value) -> str:
    """``json.dumps(value, indent=1, ensure_ascii=False)``."""
    return file_bytes(value)[:-1].decode("utf-8")


def file_bytes(value) -> bytes:
    """The bytes of a JSON file: the text, a final newline, UTF-8."""
    if same_as_json(value):
        try:
            return msgspec.json.format(_ENCODER.encode(value), indent=1) + b"\n"
        except (msgspec.EncodeError, RecursionError, UnicodeEncodeError):  # too deep, a lone surrogate: as below
            pass
    return (json.dumps(value, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def compact(value) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, by msgspec where it can: four times as fast.

    The same text wherever ``same_as_json(value)`` holds. That is not checked here (walking the value would cost
    what msgspec saves): a caller whose values may hold a float written with an exponent, NaN or infinity checks
    first, or needs only JSON that reads back the same, not ``json.dumps``'s very text. What msgspec refuses (a
    subclass of ``str``, a lone surrogate, an integer past 64 bits...) goes to ``json.dumps``."""
    try:
        return _ENCODER.encode(value).decode("utf-8")
    except (TypeError, ValueError, msgspec.EncodeError, RecursionError):  # UnicodeEncodeError is a ValueError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
