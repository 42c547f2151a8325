"""A rebuild's files by path: the ones it made, in memory, and the ones it keeps from the last build, on disk."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path


class SiteFiles(MutableMapping):
    """Path -> bytes of a rebuild's files: those it made, in memory, and (``keep``) those it reuses unchanged.

    A kept file is the one the last build wrote into ``output``; its bytes are read only if someone asks
    (a link's target, the search index), so a one-article rebuild of a large site reads a handful of its
    thousands of unchanged pages instead of all of them. Order is the order of setting, as for a dict.
    """

    def __init__(self, output: Path):
        self.output = output
        self._data: dict[str, bytes | None] = {}  # None: kept, in the output folder

    def keep(self, rel: str) -> None:
        self._data[rel] = None

    def kept(self, rel: str) -> bool:
        return rel in self._data and self._data[rel] is None

    def __getitem__(self, rel: str) -> bytes:
        data = self._data[rel]
        return (self.output / rel).read_bytes() if data is None else data

    def __setitem__(self, rel: str, data: bytes) -> None:
        self._data[rel] = data

    def __delitem__(self, rel: str) -> None:
        del self._data[rel]

    def __contains__(self, rel: object) -> bool:
        return rel in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)
