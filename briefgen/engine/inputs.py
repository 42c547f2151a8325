"""The input table: every file a build reads, with its content hash.

Content, the config, the project's templates and static files, ``root/`` and the default theme (keyed
``theme:NAME``, outside the project). A file whose size and mtime are those recorded by the last build
keeps its recorded hash (a stat, not a read); any other is hashed again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


def file_digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def bytes_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


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
    project, previous: dict[str, InputFile] | None, changed: set[str] | None = None
) -> dict[str, InputFile]:
    """Every input file with its hash; files whose size and mtime are unchanged keep their old hash.

    ``changed`` (paths relative to the project) are hashed again whatever their
    mtime says: ``serve`` knows what it saw change.
    """
    previous = previous or {}
    changed = changed or set()
    out: dict[str, InputFile] = {}

    def add(key: str, path: str, st: os.stat_result) -> None:
        old = previous.get(key)
        if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size and key not in changed:
            out[key] = old
            return
        try:
            out[key] = InputFile(st.st_mtime_ns, st.st_size, file_digest(Path(path)))
        except OSError:
            return

    def walk(folder: str, prefix: str) -> None:  # plain strings and scandir: thousands of files, often
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=True):
                walk(entry.path, f"{prefix}{entry.name}/")
            else:
                try:
                    add(prefix + entry.name, entry.path, entry.stat(follow_symlinks=True))
                except OSError:
                    continue

    try:
        add(rel_key(project.config_path, project.root, "config:"), str(project.config_path), project.config_path.stat())
    except OSError:
        pass
    for prefix, folder in input_roots(project):
        if folder.is_dir():
            walk(str(folder), prefix or (rel_key(folder, project.root, "") + "/"))
    return out


def rel_key(path: Path, root: Path, prefix: str) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return prefix + path.as_posix()
