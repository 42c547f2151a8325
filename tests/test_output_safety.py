"""briefgen only ever replaces a folder it made, and keeps what a user keeps inside it (issue 15, findings 1, 2, 17).

Real folders, real git, the real command line in a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

GIT = ["git", "-c", "user.name=Desk", "-c", "user.email=desk@example.org", "-c", "init.defaultBranch=main"]


def git(*args: str, cwd: Path) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def located_refusal(proc: subprocess.CompletedProcess, shown: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith(f"{shown}: refusing to "), first
    assert "--force" in first and "--output" in first


@pytest.mark.parametrize("where", ["../victim", "docs", "stuff"])
def test_build_refuses_a_folder_it_did_not_make(example: Path, where: str):
    target = (example / where).resolve()
    target.mkdir(parents=True, exist_ok=True)
    precious = target / "thesis.docx"
    precious.write_bytes(b"four years of work")
    proc = run_cli("build", "--output", where, cwd=example)
    located_refusal(proc, str(target) if where.startswith("..") else where)
    assert precious.read_bytes() == b"four years of work"
    assert sorted(p.name for p in target.iterdir()) == ["thesis.docx"]


def test_force_replaces_the_folder_but_keeps_its_dot_entries(example: Path):
    target = example / "out"
    (target / ".git").mkdir(parents=True)
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (target / "old.html").write_text("not ours")
    run_cli("build", "--output", "out", "--force", cwd=example, check=True)
    assert not (target / "old.html").exists()
    assert (target / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (target / "index.html").is_file() and (target / ".briefgen-manifest.json").is_file()


def test_a_folder_with_only_dot_entries_or_nothing_is_built_into(example: Path):
    (example / "empty").mkdir()
    run_cli("build", "--output", "empty", cwd=example, check=True)
    git("init", "-q", "fresh", cwd=example)  # `git init site`, then build: the checkout stays
    run_cli("build", "--output", "fresh", cwd=example, check=True)
    assert (example / "fresh/index.html").is_file()
    assert git("rev-parse", "--is-inside-work-tree", cwd=example / "fresh").strip() == "true"


def test_the_repository_itself_is_never_an_output(example: Path):
    git("init", "-q", cwd=example)
    git("add", "-A", cwd=example)
    git("commit", "-qm", "the desk's content", cwd=example)
    for force in ([], ["--force"]):
        proc = run_cli("build", "--output", ".git", *force, cwd=example)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert proc.stderr.startswith(".git: refusing to build:")
    assert git("log", "--format=%s", cwd=example).strip() == "the desk's content"


def test_serve_refuses_a_folder_it_did_not_make(example: Path):
    victim = example.parent / "victim"
    victim.mkdir()
    (victim / "thesis.docx").write_bytes(b"work")
    proc = run_cli("serve", "--output", str(victim), "--port", "0", cwd=example)
    located_refusal(proc, str(victim))
    assert (victim / "thesis.docx").read_bytes() == b"work"


def test_clean_site_refuses_a_folder_it_did_not_make(example: Path):
    victim = example.parent / "victim"
    victim.mkdir()
    (victim / "thesis.docx").write_bytes(b"work")
    proc = run_cli("clean", "--site", "--output", str(victim), cwd=example)
    located_refusal(proc, str(victim))
    assert (victim / "thesis.docx").read_bytes() == b"work"


def test_a_gh_pages_checkout_in_site_keeps_its_git_and_unpushed_commits(example: Path, tmp_path: Path):
    """Finding 2: `git clone -b gh-pages REMOTE site`, commit inside it, build: site/.git and the commit stay."""
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    run_cli("build", cwd=example, check=True)
    site = example / "site"
    git("init", "-q", "-b", "gh-pages", cwd=site)
    git("add", "-A", cwd=site)
    git("commit", "-qm", "published", cwd=site)
    git("push", "-q", str(remote), "gh-pages", cwd=site)
    subprocess.run(["rm", "-rf", str(site)], check=True)
    git("clone", "-q", "-b", "gh-pages", str(remote), "site", cwd=example)
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n")
    git("commit", "-qam", "an unpushed local fix", cwd=site)
    (site / ".notes").write_text("mine")
    article = example / "content/articles/2025-02-23-record-russian-drone-attack.md"
    article.write_text(article.read_text().replace("value: 267", "value: 280"))

    proc = run_cli("build", cwd=example, check=True)

    assert git("log", "--format=%s", cwd=site).splitlines() == ["an unpushed local fix", "published"]
    assert (site / ".notes").read_text() == "mine"
    assert "280" in (site / "topics/drone-strikes/index.html").read_text()
    changed = git("status", "--porcelain", cwd=site)
    assert "topics/drone-strikes/index.html" in changed, "the checkout sees the new build as changes"
    assert ".git" not in (site / ".briefgen-manifest.json").read_text()
    removed = int(re.search(r"(\d+) removed", proc.stdout).group(1))
    assert removed < 20, f"the checkout's files are not the build's to remove: {proc.stdout}"


def test_a_git_file_of_a_worktree_in_site_is_kept(example: Path, tmp_path: Path):
    run_cli("build", cwd=example, check=True)
    (example / "site/.git").write_text("gitdir: ../../elsewhere/.git/worktrees/site\n")
    run_cli("build", "--no-cache", cwd=example, check=True)
    assert (example / "site/.git").read_text() == "gitdir: ../../elsewhere/.git/worktrees/site\n"


def test_dot_files_briefgen_wrote_are_its_own(example: Path):
    """The manifest is briefgen's: a site with it is replaced; a left-over temporary file of its own goes."""
    run_cli("build", cwd=example, check=True)
    stray = example / "site/topics/.index.html.briefgen-tmp"
    stray.write_text("half a page")
    run_cli("build", "--no-cache", cwd=example, check=True)
    assert not stray.exists()


def test_clean_site_keeps_a_git_checkout_and_removes_the_rest(example: Path):
    run_cli("build", cwd=example, check=True)
    git("init", "-q", cwd=example / "site")
    proc = run_cli("clean", "--site", cwd=example, check=True)
    assert "kept: .git" in proc.stdout
    assert sorted(p.name for p in (example / "site").iterdir()) == [".git"]
    run_cli("build", cwd=example, check=True)
    run_cli("clean", "--site", cwd=example, check=True)
    assert (example / "site/.git").is_dir()


def test_clean_removes_a_symlinked_cache_link_and_never_its_target(example: Path, tmp_path: Path):
    """Finding 17: `.briefgen-cache` is a link to a shared cache folder: the link goes, the folder stays."""
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    (shared / "someone-elses.bin").write_bytes(b"keep me")
    os.symlink(shared, example / ".briefgen-cache")
    run_cli("build", cwd=example, check=True)
    proc = run_cli("clean", cwd=example)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not os.path.lexists(example / ".briefgen-cache")
    assert (shared / "someone-elses.bin").read_bytes() == b"keep me"


def test_clean_site_through_a_symlinked_output_removes_the_link_only(example: Path, tmp_path: Path):
    run_cli("build", "--output", str(tmp_path / "real-site"), cwd=example, check=True)
    os.symlink(tmp_path / "real-site", example / "site")
    proc = run_cli("clean", "--site", cwd=example, check=True)
    assert "Traceback" not in proc.stderr
    assert not os.path.lexists(example / "site")
    assert (tmp_path / "real-site/index.html").is_file()


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX only")
