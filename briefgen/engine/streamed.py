"""A large page written as it is made: text pieces encoded, hashed and written a batch at a time.

``Staging.write_text`` (``write``) uses it for a page whose text passes ``STREAM_AFTER`` characters: a
topic's briefing pack holds every report of the topic in full (12 MB at 4,000 articles, 181 MB at 64,000),
and made whole it was in memory several times at once: the template's pieces, the joined text (two or four
bytes a character once one is outside Latin-1), and its UTF-8 bytes. Written in batches, a batch at a time
is. The UTF-8 encoding of the pieces, one after another, is the encoding of their join, so the bytes are the
same as a page made whole.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

from briefgen.engine import faults

STREAM_AFTER = 1 << 20  # characters of text held before a page is written as it is made
BATCH = 256  # pieces taken from the template at a time


def start(pieces: Iterable[str]) -> tuple[str, Iterator[str] | None]:
    """The text of the first pieces, up to about ``STREAM_AFTER`` characters, and the texts still to come (each
    about as long): None when there are none (the page is small: the text is all of it)."""
    texts = _texts(iter(pieces))
    head, last = next(texts)
    return head, None if last else (text for text, _last in texts)


def _texts(pieces: Iterator[str]) -> Iterator[tuple[str, bool]]:
    """The pieces joined about ``STREAM_AFTER`` characters at a time, each text with whether it is the last.
    Pieces are taken and joined ``BATCH`` at a time (``islice``), not one by one in Python: a page is
    thousands of them."""
    held: list[str] = []
    size = 0
    while True:
        batch = list(islice(pieces, BATCH))
        text = "".join(batch)
        held.append(text)
        size += len(text)
        last = len(batch) < BATCH
        if last or size >= STREAM_AFTER:
            yield "".join(held), last
            if last:
                return
            held, size = [], 0


class Hashes:
    """The digests ``Staging`` keeps of a file (by its ``hasher``, and SHA-256), made as it is written."""

    def __init__(self, hasher: Callable[[], object] | None, sha256: bool):
        self.hash = hasher() if hasher is not None else None
        self.sha256 = hashlib.sha256() if sha256 else None

    def write(self, fh, data: bytes) -> None:
        fh.write(data)
        if self.hash is not None:
            self.hash.update(data)
        if self.sha256 is not None:
            self.sha256.update(data)

    def digests(self) -> tuple[str | None, str | None]:
        return (
            self.hash.hexdigest() if self.hash is not None else None,
            self.sha256.hexdigest() if self.sha256 is not None else None,
        )


def write_pieces(dest: str | Path, head: str, rest: Iterator[str], hashes: Hashes) -> None:
    """Create ``dest`` (never through an existing file: ``FileExistsError``) with ``head`` and then the texts of
    ``rest`` (from ``start``) encoded as UTF-8, each fed to ``hashes``."""
    with open(dest, "xb") as fh:
        hashes.write(fh, head.encode("utf-8"))
        faults.point("stream")  # a test kills the build here: half a page written, in the staging folder only
        for text in rest:
            hashes.write(fh, text.encode("utf-8"))


def same_file(old: Path, new: str | Path) -> bool:
    """Whether two files hold the same bytes, read a block at a time."""
    try:
        if os.stat(old).st_size != os.stat(new).st_size:
            return False
        with open(old, "rb") as a, open(new, "rb") as b:
            while True:
                block = a.read(1 << 20)
                if block != b.read(1 << 20):
                    return False
                if not block:
                    return True
    except OSError:
        return False
