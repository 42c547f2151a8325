"""The input table: every file a build reads, with its content hash.

Content, the config, the project's templates and static files, ``root/`` and the default theme (keyed
``theme:NAME``, outside the project). A file whose size and mtime are those recorded by the last build
keeps its recorded hash (a stat, not a read); any other is hashed again. A file hashed within ``RACY_NS`` of
its last change is recorded with no mtime (``UNSURE_MTIME``): a file system stamps times from a coarse clock (a
kernel tick, a few ms), so a second change in the same tick, after the hash was read, would leave the size and
mtime recorded and the page stale ("racy git" has the same rule for its index). The next build hashes it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DIGEST_CHARS = 32  # a digest is the first 128 bits of the SHA-256, in hex
RACY_NS = 100_000_000  # how close to the scan a file's mtime may be before the mtime is not trusted next time
UNSURE_MTIME = -1  # the mtime recorded for such a file: no stat has it


def file_digest(path: Path) -> str:
    return bytes_digest(path.read_bytes())


# a line closing the front matter, with the line end before it, as ``yamlsource.split_front_matter`` finds one
# (there on text, with more line ends and more blanks: every line this finds, it finds too, and maybe an earlier
# one); a leading "\n" lets the search skip from line end to line end, four times as fast as "^" with re.M
_CLOSING_LINE = re.compile(rb"\n(?:---|\.\.\.)[ \t\r\x0b\x0c]*(?:\n|\Z)")


def head_digest(data: bytes) -> str:
    """A hash of an article file's front matter: its bytes up to the line that closes it (the whole file when
    none does, or it does not begin with ``---``). It covers all the loader reads as front matter, perhaps more;
    the body is left out: what a topic's exports show (``engine.exportkey``) is read from front matter only."""
    end = len(data)
    if data.startswith(b"---"):
        first_nl = data.find(b"\n")
        closing = _CLOSING_LINE.search(data, first_nl) if first_nl != -1 else None
        if closing is not None:
            end = closing.end()
    return hashlib.sha256(data[:end]).hexdigest()[:DIGEST_CHARS]


def bytes_hash(data: bytes = b""):
    """The hash ``bytes_digest`` is made with, to feed more bytes into (``update``); ``digest_of_sha256`` of its
    ``hexdigest()`` is the digest."""
    return hashlib.sha256(data)


def bytes_digest(data: bytes) -> str:
    """The content hash the build records for inputs and outputs: SHA-256 (hashed in hardware on most CPUs,
    about twice as fast as BLAKE2b here), cut to 128 bits; so a file whose SHA-256 is known for the manifest
    has its digest without a second pass over its bytes (``digest_of_sha256``)."""
    return digest_of_sha256(hashlib.sha256(data).hexdigest())


def digest_of_sha256(sha256_hex: str) -> str:
    """``bytes_digest(data)`` from ``data``'s SHA-256 in hex."""
    return sha256_hex[:DIGEST_CHARS]


@dataclass
class InputFile:
    mtime_ns: int
    size: int
    digest: str


def input_roots(project) -> list[tuple[str, Path]]:
    """(prefix, folder) of every folder whose files are inputs; the default theme is outside the project."""
    from briefgen.outputs.rootfiles import root_dir
    from briefgen.project import default_theme_dir

    roots = [
        ("", project.content_dir),
        ("", root_dir(project)),
    ]  # root/: copied as they are (briefgen.outputs.rootfiles)
    seen = set()
    for prefix, folder in (("", project.templates_dir), ("theme:", default_theme_dir())):
        key = folder.resolve()
        if folder.is_dir() and key not in seen:
            seen.add(key)
            roots.append((prefix, folder))
    return roots


def scan_inputs(
    project,
    previous: dict[str, InputFile] | None,
    changed: set[str] | None = None,
    heads: dict | None = None,
    listed: list | None = None,
) -> dict[str, InputFile]:
    """Every input file with its hash; files whose size and mtime are unchanged keep their old hash.

    ``changed`` (paths relative to the project) are hashed again whatever their
    mtime says: ``serve`` knows what it saw change. ``heads``: gets the ``head_digest`` of each Markdown
    file hashed, by its digest (its bytes are at hand then). ``listed``: ``input_stats(project)`` as the
    command's "nothing changed" shortcut took it moments before (``commands.nochange``), instead of a new listing.
    """
    previous = previous or {}
    changed = changed or set()
    racy = time.time_ns() - RACY_NS  # an mtime from then on is too close to the read to vouch for the hash
    out: dict[str, InputFile] = {}
    for key, path, st in input_stats(project) if listed is None else listed:
        old = previous.get(key)
        if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size and key not in changed:
            out[key] = old
            continue
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        digest = bytes_digest(data)
        out[key] = InputFile(st.st_mtime_ns if st.st_mtime_ns < racy else UNSURE_MTIME, st.st_size, digest)
        if heads is not None and key.endswith((".md", ".markdown")):  # an article file (``load.ARTICLE_SUFFIXES``)
            heads[digest] = head_digest(data)
    return out


def input_stats(project, ordered: bool = True) -> Iterator[tuple[str, str, os.stat_result]]:
    """(key, path, stat) of every input file: the config, then each of ``input_roots`` (by name within
    each folder when ``ordered``; the "nothing changed" shortcut looks its rows up and needs no order)."""

    def walk(folder: str, prefix: str) -> Iterator[tuple[str, str, os.stat_result]]:
        for name, st in _listing(folder, ordered):
            if st is None:
                yield from walk(folder + os.sep + name, f"{prefix}{name}/")
            else:
                yield prefix + name, folder + os.sep + name, st

    try:
        yield (
            rel_key(project.config_path, project.root, "config:"),
            str(project.config_path),
            project.config_path.stat(),
        )
    except OSError:
        pass
    for prefix, folder in input_roots(project):
        if folder.is_dir():
            yield from walk(str(folder), prefix or (rel_key(folder, project.root, "") + "/"))


_BY_FD = os.scandir in os.supports_fd  # list a folder by its descriptor: each stat looks up a name, not a path


def _listing(folder: str, ordered: bool) -> list[tuple[str, os.stat_result | None]]:
    """(name, stat) of each file in ``folder`` and (name, None) of each folder in it (symbolic links followed,
    broken ones left out); [] when it cannot be listed. Plain strings and scandir: thousands of files, often."""
    try:
        fd = (
            os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)) if _BY_FD else -1
        )
    except OSError:
        return []
    found = []
    try:
        with os.scandir(fd if _BY_FD else folder) as listing:
            entries = sorted(listing, key=_name) if ordered else list(listing)
        for entry in entries:
            if entry.is_dir(follow_symlinks=True):
                found.append((entry.name, None))
            else:
                with contextlib.suppress(OSError):
                    found.append((entry.name, entry.stat(follow_symlinks=True)))
    except OSError:
        return []
    finally:
        if fd >= 0:
            os.close(fd)
    return found


def _name(entry: os.DirEntry) -> str:
    return entry.name


def rel_key(path: Path, root: Path, prefix: str) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return prefix + path.as_posix()
