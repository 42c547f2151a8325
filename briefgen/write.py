"""Stage 4, write: bytes -> the output folder, never half a site.

``write_site`` (a first build, or one with no record of the output) writes
the new site into a temporary folder beside the output and swaps it in only
when complete; files whose bytes did not change are hard-linked from the
previous output (same inode, so the same mtime: rsync and publish see no
change), and files the new build does not produce disappear with the old
folder. ``update_site`` (a rebuild that knows the hashes it wrote last time)
writes in place: only changed files, each through a temporary name and a
rename, and removes what is no longer produced. ``Staging`` is
``write_site`` taken apart, for a build that streams its files to the
temporary folder as they are made (so the site is never in memory whole)
and swaps the folder in once everything has rendered and been checked.
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


def _existing_files(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    out = set()
    top = str(root)
    for dirpath, _dirs, files in os.walk(top):
        # string slicing, not a Path per file: a site of 5,000 files is listed in a fraction of the time
        prefix = dirpath[len(top) + 1 :].replace(os.sep, "/")
        prefix = prefix + "/" if prefix else ""
        out.update(prefix + name for name in files)
    return out


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
        self.before = _existing_files(output)
        sweep_abandoned(output)
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

    def _unchanged(self, rel: str, digest: str | None, read) -> bool:
        if rel not in self.before:
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

    def commit(self) -> WriteStats:
        """Swap the staged site in for ``output``; files it does not have are gone with the old folder."""
        try:
            self.stats.removed_paths = sorted(self.before - self.names.keys() - self.copied.keys())
            _swap(self.folder, self.output)
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
        for rel, data in files.items():
            staging.put(rel, data, digests.get(rel))
        for rel, source in (copies or {}).items():
            staging.copy(rel, source, digests.get(rel))
    except BaseException:
        staging.discard()
        raise
    return staging.commit()


def sweep_abandoned(output: Path) -> list[str]:
    """Remove staging folders beside ``output`` left by builds that were killed (their process is gone).

    A staging folder is named ``.<output>.tmp-<pid>-<random>``; one whose
    process still runs (another build, a preview) is left alone.
    """
    removed = []
    prefix = f".{output.name}.tmp-"
    try:
        entries = list(os.scandir(output.parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
            continue
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to someone else
        return True
    return True


def _swap(new: Path, output: Path) -> None:
    if output.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
        os.rmdir(old)
        os.rename(output, old)
        try:
            os.rename(new, output)
        except OSError:
            os.rename(old, output)  # put the previous site back
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, output)
    os.chmod(output, 0o755)


def replace_in_place(dest: Path, write, *, make_parent: bool = False) -> None:
    """Give ``dest`` new contents so that no reader sees half a file: ``write(tmp)`` (or the bytes
    ``write``) goes to a temporary name beside it, which is then renamed over it."""
    if make_parent:
        dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.briefgen-tmp")
    try:
        if isinstance(write, bytes):
            tmp.write_bytes(write)
        else:
            write(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def update_site(
    output: Path,
    files: Mapping[str, bytes],
    copies: dict[str, Path],
    known: dict[str, tuple[str, int, int]],
    digests: dict[str, str],
) -> WriteStats:
    """Bring ``output`` to exactly ``files`` plus ``copies`` in place: a rebuild's write.

    Used when the last build's hashes (``known``) describe the output folder:
    only files whose bytes changed are written (each to a temporary name, then
    renamed over the old one, so no reader sees half a file), files no longer
    produced are removed, and everything else is not touched at all (the
    whole-folder swap of ``write_site`` would re-link thousands of files for
    a one-article edit). A failed build never gets here: it stops before writing.
    """
    stats = WriteStats()
    before = _existing_files(output)
    made_dirs: set[Path] = set()

    def put(rel: str, write) -> None:
        dest = output / rel
        if dest.parent not in made_dirs:
            dest.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(dest.parent)
        replace_in_place(dest, write)
        stats.changed_paths.append(rel)

    for rel in files:  # a file's bytes only when they must be compared or written (see ``SiteFiles``)
        same = _recorded_same(output / rel, rel, known, digests) if rel in before else False
        if same is None:
            same = _same(output / rel, files[rel])
        if same:
            stats.unchanged += 1
        else:
            put(rel, lambda tmp, data=files[rel]: tmp.write_bytes(data))
    for rel, source in copies.items():
        same = _recorded_same(output / rel, rel, known, digests) if rel in before else False
        if same is None:
            same = _same(output / rel, source.read_bytes())
        if same:
            stats.unchanged += 1
        else:
            put(rel, lambda tmp, source=source: shutil.copyfile(source, tmp))
    produced = set(files) | set(copies)
    stats.removed_paths = sorted(before - produced)
    for rel in stats.removed_paths:
        path = output / rel
        with contextlib.suppress(OSError):
            path.unlink()
        parent = path.parent
        while parent != output:  # drop folders the removal emptied
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    return stats
