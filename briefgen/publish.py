"""Publishing a built site: into a folder, or onto a git branch (GitHub Pages).

Both targets work the same way: compare the built site with what the target
holds, make a ``Plan`` (added, changed, deleted), refuse plans that delete
more than ``max_deletes`` files unless forced (a wrong ``--dir`` must not wipe
someone's folder), print the plan on ``--dry-run``, otherwise carry it out.
Files whose bytes are the same are never rewritten, so they keep their mtime
(a folder target) or produce no diff (a git target).

- ``--dir PATH``: new and changed files are written to a temporary name and
  renamed into place, then files the site no longer has are deleted (never a
  ``.git`` folder inside the target). Readers of a live folder see each file
  either old or new, never half-written.
- ``--git REMOTE``: plain git through subprocess rather than ghp-import,
  because publishing needs the remote branch's file list before committing
  (for the plan, the dry run and the deletion guard), must not commit when
  nothing changed, and must never force-push over someone else's commit.
  The branch tip is fetched (depth 1) into a private temporary repository,
  the new tree is built from the site's files with ``hash-object``/
  ``update-index`` (no work tree, no ``.gitignore``, no line-ending filters,
  so the branch holds exactly the site's bytes, plus an empty ``.nojekyll``
  so GitHub Pages serves the files as they are), committed on top of the tip
  and pushed as a fast-forward.

The site carries ``.briefgen-manifest.json`` (see ``briefgen.manifest`` for its
format), so every published copy says which files and hashes it holds.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

NOJEKYLL = ".nojekyll"
PROTECTED_DIRS = frozenset({".git"})  # never deleted or looked into inside a target folder
REGENERATED_PREFIXES = ("pagefind/",)  # hash-named files replaced wholesale by a rebuild


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
    """Every file of a built site, by its /-separated path, in a stable order."""
    if not site_dir.is_dir():
        raise PublishError(f"{site_dir} is not a built site", "run briefgen build first")
    out = {}
    for dirpath, dirnames, filenames in os.walk(site_dir):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            out[path.relative_to(site_dir).as_posix()] = path
    return out


def guarded_deletes(plan: Plan) -> list[str]:
    """The deletions the guard counts: not the search index, whose hash-named files are replaced on every
    content or theme change (their removal says nothing about publishing to the wrong place)."""
    return [p for p in plan.deleted if not p.startswith(REGENERATED_PREFIXES)]


def check_deletes(plan: Plan, max_deletes: int, force: bool, dry_run: bool = False) -> None:
    """Refuse (or, in a dry run, note) a plan that deletes more than ``max_deletes`` files."""
    count = len(guarded_deletes(plan))
    if count > max_deletes and not force:
        error = PublishError(
            f"refusing to publish to {plan.target}: it would delete {count} files, more than the limit of {max_deletes}",
            "check the target; run with --dry-run to see the files, then --force or a higher --max-deletes",
        )
        if not dry_run:
            raise error
        plan.refusal = str(error)


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
    out = set()
    if not dest.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(dest):
        dirnames[:] = sorted(d for d in dirnames if d not in PROTECTED_DIRS)
        for name in filenames:
            out.add((Path(dirpath) / name).relative_to(dest).as_posix())
    return out


def plan_dir(site_dir: Path, dest: Path) -> Plan:
    files = site_files(site_dir)
    present = _target_files(dest)
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


def _make_room(dest: Path, rel: str) -> Path:
    """The path for ``rel`` inside ``dest``, with any file in the way of its folders removed."""
    parts = rel.split("/")
    for i in range(1, len(parts)):
        p = dest.joinpath(*parts[:i])
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            p.unlink()
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    return target


def sync_dir(site_dir: Path, dest: Path, plan: Plan) -> None:
    """Carry out a folder plan: write new and changed files atomically, then delete."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in plan.added + plan.changed:
        target = _make_room(dest, rel)
        tmp = target.with_name(f".{target.name}.briefgen-tmp")
        shutil.copyfile(site_dir / rel, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    for rel in plan.deleted:
        path = dest / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
    if plan.deleted:  # folders left empty by the deletions go too
        for dirpath, _dirnames, filenames in os.walk(dest, topdown=False):
            folder = Path(dirpath)
            if folder == dest or PROTECTED_DIRS & set(folder.relative_to(dest).parts):
                continue
            if not filenames and not any(folder.iterdir()):
                folder.rmdir()


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


def publish_dir(site_dir: Path, dest: Path, *, dry_run: bool, max_deletes: int, force: bool) -> Plan:
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"{dest} is a file, not a folder", "give --dir a folder")
    plan = plan_dir(site_dir, dest)
    check_deletes(plan, max_deletes, force, dry_run)
    if not dry_run and not plan.empty:
        sync_dir(site_dir, dest, plan)
    return plan


# --- a git branch --------------------------------------------------------------

_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:|^[\w-]+://")
_REMOTE_NAME = re.compile(r"[A-Za-z0-9][\w.-]*")


def remote_url(remote: str, base: Path, repo: Path | None = None) -> str:
    """A remote as git gets it: local repositories as file:// URLs (so a shallow fetch works),
    and a remote's name (``origin``, as with ``mkdocs gh-deploy``) as the URL it has in ``repo``."""
    if _SCP_LIKE.match(remote):
        return remote
    path = Path(remote).expanduser()
    path = path if path.is_absolute() else base / path
    if path.exists():
        return path.resolve().as_uri()
    if repo is not None and _REMOTE_NAME.fullmatch(remote):
        proc = subprocess.run(["git", "-C", str(repo), "remote", "get-url", remote], capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip():
            return remote_url(proc.stdout.strip(), repo)
    return remote


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class _Git:
    def __init__(self, git_dir: Path):
        self.git_dir = git_dir
        self.env = dict(os.environ, GIT_DIR=str(git_dir), GIT_INDEX_FILE=str(git_dir / "briefgen-index"))
        for var in ("GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"):
            self.env.pop(var, None)

    def __call__(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", "-c", "core.autocrlf=false", *args],
            cwd=self.git_dir,
            env=self.env,
            input=input,
            capture_output=True,
        )
        if check and proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PublishError(f"git {args[0]} failed: {detail[-1] if detail else proc.returncode}")
        return proc.stdout.decode("utf-8", "replace")

    def identity(self) -> None:
        """Commit as the user when git knows them, otherwise as briefgen."""
        if not self("config", "user.name", check=False).strip():
            self.env.setdefault("GIT_AUTHOR_NAME", "briefgen")
            self.env.setdefault("GIT_COMMITTER_NAME", "briefgen")
        if not self("config", "user.email", check=False).strip():
            self.env.setdefault("GIT_AUTHOR_EMAIL", "briefgen@localhost")
            self.env.setdefault("GIT_COMMITTER_EMAIL", "briefgen@localhost")


def _remote_tip(git: _Git, url: str, branch: str) -> str | None:
    out = git("ls-remote", "--heads", url, f"refs/heads/{branch}")
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def _tree_of(git: _Git, commit: str) -> dict[str, tuple[str, str]]:
    out = {}
    for entry in git("ls-tree", "-r", "-z", "--full-tree", commit).split("\0"):
        if entry:
            meta, _, path = entry.partition("\t")
            mode, _kind, sha = meta.split()
            out[path] = (mode, sha)
    return out


def publish_git(
    site_dir: Path,
    remote: str,
    branch: str,
    message: str,
    *,
    dry_run: bool,
    max_deletes: int,
    force: bool,
    base: Path | None = None,
    repo: Path | None = None,
) -> Plan:
    if shutil.which("git") is None:
        raise PublishError("git is not installed", "install git, or publish with --dir")
    url = remote_url(remote, base or Path.cwd(), repo)
    files = site_files(site_dir)
    blobs = {rel: git_blob_id(path.read_bytes()) for rel, path in files.items()}
    blobs.setdefault(NOJEKYLL, git_blob_id(b""))
    plan = Plan(f"{remote} (branch {branch})")
    with tempfile.TemporaryDirectory(prefix="briefgen-publish-") as tmp:
        git = _Git(Path(tmp))
        git("init", "-q", "--bare", tmp)
        tip = _remote_tip(git, url, branch)
        old: dict[str, tuple[str, str]] = {}
        if tip is not None:
            git("fetch", "-q", "--depth=1", "--no-tags", url, f"refs/heads/{branch}")
            old = _tree_of(git, tip)
        for rel, sha in blobs.items():
            if rel not in old:
                plan.added.append(rel)
            elif old[rel] != ("100644", sha):
                plan.changed.append(rel)
            else:
                plan.unchanged += 1
        plan.deleted = sorted(set(old) - set(blobs))
        plan.added.sort()
        plan.changed.sort()
        check_deletes(plan, max_deletes, force, dry_run)
        if dry_run or (plan.empty and tip is not None):
            return plan
        new = [rel for rel in plan.added + plan.changed if rel != NOJEKYLL]
        if new:
            git(
                "hash-object",
                "-w",
                "--no-filters",
                "--stdin-paths",
                input="\n".join(str(files[r]) for r in new).encode(),
            )
        if NOJEKYLL in plan.added + plan.changed:
            git("hash-object", "-w", "--no-filters", "--stdin", input=b"")
        index = "".join(f"100644 {sha}\t{rel}\0" for rel, sha in sorted(blobs.items()))
        git("update-index", "--add", "-z", "--index-info", input=index.encode("utf-8"))
        tree = git("write-tree").strip()
        git.identity()
        commit = git("commit-tree", tree, *(["-p", tip] if tip else []), "-m", message).strip()
        git("push", "-q", url, f"{commit}:refs/heads/{branch}")
        plan.commit = commit
    return plan
