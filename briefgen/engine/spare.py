"""The spare tree: the site before the current one, kept beside the output to stage the next build in.

A build swaps its staged site in for the output (``briefgen.engine.swap``); the folder that comes
out of that exchange holds the previous site. Instead of removing it file by file, ``swap_in`` keeps
it as ``.<output>.spare`` (``swap.spare_path``). Most of its files are hard links shared with the
live site (the files the last build did not change), so it costs the disk only the files the last
build changed or removed.

The next build takes it as its staging folder (``take``: renamed to the build's own
``.<output>.tmp-<pid>-<random>`` name first, so a build killed while bringing it up to date leaves a
folder the next start removes, never a half-updated spare) and only brings it up to date
(``briefgen.engine.write.Staging``): an entry the new site keeps is left alone only when it *is* the
output's file (same device and inode, checked with ``lstat`` for every such entry, after the usual
check that the output's file is as the last build recorded it); any other entry is replaced by a new
file (unlinked first: an entry may be a hard link into the live site, which is never written through),
and entries the new site does not have are removed (``tidy``). A spare that holds anything but
folders and regular files (a symbolic link, a device...) is not used at all: it is removed and the
build stages into an empty folder, as it would with no spare. So whatever was done to the spare, the
staged site is the one a build without it would stage.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.engine import faults
from briefgen.engine.swap import remove_tree, spare_path


@dataclass
class Spare:
    """What the spare tree held when it was taken: its files (paths relative to it) and its empty folders."""

    files: set[str] = field(default_factory=set)
    empty: list[str] = field(default_factory=list)  # folders with nothing in them


def take(output: Path, folder: Path) -> Spare | None:
    """Make the spare tree beside ``output`` the (empty) staging ``folder``; what it holds, or None
    when there is no usable spare (``folder`` is then still an empty folder)."""
    spare = spare_path(output)
    try:
        st = os.lstat(spare)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None  # not a folder briefgen left (a link, a file): not ours to use or remove
    if not os.path.isdir(output):  # nothing to stage against: the spare is stale
        remove_tree(spare)
        return None
    faults.point("take spare")
    try:
        os.rename(spare, folder)  # over the empty folder: the staging name is never free in between
    except OSError:
        return None
    listing = _walk(str(folder))
    if listing is None:  # something briefgen never writes: stage from nothing
        remove_tree(folder)
        os.mkdir(folder, 0o700)
    return listing


def _walk(top: str) -> Spare | None:
    """Every file and folder under ``top``; None when it holds anything else (a link, a device...)."""
    found = Spare()
    stack = [("", top)]
    while stack:
        prefix, path = stack.pop()
        empty = True
        with os.scandir(path) as entries:
            for entry in entries:
                empty = False
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    found.files.add(rel)
                else:
                    return None
        if empty and prefix:
            found.empty.append(prefix[:-1])
    return found


def tidy(folder: Path, spare: Spare, produced) -> None:
    """Remove from the staging ``folder`` the spare's files that the new site does not have (``produced``
    lists every file it has), then the folders that left empty."""
    base = str(folder) + os.sep
    emptied = set(spare.empty)
    for rel in spare.files:
        if rel in produced:
            continue
        faults.point("remove extra")
        try:
            os.unlink(base + rel)
        except FileNotFoundError:
            pass
        except OSError:
            if not os.path.isdir(base + rel):  # a folder now: the new site has files under it
                raise
            continue
        emptied.add(rel.rpartition("/")[0])
    for rel in sorted(emptied, key=lambda r: r.count("/"), reverse=True):
        while rel:
            try:
                os.rmdir(base + rel)
            except OSError:  # not empty (or gone): what is above it is not empty either
                break
            rel = rel.rpartition("/")[0]


def clear_way(folder: Path, rel: str) -> None:
    """Remove what the spare has where the new site needs folders for ``rel``: a file of the old site at
    ``a`` when the new one has ``a/b.html``."""
    path = folder
    for part in rel.split("/")[:-1]:
        path = path / part
        if os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)
            return


def in_place(folder: str, rel: str, st: os.stat_result | None) -> bool:
    """Whether the staged entry at ``rel`` is the very file ``st`` describes (same device and inode)."""
    if st is None:
        return False
    try:
        mine = os.lstat(folder + rel)
    except OSError:
        return False
    return mine.st_ino == st.st_ino and mine.st_dev == st.st_dev and stat.S_ISREG(mine.st_mode)


def drop(output: Path) -> bool:
    """Remove the spare tree beside ``output`` (``briefgen clean``); whether there was one."""
    spare = spare_path(output)
    if os.path.islink(spare) or not os.path.isdir(spare):
        return False
    with contextlib.suppress(FileNotFoundError):
        remove_tree(spare)
    return True
