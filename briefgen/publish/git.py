"""Publishing onto a git branch (GitHub Pages): ``briefgen publish --git REMOTE``.

Plain git through subprocess rather than ghp-import, because publishing
needs the remote branch's file list before committing (for the plan, the dry
run and the deletion guard), must not commit when nothing changed, and must
never force-push over someone else's commit. The branch tip is fetched
(depth 1) into a private temporary repository, the new tree is built from the
site's files with ``hash-object``/``update-index`` (no work tree, no
``.gitignore``, no line-ending filters, so the branch holds exactly the
site's bytes, plus an empty ``.nojekyll`` so GitHub Pages serves the files as
they are), committed on top of the tip and pushed as a fast-forward.

What keeps a wrong ``--git``/``--branch`` from doing harm:

- Only a branch that is new, empty, or whose tip is a briefgen-published site
  is published onto without ``--force``. A tip is a published site when its
  root holds a ``.briefgen-manifest.json`` that reads as briefgen's manifest
  (``"generator": "briefgen"`` and a ``files`` map). Every site briefgen
  ever published carries one, a source branch never has one at its root, and
  it survives a hand-made commit on the branch (a ``CNAME`` set on GitHub).
  Even forced, the commit goes on top of the tip: nothing leaves the history.
- Never the branch the project itself is checked out on, in the project's own
  repository or a remote of it (the branch, or the upstream it tracks), not
  even with ``--force``.
- User-given names never reach git as options: a remote (given, from
  briefgen.yaml, or a remote's URL) or a branch starting with ``-`` is
  refused, every git call that takes a remote puts ``--`` before it, the
  branch is checked with ``git check-ref-format``, and only the ``file``,
  ``git``, ``http``, ``https`` and ``ssh`` transports are allowed
  (``GIT_ALLOW_PROTOCOL``: no ``ext::`` command, whatever git's config says).
- The deletion guard (``briefgen.publish.plan.guard_deletions``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from briefgen.outputs.manifest import MANIFEST_NAME
from briefgen.publish.plan import Plan, PublishError, check_plan, refuse, site_files

NOJEKYLL = ".nojekyll"
ALLOWED_PROTOCOLS = "file:git:http:https:ssh"
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:|^[\w-]+://")
_REMOTE_NAME = re.compile(r"[A-Za-z0-9][\w.-]*")
_SCRUBBED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env["GIT_ALLOW_PROTOCOL"] = ALLOWED_PROTOCOLS
    return env | extra


def _no_option(what: str, value: str) -> None:
    if value.startswith("-"):
        raise PublishError(
            f"refusing the {what} {value!r}: it starts with '-', which git would read as an option",
            f"give a URL, a path (./{value} for a folder named so) or a remote's name",
        )


def _project_git(repo: Path, *args: str) -> str | None:
    """Output of a read-only git command in the project's repository, or None when it fails."""
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=_clean_env())
    return proc.stdout.strip() if proc.returncode == 0 else None


def remote_url(remote: str, base: Path, repo: Path | None = None) -> str:
    """A remote as git gets it: local repositories as file:// URLs (so a shallow fetch works),
    and a remote's name (``origin``, as with ``mkdocs gh-deploy``) as the URL it has in ``repo``."""
    _no_option("remote", remote)
    if _SCP_LIKE.match(remote):
        return remote
    path = Path(remote).expanduser()
    path = path if path.is_absolute() else base / path
    if path.exists():
        return path.resolve().as_uri()
    if repo is not None and _REMOTE_NAME.fullmatch(remote):
        url = _project_git(repo, "remote", "get-url", remote)
        if url:
            return remote_url(url, repo)
    return remote


def _same_url(a: str, b: str) -> bool:
    def norm(u: str) -> str:
        return u.rstrip("/").removesuffix(".git").rstrip("/")

    return norm(a) == norm(b)


def checked_out_problem(repo: Path, url: str, branch: str) -> str | None:
    """Why publishing to ``branch`` of ``url`` would overwrite the project's own checked-out branch, or None."""
    head = _project_git(repo, "symbolic-ref", "-q", "--short", "HEAD")
    if not head:
        return None  # not a git repository, or no branch checked out
    found = _project_git(repo, "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir")
    folders = {Path(p).resolve() for p in (found or "").splitlines() if p}
    top = _project_git(repo, "rev-parse", "--show-toplevel")
    folders |= {Path(top).resolve()} if top else set()
    folders |= {f.parent for f in folders if f.name == ".git"}
    branches: set[str] = set()
    if url.startswith("file://") and Path(unquote(urlsplit(url).path)).resolve() in folders:
        branches.add(head)
    for name in (_project_git(repo, "remote") or "").split():
        urls = (_project_git(repo, "remote", "get-url", "--all", name) or "").splitlines()
        urls += (_project_git(repo, "remote", "get-url", "--push", "--all", name) or "").splitlines()
        if not any(u and not u.startswith("-") and _same_url(remote_url(u, repo), url) for u in urls):
            continue
        branches.add(head)
        if _project_git(repo, "config", "--get", f"branch.{head}.remote") == name:
            merge = _project_git(repo, "config", "--get", f"branch.{head}.merge") or ""
            branches.add(merge.removeprefix("refs/heads/"))
    if branch in branches:
        return f"the project in {repo} is checked out on {head}, which is that branch"
    return None


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class _Git:
    def __init__(self, git_dir: Path):
        self.git_dir = git_dir
        self.env = _clean_env(GIT_DIR=str(git_dir), GIT_INDEX_FILE=str(git_dir / "briefgen-index"))

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
    out = git("ls-remote", "--heads", "--", url, f"refs/heads/{branch}")
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


def is_published_site(git: _Git, tree: dict[str, tuple[str, str]]) -> bool:
    """Whether a branch tip's ``tree`` is a site briefgen published: its root holds briefgen's manifest."""
    import json

    entry = tree.get(MANIFEST_NAME)
    if entry is None:
        return False
    try:
        doc = json.loads(git("cat-file", "blob", entry[1]))
    except (ValueError, PublishError):
        return False
    return isinstance(doc, dict) and doc.get("generator") == "briefgen" and isinstance(doc.get("files"), dict)


def _check_branch(git: _Git, branch: str) -> None:
    _no_option("branch", branch)
    try:
        git("check-ref-format", f"refs/heads/{branch}")
    except PublishError:
        raise PublishError(f"{branch!r} is not a valid branch name", "see git help check-ref-format") from None


def publish_git(
    site_dir: Path,
    remote: str,
    branch: str,
    message: str,
    *,
    dry_run: bool,
    force: bool = False,
    base: Path | None = None,
    repo: Path | None = None,
    **limits,
) -> Plan:
    """Commit the site on top of ``branch`` of ``remote`` and push it; ``limits`` go to the deletion guard."""
    if shutil.which("git") is None:
        raise PublishError("git is not installed", "install git, or publish with --dir")
    url = remote_url(remote, base or Path.cwd(), repo)
    _no_option("remote URL", url)
    files = site_files(site_dir)
    plan = Plan(f"{remote} (branch {branch})")
    with tempfile.TemporaryDirectory(prefix="briefgen-publish-") as tmp:
        git = _Git(Path(tmp))
        git("init", "-q", "--bare", tmp)
        _check_branch(git, branch)
        problem = checked_out_problem(repo, url, branch) if repo is not None else None
        if problem:
            raise PublishError(
                f"refusing to publish to {plan.target}: {problem}", "publish to a branch of its own, e.g. gh-pages"
            )
        tip = _remote_tip(git, url, branch)
        old: dict[str, tuple[str, str]] = {}
        if tip is not None:
            git("fetch", "-q", "--depth=1", "--no-tags", "--", url, f"refs/heads/{branch}")
            old = _tree_of(git, tip)
        if old and not force and not is_published_site(git, old):
            refuse(plan, _not_a_site(plan.target, tip), dry_run)
        blobs = {rel: git_blob_id(path.read_bytes()) for rel, path in files.items()}
        blobs.setdefault(NOJEKYLL, git_blob_id(b""))
        _fill_plan(plan, old, blobs)
        check_plan(plan, old, dry_run=dry_run, force=force, **limits)
        if dry_run or (plan.empty and tip is not None):
            return plan
        plan.commit = _commit_and_push(git, url, branch, message, tip, files, blobs, plan)
    return plan


def _not_a_site(target: str, tip: str | None) -> PublishError:
    return PublishError(
        f"refusing to publish to {target}: its tip {(tip or '')[:12]} is not a site published by briefgen "
        f"(no briefgen {MANIFEST_NAME} at its root), and publishing replaces every file on it",
        "check --git and --branch (a new branch is fine); --force publishes on top of it anyway",
    )


def _fill_plan(plan: Plan, old: dict[str, tuple[str, str]], blobs: dict[str, str]) -> None:
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


def _commit_and_push(git: _Git, url: str, branch: str, message: str, tip, files, blobs, plan: Plan) -> str:
    new = [rel for rel in plan.added + plan.changed if rel in files]
    if new:
        git("hash-object", "-w", "--no-filters", "--stdin-paths", input="\n".join(str(files[r]) for r in new).encode())
    if NOJEKYLL not in files and NOJEKYLL in plan.added + plan.changed:
        git("hash-object", "-w", "--no-filters", "--stdin", input=b"")
    index = "".join(f"100644 {sha}\t{rel}\0" for rel, sha in sorted(blobs.items()))
    git("update-index", "--add", "-z", "--index-info", input=index.encode("utf-8"))
    tree = git("write-tree").strip()
    git.identity()
    commit = git("commit-tree", tree, *(["-p", tip] if tip else []), "-m", message).strip()
    git("push", "-q", "--", url, f"{commit}:refs/heads/{branch}")
    return commit
