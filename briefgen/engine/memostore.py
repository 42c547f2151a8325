"""One memo store of the build cache on disk (``cache.BuildCache`` has three): key -> JSON answer, in shards."""

from __future__ import annotations

import contextlib
from pathlib import Path

from briefgen.engine.cachedata import CACHE_DIR, entry_lines, lines_payload, read_checked, write_checked
from briefgen.engine.environment import code_fingerprint

SHARDS = 16
MAGIC = b"briefgen-cache 5\n"  # the format (environment.FORMAT) of the memo stores' files


class Store:
    """A key -> answer (as JSON text, parsed when used) map on disk, in ``SHARDS`` files (or ``shards``) so a small change
    rewrites little. Each file holds one ``key JSON`` line per entry behind ``cachedata``'s checked header;
    a file is read when a key of its shard is first asked for (or ``entries``, all of them, is).

    Only entries used by the last build are kept: a shard is rewritten when it
    gained an entry or holds one the build did not use (an old version of an
    edited article). A build whose site came from the stored model (``keep``) asked for few: it keeps every
    entry and rewrites only the shards it changed.
    """

    def __init__(self, folder: Path | None, name: str, notes: list[str], shards: int = SHARDS):
        self.count = shards
        self.folder = folder
        self.name = name
        self.notes = notes
        self._entries: dict[str, str | bytes] = {}  # JSON: as read (bytes) or as made (text)
        self._pending = set(range(self.count)) if folder is not None else set()  # shards not read yet
        self.used: set[str] = set()
        self.dirty: set[int] = set()
        self.keep = False

    @property
    def entries(self) -> dict[str, str | bytes]:
        """Every entry: the shards not read yet are read now."""
        if self._pending:
            self._read(sorted(self._pending))
        return self._entries

    @entries.setter
    def entries(self, value: dict) -> None:
        self._entries, self._pending = value, set()

    def _read(self, shards: list[int]) -> None:
        ignored: dict[str, list[str]] = {}  # why -> file names
        for shard in shards:
            self._pending.discard(shard)
            why = self._load(shard)
            if why is not None:
                ignored.setdefault(why, []).append(self.path(shard).name)
                self.dirty.add(shard)
        for why, names in ignored.items():  # one note per reason, not one per file
            where = names[0] if len(names) == 1 else f"{self.name}-*.json ({len(names)} files)"
            self.notes.append(f"{CACHE_DIR}/{where} {why}; ignoring it and rebuilding it")

    def _need(self, key: str) -> None:
        shard = self.shard(key)
        if shard in self._pending:
            self._read([shard])

    def path(self, shard: int) -> Path:
        assert self.folder is not None
        return self.folder / f"{self.name}-{shard:02d}.json"

    def shard(self, key: str) -> int:
        return int(key[-2:], 16) % self.count

    def _load(self, shard: int) -> str | None:
        """Read one shard's file; why it was ignored, or None."""
        path = self.path(shard)
        try:
            entries = read_checked(path, MAGIC, code_fingerprint(), entry_lines)
            if not isinstance(entries, dict) or any(
                len(k) < 2 or not all(c in "0123456789abcdef" for c in k[-2:]) or self.shard(k) != shard
                for k in entries
            ):
                raise ValueError("unexpected contents")
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        except LookupError as exc:
            return str(exc)
        except Exception as exc:  # anything wrong with the file: start afresh, never trust it
            return f"is unusable: {type(exc).__name__}"
        self._entries.update(entries)
        return None

    def __contains__(self, key: str) -> bool:
        self._need(key)
        return key in self._entries

    def get(self, key: str):
        self._need(key)
        found = self._entries.get(key)
        if found is not None:
            self.used.add(key)
        return found

    def put(self, key: str, value) -> None:
        self.add(key, value)
        self.used.add(key)

    def add(self, key: str, value) -> None:
        """An answer computed ahead (by a worker); it counts as used once a build asks for it."""
        self._need(key)
        self._entries[key] = value
        self.dirty.add(self.shard(key))

    def drop(self, key: str) -> None:
        """An entry that did not decode: forget it (its shard is written again without it)."""
        self._need(key)
        if self._entries.pop(key, None) is not None:
            self.dirty.add(self.shard(key))

    def save(self) -> None:
        if self.folder is None:
            return
        env = code_fingerprint()
        if self.keep:  # every entry stays: only the shards that changed are written, the others never read
            for shard in sorted(self.dirty):
                part = {k: v for k, v in self._entries.items() if self.shard(k) == shard}
                write_checked(self.path(shard), MAGIC, env, None, lines_payload(part))
            self.dirty = set()
            return
        shards: dict[int, dict[str, str]] = {i: {} for i in range(self.count)}
        stale = set(self.dirty)
        for key, value in self.entries.items():
            if key in self.used:
                shards[self.shard(key)][key] = value
            else:
                stale.add(self.shard(key))
        for shard in sorted(stale):
            write_checked(self.path(shard), MAGIC, env, None, lines_payload(shards[shard]))
        for old in self.folder.glob(f"{self.name}-*.bin"):  # format 1 (pickles): never read, removed
            with contextlib.suppress(OSError):
                old.unlink()
        self.entries = {k: v for part in shards.values() for k, v in part.items()}
        self.dirty = set()

    def start_build(self) -> None:
        self.used = set()
        self.keep = False
