"""Stage 4, write: bytes -> the output folder, never half a site.

``write_site`` (a first build, or one with no record of the output) writes
the new site into a temporary folder beside the output and swaps it in only
when complete; files whose bytes did not change are hard-linked from the
previous output (same inode, so the same mtime: rsync and publish see no
change), and files the new build does not produce disappear with the old
folder. ``update_site`` (a rebuild that knows the hashes it wrote last time)
writes in place: only changed files, each through a temporary name and a
rename, and removes what is no longer produced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
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
    except OSError:
        shutil.copy2(old, dest)


def _existing_files(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    out = set()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            out.add((Path(dirpath) / name).relative_to(root).as_posix())
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


def write_site(
    output: Path,
    files: dict[str, bytes],
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
    stats = WriteStats()
    output.parent.mkdir(parents=True, exist_ok=True)
    before = _existing_files(output)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
    try:
        made_dirs: set[Path] = set()

        def dest_for(rel: str) -> Path:
            dest = tmp / rel
            if dest.parent not in made_dirs:
                dest.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(dest.parent)
            return dest

        for rel, data in files.items():
            dest = dest_for(rel)
            old = output / rel
            same = _recorded_same(old, rel, known, digests) if rel in before else False
            if same is None:
                same = _same(old, data)
            if same:
                _keep(old, dest)
                stats.unchanged += 1
            else:
                dest.write_bytes(data)
                stats.changed_paths.append(rel)
        for rel, source in (copies or {}).items():
            dest = dest_for(rel)
            old = output / rel
            same = _recorded_same(old, rel, known, digests) if rel in before else False
            if same is None:
                same = _same(old, source.read_bytes())
            if same:
                _keep(old, dest)
                stats.unchanged += 1
            else:
                shutil.copyfile(source, dest)
                stats.changed_paths.append(rel)
        produced = set(files) | set(copies or {})
        stats.removed_paths = sorted(before - produced)
        _swap(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stats


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


def update_site(
    output: Path,
    files: dict[str, bytes],
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
        tmp = dest.with_name(f".{dest.name}.briefgen-tmp")
        try:
            write(tmp)
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        stats.changed_paths.append(rel)

    for rel, data in files.items():
        same = _recorded_same(output / rel, rel, known, digests) if rel in before else False
        if same is None:
            same = _same(output / rel, data)
        if same:
            stats.unchanged += 1
        else:
            put(rel, lambda tmp, data=data: tmp.write_bytes(data))
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
