"""The file operations that staging a site is made of (``briefgen.engine.write``): none writes through an existing
file (a staged entry may be a hard link into the live site), and paths are plain strings where thousands of files
pass (``pathlib`` cost a rebuild that links 5,000 files 0.05 s).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def same_bytes(old: Path, data: bytes) -> bool:
    """Whether the file ``old`` holds ``data`` (False when it cannot be read)."""
    try:
        if old.stat().st_size != len(data):
            return False
        return old.read_bytes() == data
    except OSError:
        return False


def link_or_copy(old: str | Path, dest: str) -> bool:
    """Make ``dest`` the file ``old``: a hard link (True), or where there is none, a copy with its mtime."""
    try:
        os.link(old, dest)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (another file system): a copy with the old mtime
        shutil.copy2(old, dest)
        return False
    return True


def stat_or_none(path: str) -> os.stat_result | None:
    """``os.stat(path)``, or None when there is nothing to stat there."""
    try:
        return os.stat(path)
    except OSError:
        return None


def make_dirs(path: str) -> None:
    """``Path(path).mkdir(parents=True, exist_ok=True)`` on a string: a folder another worker made meanwhile is no
    error, a file in the way is (``FileExistsError``)."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        parent = os.path.dirname(path)
        if parent == path:
            raise
        make_dirs(parent)
        make_dirs(path)
    except OSError:
        if not os.path.isdir(path):
            raise


def write_new(dest: str, data: bytes) -> None:
    """Create ``dest`` with ``data`` (``FileExistsError`` if something is there)."""
    with open(dest, "xb") as fh:
        fh.write(data)


def copy_new(source: Path, dest: str) -> None:
    """Create ``dest`` with the bytes of ``source`` (``FileExistsError`` if something is there)."""
    with open(source, "rb") as src, open(dest, "xb") as out:
        shutil.copyfileobj(src, out)


def fresh(dest: str, make, trees: bool = False):
    """Run ``make`` (which creates ``dest``) and return what it returns; if ``dest`` exists already, unlink it
    first, never write into it (with ``trees``, staging into a spare tree, a folder in the way is removed too)."""
    try:
        return make()
    except FileExistsError:
        if trees and os.path.isdir(dest) and not os.path.islink(dest):
            shutil.rmtree(dest)
        else:
            os.unlink(dest)
        return make()
