"""The build cache's files: JSON behind a checked header, and the codecs between it and the stages' objects.

A file is a magic line, a JSON header (the environment hash it was written
under, briefgen's version, the SHA-256 of the payload), then the payload: JSON
only. ``read_checked`` refuses anything else before parsing the payload, and
the decoders refuse data of the wrong shape, so nothing read from
``.briefgen-cache/`` can run code or become an object of a type the stages
did not expect.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path

from briefgen import __version__

CACHE_DIR = ".briefgen-cache"  # in the project: the build database on disk


def encode_value(value):
    """A YAML value (str, int, float, bool, None, date, datetime, list, dict) as JSON data.

    Dates are objects ``{"$": "d"|"t", "v": iso}``; a real key starting with ``$`` gets one more ``$``.
    Anything else raises TypeError (the answer is then not cached).
    """
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return {"$": "t", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$": "d", "v": value.isoformat()}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("keys must be text")
            out["$" + key if key.startswith("$") else key] = encode_value(item)
        return out
    raise TypeError(f"cannot store {type(value).__name__}")


def decode_value(data):
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if isinstance(data, dict):
        tag = data.get("$")
        if tag is not None:
            if tag == "t":
                return dt.datetime.fromisoformat(data["v"])
            if tag == "d":
                return dt.date.fromisoformat(data["v"])
            raise ValueError("unknown tag")
        return {(k[1:] if k.startswith("$") else k): decode_value(v) for k, v in data.items()}
    if data is None or isinstance(data, (str, bool, int, float)):
        return data
    raise ValueError("not a value")


def encode_doc(doc) -> dict:
    return {
        "d": encode_value(doc.data),
        "l": [[list(loc), line] for loc, line in doc.lines.items()],
        "p": [[list(loc), raw] for loc, raw in doc.plain.items()],
        "f": doc.first_line,
    }


def decode_doc(data):
    """A ``YamlDoc`` from ``encode_doc``'s data. Locations and lines are taken as stored (they only place
    messages; a location that is not a list of keys fails to hash and the entry is a miss)."""
    from briefgen.content.yamlsource import YamlDoc

    lines = {tuple(loc): line for loc, line in data["l"]}
    plain = {tuple(loc): raw for loc, raw in data["p"]}
    if not isinstance(data["f"], int):
        raise ValueError("bad first line")
    return YamlDoc(decode_value(data["d"]), lines, plain, [], data["f"])


def encode_rendered(rendered, asked: list) -> list:
    return [
        rendered.html,
        rendered.broken,
        rendered.headings,
        sorted(rendered.ids),
        rendered.content_links,
        rendered.errors,
        rendered.warnings,
        asked,
    ]


_rendered_types: tuple | None = None  # made on first use: the no-change build imports this module, not msgspec


def _rendered_record():
    """(the struct, its JSON decoder): what ``encode_rendered`` stores, as msgspec checks it, in C."""
    global _rendered_types
    if _rendered_types is None:
        import msgspec

        struct = msgspec.defstruct(
            "RenderedRecord",
            [
                ("html", str),
                ("broken", list[tuple[int, str]]),
                ("headings", list[tuple[int, str, str]]),
                ("ids", list[str]),
                ("content_links", list[tuple[int, str, str]]),
                ("errors", list[tuple[int, str, str]]),
                ("warnings", list[tuple[int, str, str]]),
                ("asked", list[tuple[str, str | None]]),
            ],
            array_like=True,
        )
        _rendered_types = (struct, msgspec.json.Decoder(struct))
    return _rendered_types


def decode_rendered(data):
    """(Rendered, asked) from what ``encode_rendered`` stored (its JSON text, or that text parsed); raises
    ``msgspec.ValidationError`` or ``msgspec.DecodeError`` (ValueError) if it is not that shape."""
    from briefgen.content.markdown import Rendered

    struct, decoder = _rendered_record()
    if isinstance(data, (str, bytes)):
        r = decoder.decode(data)
    else:
        import msgspec

        r = msgspec.convert(data, struct)
    out = Rendered(r.html, r.broken, r.headings, set(r.ids), r.content_links, r.errors, r.warnings)
    return out, r.asked


def to_text(value) -> str:
    """Compact JSON text; never a raw newline (JSON escapes them), so one entry fits on one line."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def entry_lines(payload: bytes) -> dict[str, bytes]:
    """A store's payload: one ``key JSON`` line per entry -> {key: JSON bytes}. The values stay bytes, each
    parsed only when used (``json.loads`` and msgspec read UTF-8 bytes; decoding every one to text first was
    a tenth of a rebuild's loading)."""
    out = {}
    for line in payload.split(b"\n"):
        if line:
            key, sep, text = line.partition(b" ")
            if not sep:
                raise ValueError("not an entry line")
            out[key.decode("ascii")] = text
    return out


def lines_payload(entries: dict[str, str | bytes]) -> bytes:
    return b"\n".join(
        key.encode("ascii") + b" " + (text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        for key, text in entries.items()
    )


def read_checked(path: Path, magic: bytes, expected: str, parse=json.loads):
    """The payload of a file written by ``write_checked``, parsed (JSON, or ``parse``); raises ValueError,
    LookupError (another environment) or OSError if it is not one."""
    raw = path.read_bytes()
    if not raw.startswith(magic):
        kind = magic.rsplit(b" ", 1)[0] + b" "  # b"briefgen-cache ": the same file of another format
        if raw.startswith(kind):
            raise LookupError("was written in another cache format by another version of briefgen")
        raise ValueError("not a briefgen cache file")
    end = raw.index(b"\n", len(magic))
    header = json.loads(raw[len(magic) : end])
    payload = raw[end + 1 :]
    if not isinstance(header, dict) or header.get("env") != expected:
        raise LookupError(f"was written by another briefgen or other libraries (version {header.get('version', '?')})")
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise ValueError("checksum mismatch (truncated or corrupt)")
    return parse(payload)


def write_checked(path: Path, magic: bytes, env: str, data, payload: bytes | None = None) -> None:
    """Write ``data`` as JSON (or the ready ``payload``) behind the header ``read_checked`` checks."""
    if payload is None:
        payload = to_text(data).encode("utf-8", "surrogatepass")
    header = {"env": env, "version": __version__, "sha256": hashlib.sha256(payload).hexdigest()}
    write_atomic(path, magic + json.dumps(header).encode() + b"\n" + payload)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
