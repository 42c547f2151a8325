"""`briefgen publish` to a real bare git repository and to a real folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from conftest import copy_example, run_cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Desk",
    "GIT_AUTHOR_EMAIL": "desk@example.org",
    "GIT_COMMITTER_NAME": "Desk",
    "GIT_COMMITTER_EMAIL": "desk@example.org",
}
OLD = 1_000_000_000  # 2001: an mtime no publish would set


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    repo = tmp_path / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    return repo


def branch_files(repo: Path, branch: str = "gh-pages") -> dict[str, str]:
    out = {}
    for line in git(repo, "ls-tree", "-r", branch).splitlines():
        meta, path = line.split("\t", 1)
        out[path] = meta.split()[2]
    return out


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def site_tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def publish(project: Path, *args: str, check: bool = True):
    return run_cli("publish", "--source", str(project), *args, env=GIT_ENV, check=check)


def tiny_project(root: Path) -> Path:
    """A desk with one topic and one article: far fewer files than the example."""
    (root / "content/topics").mkdir(parents=True)
    (root / "content/articles").mkdir()
    (root / "briefgen.yaml").write_text("title: Tiny desk\nbase_url: https://example.org/\n")
    (root / "content/topics/one.yaml").write_text("title: One story\nsummary: The bottom line.\n")
    (root / "content/articles/2025-03-01-first.md").write_text(
        "---\ntitle: First report\ndate: 2025-03-01T10:00:00+00:00\ntopics: [one]\nsummary: It happened.\n---\nText.\n"
    )
    return root


def test_git_branch_holds_exactly_the_site(example: Path, remote: Path):
    proc = publish(example, "--git", str(remote))
    assert "Published to" in proc.stdout and "0 deleted" in proc.stdout
    site = site_tree(example / "site")
    expected = {rel: blob_id(data) for rel, data in site.items()} | {".nojekyll": blob_id(b"")}
    assert branch_files(remote) == expected
    assert ".briefgen-manifest.json" in site
    assert git(remote, "log", "--format=%s", "gh-pages").split("\n")[0] == "Publish site"


def test_second_publish_with_one_change_touches_one_file(example: Path, remote: Path):
    publish(example, "--git", str(remote), "--branch", "live", "-m", "first")
    first = git(remote, "rev-parse", "live").strip()
    again = publish(example, "--git", str(remote), "--branch", "live")
    assert "up to date" in again.stdout
    assert git(remote, "rev-parse", "live").strip() == first, "no empty commit"
    (example / "templates/static").mkdir(parents=True)
    (example / "templates/static/favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    publish(example, "--git", str(remote), "--branch", "live", "-m", "new icon")
    assert git(remote, "rev-parse", "live~1").strip() == first, "a fast-forward on top of the last publish"
    touched = git(remote, "diff-tree", "--no-commit-id", "--name-only", "-r", "live").split()
    # the one file, and the manifest that records its new hash
    assert sorted(touched) == [".briefgen-manifest.json", "static/favicon.svg"]
    assert git(remote, "log", "-1", "--format=%s", "live").strip() == "new icon"


def test_dry_run_changes_nothing(example: Path, remote: Path):
    publish(example, "--git", str(remote))
    tip = git(remote, "rev-parse", "gh-pages").strip()
    article = example / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
    article.write_text(article.read_text().replace("kills one", "kills one man"))
    dest = example.parent / "www"
    proc = publish(example, "--git", str(remote), "--dir", str(dest), "--dry-run")
    assert "change  articles/2025-02-23-kryvyi-rih-missile-strike/index.html" in proc.stdout
    assert "add     index.html" in proc.stdout, "the folder target lists what it would add"
    assert git(remote, "rev-parse", "gh-pages").strip() == tip
    assert not dest.exists()
    # the search index's hash-named files are replaced, not lost: the guard does not count them
    real = publish(example, "--git", str(remote), "--max-deletes", "0")
    assert "Published to" in real.stdout and " 0 deleted" not in real.stdout
    deleted = git(remote, "diff-tree", "--no-commit-id", "--name-only", "--diff-filter=D", "-r", "gh-pages").split()
    assert deleted and all(p.startswith("pagefind/") for p in deleted)


def test_guard_refuses_to_delete_most_of_the_site(example: Path, remote: Path, tmp_path: Path):
    publish(example, "--git", str(remote))
    tip = git(remote, "rev-parse", "gh-pages").strip()
    tiny = tiny_project(tmp_path / "tiny")
    refused = publish(tiny, "--git", str(remote), check=False)
    assert refused.returncode == 1
    assert "refusing to publish" in refused.stderr and "more than the limit of 25" in refused.stderr
    assert git(remote, "rev-parse", "gh-pages").strip() == tip
    preview = publish(tiny, "--git", str(remote), "--dry-run", check=False)
    assert preview.returncode == 1 and "delete  topics/drone-strikes/index.html" in preview.stdout
    assert "refusing to publish" in preview.stderr
    forced = publish(tiny, "--git", str(remote), "--force")
    assert "deleted" in forced.stdout
    assert set(branch_files(remote)) == set(site_tree(tiny / "site")) | {".nojekyll"}


def test_folder_sync_removes_extras_and_keeps_unchanged_mtimes(example: Path, tmp_path: Path):
    dest = tmp_path / "www"
    publish(example, "--dir", str(dest))
    assert site_tree(dest) == site_tree(example / "site")
    for path in dest.rglob("*"):
        os.utime(path, (OLD, OLD))
    (dest / "stale.html").write_text("old page")
    (dest / "old/deep").mkdir(parents=True)
    (dest / "old/deep/x.html").write_text("old")
    (dest / ".git").mkdir()
    (dest / ".git/HEAD").write_text("ref: refs/heads/main\n")
    cfg = example / "briefgen.yaml"
    cfg.write_text(cfg.read_text().replace("publisher: briefgen example desk", "publisher: The Example Desk"))
    proc = publish(example, "--dir", str(dest))
    assert "Published to" in proc.stdout
    assert not (dest / "stale.html").exists() and not (dest / "old").exists()
    assert (dest / ".git/HEAD").is_file(), "a .git folder in the target is never touched"
    site = site_tree(example / "site")
    assert {k: v for k, v in site_tree(dest).items() if not k.startswith(".git/")} == site
    changed = [p for p in dest.rglob("*") if p.is_file() and ".git" not in p.parts and p.stat().st_mtime != OLD]
    assert changed, "pages showing the publisher were rewritten"
    unchanged = [p for p in dest.rglob("*") if p.is_file() and ".git" not in p.parts and p.stat().st_mtime == OLD]
    assert (dest / "static/favicon.svg") in unchanged
    assert len(unchanged) > 10, "files whose bytes did not change keep their mtime"
    for path in changed:
        assert b"The Example Desk" in path.read_bytes() or path.suffix not in (".html", ".xml"), path


def test_folder_guard_and_dangerous_targets(example: Path, tmp_path: Path):
    dest = tmp_path / "nginx"
    dest.mkdir()
    for i in range(30):
        (dest / f"someone-elses-{i}.txt").write_text("keep me")
    refused = publish(example, "--dir", str(dest), check=False)
    assert refused.returncode == 1 and "delete 30 files" in refused.stderr
    assert len(list(dest.iterdir())) == 30
    assert publish(example, "--dir", str(dest), "--max-deletes", "30").returncode == 0
    assert publish(example, "--dir", str(example / "public")).returncode == 0, "a folder of its own in the project"
    for target in (example, example / "site", example / "site/sub", example / "content", example.parent):
        proc = publish(example, "--dir", str(target), check=False)
        assert proc.returncode == 1 and "refusing to publish" in proc.stderr, target
    assert (example / "content/people.yaml").is_file()


def test_refuses_when_the_build_or_link_check_fails(example: Path, tmp_path: Path):
    dest = tmp_path / "www"
    publish(example, "--dir", str(dest))
    before = site_tree(dest)
    article = example / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
    article.write_text(article.read_text() + "\nSee [the missing one](no-such-article.md).\n")
    proc = publish(example, "--dir", str(dest), check=False)
    assert proc.returncode == 1 and "Refusing to publish" in proc.stderr
    assert "content/articles/2025-02-23-kryvyi-rih-missile-strike.md" in proc.stderr
    assert site_tree(dest) == before


def test_defaults_from_briefgen_yaml_and_usage_errors(example: Path, remote: Path, tmp_path: Path):
    assert publish(example, check=False).returncode == 2, "no target anywhere is a usage error"
    cfg = example / "briefgen.yaml"
    rel_remote = os.path.relpath(remote, example)
    cfg.write_text(
        cfg.read_text() + f"publish:\n  git: {rel_remote}\n  branch: site\n  dir: ../www\n  message: Desk update\n"
    )
    publish(example)
    assert git(remote, "log", "-1", "--format=%s", "site").strip() == "Desk update"
    assert site_tree(example.parent / "www") == site_tree(example / "site")


def test_relative_remote_from_the_project_folder(tmp_path: Path, remote: Path):
    project = copy_example(tmp_path / "desk")
    proc = run_cli("publish", "--git", "../pages.git", cwd=project, env=GIT_ENV, check=True)
    assert "Published to" in proc.stdout
    assert "index.html" in branch_files(remote)


def test_remote_by_name_like_mkdocs_gh_deploy(example: Path, remote: Path):
    """`--git origin` pushes to the URL the project's own repository has for origin."""
    subprocess.run(["git", "init", "-q", str(example)], check=True)
    subprocess.run(["git", "-C", str(example), "remote", "add", "origin", str(remote)], check=True)
    proc = publish(example, "--git", "origin")
    assert "Published to origin" in proc.stdout
    assert "index.html" in branch_files(remote)
