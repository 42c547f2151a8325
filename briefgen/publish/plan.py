"""Publishing a built site: the plan, the deletion guard, and the folder target.

Every target works the same way: compare the built site with what the target
holds, make a ``Plan`` (added, changed, deleted), refuse plans that look like
a mistake unless forced (``guard_deletions``), print the plan on
``--dry-run``, otherwise carry it out. Files whose bytes are the same are
never rewritten, so they keep their mtime (a folder target) or produce no diff
(a git target). The git target is ``briefgen.publish.git``.

The deletion guard refuses a plan that deletes more than ``max_deletes``
files (the search index's hash-named files not counted), or more than
``max_report_share`` percent of the reports (article pages) the target holds:
a wrong ``--dir``, a wrong ``--source`` or a bad checkout must not wipe what
readers have. Other targets call ``guard_deletions`` with their own lists.

``--dir PATH``: new and changed files are written to a temporary name and
renamed into place, then the files the plan lists as deleted are removed, and
the folders those deletions left empty. Readers of a live folder see each file
either old or new, never half-written. An entry named ``.git`` (a folder, or
the file of a worktree or submodule checkout) is never listed, deleted,
written through or looked into, at any depth; a symbolic link in the target is
a file of the plan (replaced or deleted itself, never written through); any
other folder the plan does not empty is left alone, empty or not.

The site carries ``.briefgen-manifest.json`` (see ``briefgen.outputs.manifest`` for its
format), so every published copy says which files and hashes it holds.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

PROTECTED = frozenset({".git"})  # never deleted, replaced or looked into inside a target folder
REGENERATED_PREFIXES = ("pagefind/",)  # hash-named files replaced wholesale by a rebuild
REPORT_PAGE = re.compile(r"articles/[^/]+/index\.html")  # a report (article) page of a published site
DEFAULT_MAX_DELETES = 25
DEFAULT_MAX_REPORT_SHARE = 20.0  # percent of the published reports


class PublishError(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


@dataclass
class Plan:
    target: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    commit: str | None = None  # the commit pushed (git targets)
    refusal: str | None = None  # a dry run's note that the real run would be refused

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.deleted)

    def lines(self) -> list[str]:
        return (
            [f"add     {p}" for p in self.added]
            + [f"change  {p}" for p in self.changed]
            + [f"delete  {p}" for p in self.deleted]
        )

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.deleted)} deleted, "
            f"{self.unchanged} unchanged"
        )


def site_files(site_dir: Path) -> dict[str, Path]:
    """Every file of a built site, by its /-separated path, in a stable order: what its manifest lists, and
    the manifest. Anything else in the folder (a ``.git`` checkout, notes kept there) is not the site's."""
    from briefgen.outputs.manifest import MANIFEST_NAME, read_manifest

    manifest = site_dir / MANIFEST_NAME
    try:
        listed = read_manifest(manifest.read_bytes())
    except OSError:
        raise PublishError(f"{site_dir} is not a built site (no {MANIFEST_NAME})", "run briefgen build first") from None
    out = {}
    for rel in sorted([*listed, MANIFEST_NAME]):
        path = site_dir / rel
        parts = rel.split("/")
        if any(part in ("", ".", "..") or part in PROTECTED for part in parts) or not path.is_file():
            raise PublishError(
                f"{site_dir}: the manifest lists {rel!r}, which is not a file of the site", "build again"
            )
        out[rel] = path
    return out


def is_report(path: str) -> bool:
    """Whether ``path`` (``/``-separated, relative to the site root) is a report's page."""
    return REPORT_PAGE.fullmatch(path) is not None


def guard_deletions(
    target: str,
    published: Collection[str],
    deleting: Collection[str],
    *,
    max_deletes: int = DEFAULT_MAX_DELETES,
    max_report_share: float = DEFAULT_MAX_REPORT_SHARE,
    force: bool = False,
) -> None:
    """Raise ``PublishError`` when deleting ``deleting`` from what ``target`` holds (``published``) looks wrong.

    Wrong is: more than ``max_deletes`` files, not counting the search index
    (``pagefind/``, whose hash-named files are replaced on every content or
    theme change), or more than ``max_report_share`` percent of the report
    pages in ``published`` (``articles/<slug>/index.html``). ``force`` allows
    anything. Paths are ``/``-separated and relative to the site root.
    """
    if force:
        return
    counted = sum(1 for p in deleting if not p.startswith(REGENERATED_PREFIXES))
    if counted > max_deletes:
        raise PublishError(
            f"refusing to publish to {target}: it would delete {counted} files, more than the limit of {max_deletes}",
            "check the target; run with --dry-run to see the files, then --force or a higher --max-deletes",
        )
    reports = sum(1 for p in published if is_report(p))
    gone = sum(1 for p in deleting if is_report(p))
    if gone and gone * 100 > max_report_share * reports:
        raise PublishError(
            f"refusing to publish to {target}: it would delete {gone} of the {reports} published reports "
            f"({gone * 100 / max(reports, 1):.0f}%), more than the limit of {max_report_share:g}%",
            "check the content and the target; run with --dry-run to see the files, then --force "
            "or a higher --max-report-share",
        )


def refuse(plan: Plan, error: PublishError, dry_run: bool) -> None:
    """Raise ``error``; in a dry run, note it on the plan instead (the plan is still shown)."""
    if not dry_run:
        raise error
    plan.refusal = plan.refusal or str(error)


def check_plan(plan: Plan, published: Collection[str], *, dry_run: bool, **limits) -> None:
    """``guard_deletions`` for a plan; ``limits`` are its keyword arguments."""
    try:
        guard_deletions(plan.target, published, plan.deleted, **limits)
    except PublishError as error:
        refuse(plan, error, dry_run)


# --- a folder ------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        sa, sb = a.stat(), b.stat()
    except OSError:
        return False
    if sa.st_size != sb.st_size:
        return False
    if (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino):
        return True
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def _target_files(dest: Path) -> set[str]:
    """What a target folder holds, as a plan sees it: files and symbolic links, never a ``.git`` entry."""
    out = set()
    if not dest.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(dest):
        folder = Path(dirpath)
        links = [d for d in dirnames if (folder / d).is_symlink()]  # a file of the plan, never walked into
        dirnames[:] = sorted(d for d in dirnames if d not in PROTECTED and d not in links)
        for name in [*filenames, *links]:
            if name not in PROTECTED:
                out.add((folder / name).relative_to(dest).as_posix())
    return out


def plan_dir(site_dir: Path, dest: Path, present: set[str] | None = None) -> Plan:
    files = site_files(site_dir)
    present = _target_files(dest) if present is None else present
    plan = Plan(str(dest))
    for rel, source in files.items():
        target = dest / rel
        if rel not in present:
            plan.added.append(rel)
        elif _same_file(source, target):
            plan.unchanged += 1
        else:
            plan.changed.append(rel)
    plan.deleted = sorted(present - set(files))
    plan.added.sort()
    plan.changed.sort()
    return plan


def _in_the_way(dest: Path, plan: Plan) -> str | None:
    """A path of the plan that would need a ``.git`` entry of the target removed, or None.

    A new file whose place is taken by a folder replaces that folder only when
    the plan deletes everything in it; a ``.git`` inside is never deleted.
    """
    for rel in plan.added:
        folder = dest / rel
        if folder.is_dir() and not folder.is_symlink():
            for _dirpath, dirnames, filenames in os.walk(folder):
                if PROTECTED & {*dirnames, *filenames}:
                    return rel
    return None


def _prune(dest: Path, rel: str) -> None:
    """Remove the folders above ``rel`` that are now empty, up to ``dest`` (never ``dest`` itself)."""
    parent = (dest / rel).parent
    while parent != dest and parent.is_relative_to(dest):
        try:
            parent.rmdir()
        except OSError:  # not empty (or gone): folders above it are not empty either
            return
        parent = parent.parent


def _make_room(dest: Path, rel: str, plan: Plan) -> Path:
    """The path for ``rel`` inside ``dest``, with what the plan deletes in its way removed first.

    A file (or link) where one of its folders goes is in ``plan.deleted``; so is
    every file of a folder where the file goes (``_in_the_way`` checked).
    """
    parts = rel.split("/")
    for i in range(1, len(parts)):
        p = dest.joinpath(*parts[:i])
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            p.unlink()
    target = dest / rel
    if target.is_dir() and not target.is_symlink():
        for d in plan.deleted:
            if d.startswith(rel + "/"):
                (dest / d).unlink(missing_ok=True)
        for dirpath, _dirnames, _filenames in os.walk(target, topdown=False):
            os.rmdir(dirpath)  # only folders are left in it: _in_the_way found no .git there
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def sync_dir(site_dir: Path, dest: Path, plan: Plan) -> None:
    """Carry out a folder plan: write new and changed files atomically, then delete what it lists."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in plan.added + plan.changed:
        target = _make_room(dest, rel, plan)
        tmp = target.with_name(f".{target.name}.briefgen-tmp")
        shutil.copyfile(site_dir / rel, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    for rel in plan.deleted:
        path = dest / rel
        if path.is_symlink() or path.is_file():
            path.unlink()
        _prune(dest, rel)  # the folders this deletion left empty; no other folder is touched


def dir_problem(dest: Path, holds: dict[str, Path], inside: dict[str, Path]) -> str | None:
    """Why ``dest`` must not be synced into, or None.

    The target must not be or contain any folder of ``holds`` (the project),
    nor be, contain or sit inside any folder of ``inside`` (content, templates,
    the built site). A fresh folder inside the project (``public/``) is fine.
    """
    dest = dest.resolve()
    if dest == Path(dest.anchor) or dest == Path.home().resolve():
        return "the target is the file system root or your home folder"
    for what, path in holds.items():
        if path.resolve().is_relative_to(dest):
            return f"the target folder is or holds {what}"
    for what, path in inside.items():
        path = path.resolve()
        if path.is_relative_to(dest) or dest.is_relative_to(path):
            return f"the target folder is, holds or is inside {what}"
    return None


def publish_dir(site_dir: Path, dest: Path, *, dry_run: bool, force: bool = False, **limits) -> Plan:
    """Sync ``site_dir`` into the folder ``dest``; ``limits``: ``max_deletes``, ``max_report_share``."""
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"{dest} is a file, not a folder", "give --dir a folder")
    present = _target_files(dest)
    plan = plan_dir(site_dir, dest, present)
    blocked = _in_the_way(dest, plan)
    if blocked:
        refuse(
            plan,
            PublishError(
                f"refusing to publish to {dest}: {blocked} is a folder holding a .git entry, and the site has a "
                "file there",
                "move the checkout elsewhere; publish never deletes a .git file or folder",
            ),
            dry_run,
        )
    check_plan(plan, present, dry_run=dry_run, force=force, **limits)
    if not dry_run and not plan.empty:
        sync_dir(site_dir, dest, plan)
    return plan
