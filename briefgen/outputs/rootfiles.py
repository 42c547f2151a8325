"""Root files: what a project keeps in ``root/`` is copied to the site's root as it is.

Hosts read a few files at the top of a site that no template makes: ``CNAME``
(GitHub Pages' custom domain), ``_headers`` and ``_redirects`` (Netlify,
Cloudflare Pages), ``.well-known/security.txt``, a search engine's
verification page. ``root/CNAME`` becomes ``CNAME``, ``root/.well-known/x``
becomes ``.well-known/x``: same bytes, never rendered, never hashed, listed in
the manifest like every file the build writes, so ``briefgen publish`` ships
them and keeps them (Hugo and Zola copy their ``static/`` folder the same way;
briefgen's ``templates/static/`` is the theme's assets, under ``/static/``).

Dot-entries are copied (``.well-known/`` is one, and nothing lands in
``root/`` by accident), except ``.git``: a checkout's own metadata is never
content. A root file may not take the place of a file the build writes
(``index.html``, ``feed.xml``, the manifest, a static file): that is a located
error, since one of the two would silently win.
"""

from __future__ import annotations

import os
from collections.abc import Container, Mapping
from pathlib import Path

from briefgen.problems import Problems
from briefgen.project import MANIFEST_NAME

ROOT_DIR = "root"  # inside the project folder
NEVER_COPIED = frozenset({".git"})
HOST_FILES = ("CNAME", "_headers", "_redirects", ".well-known/")  # what hosts read at a site's root


def root_dir(project) -> Path:
    return project.root / ROOT_DIR


def root_files(project) -> dict[str, Path]:
    """Every file under ``root/`` by its path in the site, in a stable order."""
    base = root_dir(project)
    found: dict[str, Path] = {}
    if not base.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in NEVER_COPIED)
        for name in sorted(filenames):
            if name in NEVER_COPIED:  # a worktree's or submodule's .git file
                continue
            path = Path(dirpath) / name
            found[path.relative_to(base).as_posix()] = path
    return found


def _folders(paths) -> set[str]:
    out = set()
    for rel in paths:
        parts = rel.split("/")
        out.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return out


def site_copies(project, statics: Mapping, generated: Container[str], problems: Problems) -> dict[str, Path]:
    """What the build copies from disk: the static files (``render.static_files``) and the root files.

    ``generated`` holds every file the build makes (pages, feeds, search...); a
    root file that would replace one of them, or a folder of them, is a located
    error and is left out.
    """
    copies = {s.output: s.source for s in statics.values()}
    files = root_files(project)
    if not files:
        return copies
    taken = set(copies) | {MANIFEST_NAME}
    folders = _folders(list(generated) + list(taken))
    for rel, source in files.items():
        parents = _folders([rel])
        if any(ord(c) < 32 or c == "\\" for c in rel):
            clash = "its name has a control character or a backslash, which hosts and git handle badly"
        elif rel in taken or rel in generated:
            clash = f"it would replace {rel}, which briefgen writes"
        elif rel in folders:
            clash = f"the site has a folder {rel}/"
        elif any(p in taken or p in generated for p in parents):
            clash = "briefgen writes a file where one of its folders would be"
        else:
            copies[rel] = source
            continue
        problems.error(
            project.rel(source),
            None,
            f"root file {rel}: {clash}",
            "rename or remove it: root/ holds only files the build does not make",
        )
    return copies


def lost_host_files(deleted: list[str]) -> list[str]:
    """The files hosts read at a site's root (``CNAME``...) among a publish's deletions."""
    return [rel for rel in deleted if rel in HOST_FILES or rel.startswith(".well-known/")]
