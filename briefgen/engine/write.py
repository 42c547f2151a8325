"""Write: bytes -> the output folder, never half a site.

Every build writes the complete new site into a staging folder beside the
output (``Staging``): files whose bytes did not change are hard-linked from
the previous output (same inode, so the same mtime: rsync and publish see no
change), the others are written new. Only when everything has rendered and
been checked is the staged folder swapped in for the output in one step
(``briefgen.engine.swap``, which also finishes or undoes a swap a killed build cut
short); files the new build does not produce disappear with the old folder,
except what briefgen keeps for the user (a ``.git`` checkout and other
dot-entries it did not write, see ``kept_entries``). ``write_site`` does it
in one call; a build that streams its files as they are made uses
``Staging`` itself, so the site is never in memory whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.atomicfile import TMP_SUFFIX
from briefgen.engine import faults
from briefgen.engine.swap import swap_in
from briefgen.outputs.manifest import MANIFEST_NAME


@dataclass
class WriteStats:
    changed_paths: list[str] = field(default_factory=list)  # written with new bytes
    unchanged: int = 0
    removed_paths: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.changed_paths)

    @property
    def removed(self) -> int:
        return len(self.removed_paths)


def _same(old: Path, data: bytes) -> bool:
    try:
        if old.stat().st_size != len(data):
            return False
        return old.read_bytes() == data
    except OSError:
        return False


def _keep(old: Path, dest: Path) -> None:
    try:
        os.link(old, dest)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (another file system): a copy with the old mtime
        shutil.copy2(old, dest)


def _existing_files(root: Path) -> tuple[set[str], set[str]]:
    """(files, dot-entries) under ``root``: a dot-entry (``.git``, ``.well-known``...) is listed as one
    entry, folder or file, and never walked into; the manifest briefgen writes is a file like the others."""
    if not root.is_dir():
        return set(), set()
    out, dots = set(), set()
    top = str(root)
    for dirpath, dirs, files in os.walk(top):
        # string slicing, not a Path per file: a site of 5,000 files is listed in a fraction of the time
        prefix = dirpath[len(top) + 1 :].replace(os.sep, "/")
        prefix = prefix + "/" if prefix else ""
        for name in [d for d in dirs if d.startswith(".")]:
            dirs.remove(name)
            dots.add(prefix + name)
        for name in files:
            if name.startswith(".") and name != MANIFEST_NAME:
                dots.add(prefix + name)
            else:
                out.add(prefix + name)
    return out, dots


def kept_entries(output: Path, dots: set[str], produced: set[str], written: set[str]) -> list[str]:
    """The dot-entries of the old site that the new one keeps: those briefgen did not write.

    ``written`` lists what the last build recorded writing (its state, else its manifest); a dot-file
    briefgen wrote and no longer produces goes, as does a temporary file a killed write left.
    """
    if not dots - produced:
        return []
    if not written:
        from briefgen.outputs.manifest import read_manifest

        with contextlib.suppress(OSError):
            written = set(read_manifest((output / MANIFEST_NAME).read_bytes()))
    return sorted(
        rel
        for rel in dots - produced
        if rel not in written and not rel.endswith(TMP_SUFFIX) and not any(p.startswith(rel + "/") for p in produced)
    )


def _recorded_same(old: Path, rel: str, known: dict | None, digests: dict | None) -> bool | None:
    """Compare by the hashes the last build recorded, without reading ``old``; None: cannot tell."""
    if not known or not digests or rel not in known or rel not in digests:
        return None
    digest, size, mtime_ns = known[rel]
    try:
        st = old.stat()
    except OSError:
        return False
    if st.st_size != size or st.st_mtime_ns != mtime_ns:
        return None  # touched since: read it
    return digest == digests[rel]


class Staging:
    """A new site written file by file into a temporary folder beside ``output``, then swapped in.

    What ``write_site`` does in one call, for a build that streams its files
    as they are made instead of holding them all in memory: ``put`` each
    generated file and ``copy`` each static one (a file whose bytes did not
    change is hard-linked from the old output, so it keeps its inode and
    mtime), then ``commit`` swaps the folder in, or ``discard`` (a failed
    build) removes it and the old site is as it was. ``write`` may run in
    forked workers: it touches only the file system and answers (the file's
    digest, whether it changed); the parent records that with ``note``.
    Nothing is ever written through an existing file in the staging folder
    (it may be a hard link into the old site): a path staged twice is
    unlinked first.

    ``files`` maps each generated path to its bytes, read back from the disk
    when asked (from the staging folder, and from ``output`` once committed);
    setting an item stages it. ``digests`` holds ``digest(bytes)`` of each
    and, with ``sha256=True``, ``sha256`` its SHA-256 (what the manifest lists).
    """

    def __init__(
        self,
        output: Path,
        known: dict[str, tuple[str, int, int]] | None = None,
        digest: Callable[[bytes], str] | None = None,
        sha256: bool = False,
    ):
        self.output = output
        self.known = known or {}
        self.digest = digest
        self.with_sha256 = sha256
        self.digests: dict[str, str | None] = {}
        self.sha256: dict[str, str] = {}
        output.parent.mkdir(parents=True, exist_ok=True)
        self.before, self.dots = _existing_files(output)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-{os.getpid()}-", dir=output.parent))
        self.stats = WriteStats()
        self.names: dict[str, None] = {}  # generated files, in the order they were noted
        self.copied: dict[str, None] = {}
        self.files = StagedFiles(self)
        self._dirs: set[Path] = set()

    def _dest(self, rel: str) -> Path:
        dest = self.folder / rel
        if dest.parent not in self._dirs:
            dest.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(dest.parent)
        return dest

    def _was_there(self, rel: str) -> bool:
        """Whether the old output has the file ``rel`` (files in dot-folders are not listed: look)."""
        return rel in self.before or ("/." in "/" + rel and os.path.isfile(self.output / rel))

    def _unchanged(self, rel: str, digest: str | None, read) -> bool:
        if not self._was_there(rel):
            return False
        old = self.output / rel
        same = _recorded_same(old, rel, self.known, {rel: digest} if digest is not None else None)
        if same is None:
            same = _same(old, read())
        return same

    def write(self, rel: str, data: bytes, digest: str | None = None) -> tuple[str | None, str | None, bool]:
        """Stage generated ``data`` at ``rel``; (its digest, its SHA-256, whether it differs from the old file)."""
        if digest is None and self.digest is not None:
            digest = self.digest(data)
        sha256 = hashlib.sha256(data).hexdigest() if self.with_sha256 else None
        dest = self._dest(rel)
        if self._unchanged(rel, digest, lambda: data):
            _fresh(dest, lambda: _keep(self.output / rel, dest))
            return digest, sha256, False
        _fresh(dest, lambda: _write_new(dest, data))
        return digest, sha256, True

    def note(self, rel: str, answer: tuple[str | None, str | None, bool]) -> None:
        """Record what ``write`` answered for ``rel`` (possibly in another process)."""
        self.names[rel] = None
        self.digests[rel], sha256, changed = answer
        if sha256 is not None:
            self.sha256[rel] = sha256
        self._count(rel, changed)

    def put(self, rel: str, data: bytes, digest: str | None = None) -> None:
        self.note(rel, self.write(rel, data, digest))

    def copy(self, rel: str, source: Path, digest: str | None = None) -> bool:
        """Stage the static file ``source`` at ``rel``."""
        dest = self._dest(rel)
        changed = not self._unchanged(rel, digest, source.read_bytes)
        if changed:
            _fresh(dest, lambda: _copy_new(source, dest))
        else:
            _fresh(dest, lambda: _keep(self.output / rel, dest))
        self.copied[rel] = None
        self._count(rel, changed)
        return changed

    def _count(self, rel: str, changed: bool) -> None:
        if changed:
            self.stats.changed_paths.append(rel)
        else:
            self.stats.unchanged += 1

    def link(self, rel: str, digest: str | None = None) -> bool:
        """Stage ``rel`` as the old output's file, unread, if the last build recorded writing these very
        bytes (``digest``) and the file is as written; False (nothing staged) when that cannot be told."""
        if not self._was_there(rel) or not _recorded_same(self.output / rel, rel, self.known, {rel: digest}):
            return False
        dest = self._dest(rel)
        _fresh(dest, lambda: _keep(self.output / rel, dest))
        self.digests[rel] = digest
        return True

    def commit(self) -> WriteStats:
        """Swap the staged site in for ``output``; files it does not have are gone with the old folder,
        except the entries briefgen keeps (``kept_entries``), which move into the new one."""
        try:
            produced = self.names.keys() | self.copied.keys()
            self.stats.removed_paths = sorted(self.before - produced)
            keep = kept_entries(self.output, self.dots, produced, set(self.known))
            for rel in keep:
                if "/" in rel:
                    (self.folder / rel).parent.mkdir(parents=True, exist_ok=True)
            gone = {
                rel for rel in self.dots - produced - set(keep) if not any(p.startswith(rel + "/") for p in produced)
            }
            self.stats.removed_paths.extend(sorted(gone))
            os.chmod(self.folder, 0o755)
            swap_in(self.folder, self.output, keep)
        except BaseException:
            self.discard()
            raise
        self.folder = self.output
        return self.stats

    def discard(self) -> None:
        if self.folder != self.output:
            shutil.rmtree(self.folder, ignore_errors=True)


class StagedFiles(Mapping):
    """Path -> bytes of the files a ``Staging`` wrote, read from the disk when asked (not held in memory)."""

    def __init__(self, staging: Staging):
        self._staging = staging

    def __getitem__(self, rel: str) -> bytes:
        if rel not in self._staging.names:
            raise KeyError(rel)
        return (self._staging.folder / rel).read_bytes()

    def __contains__(self, rel: object) -> bool:
        return rel in self._staging.names

    def __iter__(self) -> Iterator[str]:
        return iter(self._staging.names)

    def __len__(self) -> int:
        return len(self._staging.names)

    def __setitem__(self, rel: str, data: bytes) -> None:
        self._staging.put(rel, data)

    def update(self, other: Mapping[str, bytes]) -> None:
        for rel, data in other.items():
            self._staging.put(rel, data)


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


def _write_new(dest: Path, data: bytes) -> None:
    with open(dest, "xb") as fh:
        fh.write(data)


def _copy_new(source: Path, dest: Path) -> None:
    with open(source, "rb") as src, open(dest, "xb") as out:
        shutil.copyfileobj(src, out)


def _fresh(dest: Path, make) -> None:
    """Run ``make`` (which creates ``dest``); if ``dest`` exists already, unlink it first, never write into it."""
    try:
        make()
    except FileExistsError:
        os.unlink(dest)
        make()


def write_site(
    output: Path,
    files: Mapping[str, bytes],
    copies: dict[str, Path] | None = None,
    *,
    known: dict[str, tuple[str, int, int]] | None = None,
    digests: dict[str, str] | None = None,
) -> WriteStats:
    """Replace ``output`` with exactly ``files`` (generated) plus ``copies`` (static sources).

    ``known`` (path -> (hash, size, mtime_ns) recorded by the last build) and
    ``digests`` (path -> hash of the new bytes) let unchanged files be
    recognised without reading them back.
    """
    digests = digests or {}
    staging = Staging(output, known)
    try:
        for rel in files:  # a file's bytes only when they must be compared or written (see ``SiteFiles``)
            if staging.link(rel, digests.get(rel)):
                staging.note(rel, (digests.get(rel), None, False))
            else:
                staging.put(rel, files[rel], digests.get(rel))
            faults.point("stage")
        for rel, source in (copies or {}).items():
            staging.copy(rel, source, digests.get(rel))
    except BaseException:
        staging.discard()
        raise
    return staging.commit()
