"""What `briefgen publish` must never do (issue 15): real git, real folders, the real CLI.

Each test reproduces one finding: a source branch replaced by the site (3), argument injection
into git (4), a vendored library's `.git/config` published (5), a `--dir` target's `.git` file or
unrelated empty folders removed (6), a dry run that changes local state (7), most of the reports
deleted in one publish (12), and root files (`CNAME`, `_headers`, `.well-known/`) that could not
be shipped and were deleted on every publish (17).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import run_cli
from test_publish import GIT_ENV, branch_files, git, publish

RECORD = "content/articles/2025-02-23-record-russian-drone-attack.md"


def sh_git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, **GIT_ENV)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return proc.stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    repo = tmp_path / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    return repo


def tip(repo: Path, branch: str) -> str:
    return git(repo, "rev-parse", f"refs/heads/{branch}").strip()


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (dot-entries included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def source_branch(tmp_path: Path, remote: Path, branch: str = "main") -> Path:
    """A fresh `briefgen new` project committed and pushed to ``branch`` of ``remote``: a source branch."""
    src = tmp_path / "source"
    run_cli("new", str(src), check=True)
    sh_git(src, "init", "-q", "-b", branch)
    sh_git(src, "add", "-A")
    sh_git(src, "commit", "-q", "-m", "the desk's sources")
    sh_git(src, "push", "-q", str(remote), f"{branch}:refs/heads/{branch}")
    return src


# --- finding 3: a branch that is not a published site ------------------------------------------------


def test_git_refuses_a_branch_whose_tip_is_not_a_published_site(example: Path, remote: Path, tmp_path: Path):
    source_branch(tmp_path, remote)
    before = tip(remote, "main")
    files = branch_files(remote, "main")
    assert len(files) < 25, "fewer files than the count guard: only the tip check can stop this"
    refused = publish(example, "--git", str(remote), "--branch", "main", check=False)
    assert refused.returncode == 1, refused.stdout
    assert "not a site published by briefgen" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert tip(remote, "main") == before and branch_files(remote, "main") == files
    preview = publish(example, "--git", str(remote), "--branch", "main", "--dry-run", check=False)
    assert preview.returncode == 1 and "not a site published by briefgen" in preview.stderr
    assert tip(remote, "main") == before
    # a new branch beside it, and then that published branch, are fine
    assert "Published to" in publish(example, "--git", str(remote), "--branch", "gh-pages").stdout
    (example / "root").mkdir()
    (example / "root/CNAME").write_text("briefing.example.org\n")
    assert "Published to" in publish(example, "--git", str(remote), "--branch", "gh-pages").stdout
    # --force publishes on top of the tip: the sources stay in the branch's history
    forced = publish(example, "--git", str(remote), "--branch", "main", "--force", "--max-deletes", "100")
    assert "Published to" in forced.stdout
    assert git(remote, "rev-parse", "main~1").strip() == before


def test_a_hand_made_commit_on_a_published_branch_is_still_a_published_site(example: Path, remote: Path, tmp_path):
    publish(example, "--git", str(remote))
    work = tmp_path / "pages"
    sh_git(tmp_path, "clone", "-q", "-b", "gh-pages", str(remote), str(work))
    (work / "CNAME").write_text("briefing.example.org\n")
    sh_git(work, "add", "CNAME")
    sh_git(work, "commit", "-q", "-m", "custom domain, set on the hosting side")
    sh_git(work, "push", "-q", "origin", "gh-pages")
    proc = publish(example, "--git", str(remote), check=False)
    assert proc.returncode == 0, proc.stderr
    assert "CNAME" in proc.stderr and "root/CNAME" in proc.stderr, "deleting a CNAME says how to keep it"


def test_never_publishes_onto_the_branch_the_project_is_checked_out_on(example: Path, remote: Path):
    sh_git(example, "init", "-q", "-b", "main")
    sh_git(example, "add", "-A")
    sh_git(example, "commit", "-q", "-m", "sources")
    sh_git(example, "remote", "add", "origin", str(remote))
    sh_git(example, "push", "-q", "-u", "origin", "main")
    head = sh_git(example, "rev-parse", "HEAD").strip()
    for target in ("origin", str(remote), str(example)):
        proc = publish(example, "--git", target, "--branch", "main", "--force", "--max-deletes", "1000", check=False)
        assert proc.returncode == 1, (target, proc.stdout)
        assert "checked out" in proc.stderr, proc.stderr
        assert tip(remote, "main") == head
        assert sh_git(example, "rev-parse", "HEAD").strip() == head
    assert "Published to" in publish(example, "--git", "origin").stdout, "another branch of the same remote is fine"


# --- finding 4: argument injection into git -----------------------------------------------------------


def test_a_remote_that_looks_like_an_option_runs_nothing(example: Path, tmp_path: Path):
    marker = tmp_path / "pwned"
    evil = f"--upload-pack=touch {marker};"
    proc = publish(example, "--git", evil, check=False)
    assert not marker.exists()
    assert proc.returncode == 1 and "starts with '-'" in proc.stderr, proc.stderr
    proc = publish(example, "--git", str(tmp_path / "x.git"), "--branch", f"--upload-pack=touch {marker};", check=False)
    assert proc.returncode != 0 and not marker.exists()
    # the same through briefgen.yaml: a located error, before anything runs
    cfg = example / "briefgen.yaml"
    cfg.write_text(cfg.read_text() + f'publish:\n  git: "{evil}"\n')
    proc = publish(example, check=False)
    assert proc.returncode == 1 and "briefgen.yaml:" in proc.stderr and "starts with '-'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists()


def test_a_remote_name_whose_url_looks_like_an_option_runs_nothing(example: Path, tmp_path: Path):
    marker = tmp_path / "pwned"
    sh_git(example, "init", "-q", "-b", "main")
    sh_git(example, "config", "remote.evil.url", f"--upload-pack=touch {marker};")
    proc = publish(example, "--git", "evil", check=False)
    assert not marker.exists()
    assert proc.returncode == 1 and "starts with '-'" in proc.stderr, proc.stderr


def test_the_ext_transport_is_never_used_even_when_git_allows_it(example: Path, tmp_path: Path):
    marker = tmp_path / "pwned"
    env = dict(GIT_ENV, GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="protocol.allow", GIT_CONFIG_VALUE_0="always")
    proc = run_cli("publish", "--source", str(example), "--git", f"ext::sh -c touch% {marker}", env=env)
    assert proc.returncode == 1
    assert not marker.exists()


# --- finding 5: dot-entries under templates/static ---------------------------------------------------


def test_dot_folders_under_templates_static_are_never_published(example: Path, remote: Path, tmp_path: Path):
    lib = example / "templates/static/vendor/chartlib"
    (lib / ".git").mkdir(parents=True)
    (lib / "LICENSE").write_text("MIT License\n")
    (lib / ".git/config").write_text(
        '[remote "origin"]\n\turl = https://desk-bot:ghp_s3cretT0ken@github.com/desk/chartlib.git\n'
    )
    (lib / ".github/workflows").mkdir(parents=True)
    (lib / ".github/workflows/ci.yml").write_text("on: push\n")
    (lib / ".env").write_text("TOKEN=s3cret\n")
    dest = tmp_path / "www"
    publish(example, "--git", str(remote), "--dir", str(dest))
    for files in (tree_bytes(example / "site"), tree_bytes(dest)):
        assert "static/vendor/chartlib/LICENSE" in files
        assert not [rel for rel, data in files.items() if b"s3cret" in data]
        assert not [rel for rel in files if rel.startswith("static/") and "/." in rel]
    on_branch = branch_files(remote)
    assert "static/vendor/chartlib/LICENSE" in on_branch
    assert not [rel for rel in on_branch if "chartlib/." in rel]
    manifest = (example / "site/.briefgen-manifest.json").read_text()
    assert "chartlib/.git" not in manifest and "s3cret" not in manifest


# --- finding 6: --dir keeps .git files and folders it did not list -----------------------------------


def test_dir_keeps_a_git_file_and_folders_the_plan_never_listed(example: Path, tmp_path: Path):
    dest = tmp_path / "www"
    publish(example, "--dir", str(dest))
    (dest / ".git").write_text("gitdir: ../repo.git/worktrees/www\n")  # a worktree checkout
    (dest / "vendor/sub").mkdir(parents=True)
    (dest / "vendor/sub/.git").write_text("gitdir: ../../.git/modules/sub\n")  # a submodule
    (dest / "uploads/2025").mkdir(parents=True)  # empty folders someone keeps there
    (dest / "topics/drone-strikes/drafts").mkdir()
    (dest / "old/page").mkdir(parents=True)
    (dest / "old/page/index.html").write_text("an old page the site no longer has")
    outside = tmp_path / "outside.html"
    outside.write_text("someone else's file")
    page = dest / "articles/2025-02-23-record-russian-drone-attack/index.html"
    page.unlink()
    page.symlink_to(outside)  # a link in the target is replaced, never written through
    article = example / RECORD
    article.write_text(article.read_text().replace("value: 267", "value: 268"))
    preview = publish(example, "--dir", str(dest), "--dry-run")
    deletes = [line.split()[1] for line in preview.stdout.splitlines() if line.startswith("  delete  ")]
    assert "old/page/index.html" in deletes
    assert all(p == "old/page/index.html" or p.startswith("pagefind/") for p in deletes), deletes
    assert ".git" not in preview.stdout and "uploads" not in preview.stdout and "drafts" not in preview.stdout
    proc = publish(example, "--dir", str(dest))
    assert f"{len(deletes)} deleted" in proc.stdout, proc.stdout
    assert (dest / ".git").read_text() == "gitdir: ../repo.git/worktrees/www\n"
    assert (dest / "vendor/sub/.git").is_file()
    assert (dest / "uploads/2025").is_dir() and (dest / "topics/drone-strikes/drafts").is_dir()
    assert not (dest / "old").exists(), "a folder emptied by the plan's own deletion goes with it"
    assert outside.read_text() == "someone else's file"
    assert not page.is_symlink() and b"268" in page.read_bytes()


def test_dir_never_writes_through_or_over_a_git_entry(example: Path, tmp_path: Path):
    """A site path that would need a `.git` entry of the target removed is refused, not carried out."""
    dest = tmp_path / "www"
    publish(example, "--dir", str(dest))
    (dest / "feed.xml").unlink()
    (dest / "feed.xml").mkdir()
    (dest / "feed.xml/.git").write_text("gitdir: elsewhere\n")
    proc = publish(example, "--dir", str(dest), check=False)
    assert proc.returncode == 1 and ".git" in proc.stderr and "Traceback" not in proc.stderr
    assert (dest / "feed.xml/.git").read_text() == "gitdir: elsewhere\n"
    (example / "root").mkdir()
    (example / "root/CNAME").write_text("briefing.example.org\n")
    for target in (example / "root", example / "root/.well-known"):
        proc = publish(example, "--dir", str(target), check=False)
        assert proc.returncode == 1 and "root/" in proc.stderr, proc.stderr
    assert sorted(p.name for p in (example / "root").iterdir()) == ["CNAME"]


# --- finding 7: --dry-run changes nothing anywhere ---------------------------------------------------


def test_dry_run_changes_no_local_state(example: Path, remote: Path, tmp_path: Path):
    publish(example, "--git", str(remote))
    article = example / RECORD
    original = article.read_text()
    article.write_text(original.replace("value: 267", "value: 280"))
    site, cache = example / "site", example / ".briefgen-cache"
    before = {"site": tree_bytes(site), "cache": tree_bytes(cache), "remote": tip(remote, "gh-pages")}
    assert before["cache"], "the build keeps a cache: the test must see it"
    dest = tmp_path / "www"
    proc = publish(example, "--git", str(remote), "--dir", str(dest), "--dry-run")
    assert "change  changes/history.json" in proc.stdout, "the plan shows what a real publish would record"
    assert "change  articles/2025-02-23-record-russian-drone-attack/index.html" in proc.stdout
    after = {"site": tree_bytes(site), "cache": tree_bytes(cache), "remote": tip(remote, "gh-pages")}
    assert after == before
    assert not dest.exists()
    # the value that was only ever previewed never reaches the public change history
    article.write_text(original)
    publish(example, "--git", str(remote))
    history = git(remote, "show", "gh-pages:changes/history.json")
    assert "280" not in history
    feed = git(remote, "show", "gh-pages:changes/feed.xml")
    assert "280" not in feed


# --- finding 12: a large share of the reports --------------------------------------------------------


def test_guard_refuses_to_delete_a_large_share_of_the_reports(example: Path, remote: Path, tmp_path: Path):
    publish(example, "--git", str(remote))
    dest = tmp_path / "www"
    publish(example, "--dir", str(dest))
    before, folder = tip(remote, "gh-pages"), tree_bytes(dest)
    articles = sorted((example / "content/articles").glob("*.md"))
    assert len(articles) == 12
    for path in articles[1:]:
        path.unlink()
    for args in (("--git", str(remote)), ("--dir", str(dest))):
        proc = publish(example, *args, check=False)
        assert proc.returncode == 1, proc.stdout
        assert "11 of the 12 published reports" in proc.stderr and "20%" in proc.stderr, proc.stderr
        assert "--max-report-share" in proc.stderr
    assert tip(remote, "gh-pages") == before and tree_bytes(dest) == folder
    assert publish(example, "--git", str(remote), "--max-report-share", "95").returncode == 0
    assert publish(example, "--dir", str(dest), "--force").returncode == 0


def test_report_share_from_briefgen_yaml_and_small_deletions(example: Path, remote: Path):
    publish(example, "--git", str(remote))
    folder = example / "content/articles"
    for name in ("2025-02-23-russia-says-20-ukrainian-drones-downed", "2025-02-23-zelensky-wants-trump-before-putin"):
        (folder / f"{name}.md").unlink()  # 2 of 12: under a fifth (and no other report links to them)
    assert "Published to" in publish(example, "--git", str(remote)).stdout
    for name in ("2025-02-22-duda-urges-zelensky-calm", "2025-02-23-kryvyi-rih-missile-strike"):
        (folder / f"{name}.md").unlink()
    (folder / "2025-02-21-trump-ukraine-no-cards.md").unlink()  # 3 of the 10 left: 30 %
    assert publish(example, "--git", str(remote), check=False).returncode == 1
    cfg = example / "briefgen.yaml"
    cfg.write_text(cfg.read_text() + "publish:\n  max_report_share: 50\n")
    assert "Published to" in publish(example, "--git", str(remote)).stdout


# --- finding 17: root files ---------------------------------------------------------------------------

ROOT_FILES = {
    "CNAME": b"briefing.example.org\n",
    "_headers": b"/*\n  X-Frame-Options: DENY\n",
    "_redirects": b"/old-feed /feed.xml 301\n",
    ".well-known/security.txt": b"Contact: mailto:desk@example.org\n",
    ".nojekyll": b"",
    "google0123456789abcdef.html": b"google-site-verification: google0123456789abcdef.html",
}


def write_root(project: Path) -> None:
    for rel, data in ROOT_FILES.items():
        path = project / "root" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_root_files_are_built_published_and_kept(example: Path, remote: Path, tmp_path: Path):
    write_root(example)
    (example / "root/.git").mkdir()
    (example / "root/.git/config").write_text("[core]\n")
    article = example / RECORD
    article.write_text(article.read_text() + "\nReport abuse as [our policy](../../.well-known/security.txt) says.\n")
    run_cli("build", "--strict", "--source", str(example), check=True)
    site = tree_bytes(example / "site")
    for rel, data in ROOT_FILES.items():
        assert site[rel] == data, rel
    assert not [rel for rel in site if rel.startswith(".git/")]
    manifest = json.loads((example / "site/.briefgen-manifest.json").read_text())["files"]
    assert "CNAME" in manifest and ".well-known/security.txt" in manifest
    dest = tmp_path / "www"
    publish(example, "--git", str(remote), "--dir", str(dest))
    on_branch = branch_files(remote)
    assert git(remote, "show", "gh-pages:CNAME") == "briefing.example.org\n"
    assert ".well-known/security.txt" in on_branch and "_headers" in on_branch
    assert (dest / "CNAME").read_bytes() == ROOT_FILES["CNAME"]
    again = publish(example, "--git", str(remote), "--dir", str(dest))
    assert "up to date" in again.stdout and "CNAME" not in again.stderr


def test_root_files_kept_on_a_branch_that_already_has_them(example: Path, remote: Path, tmp_path: Path):
    """A CNAME set on the branch by hand survives once the project ships the same file."""
    publish(example, "--git", str(remote))
    work = tmp_path / "pages"
    sh_git(tmp_path, "clone", "-q", "-b", "gh-pages", str(remote), str(work))
    (work / "CNAME").write_bytes(ROOT_FILES["CNAME"])
    sh_git(work, "add", "CNAME")
    sh_git(work, "commit", "-q", "-m", "custom domain")
    sh_git(work, "push", "-q", "origin", "gh-pages")
    write_root(example)
    proc = publish(example, "--git", str(remote))
    assert "0 deleted" in proc.stdout
    assert git(remote, "show", "gh-pages:CNAME") == "briefing.example.org\n"


def test_root_files_that_clash_with_the_site_are_located_errors(example: Path):
    (example / "root").mkdir()
    (example / "root/index.html").write_text("<p>not the home page</p>")
    (example / "root/.briefgen-manifest.json").write_text("{}")
    (example / "root/bad\nname.txt").write_text("a newline in a name")
    proc = run_cli("build", "--source", str(example))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "root/index.html" in proc.stderr and "root/.briefgen-manifest.json" in proc.stderr
    assert "control character" in proc.stderr
    assert not (example / "site").exists()
    for name in ("index.html", ".briefgen-manifest.json", "bad\nname.txt"):
        (example / "root" / name).unlink()
    (example / "root/missing.html").write_text('<a href="nowhere.html">a page the check does not read</a>')
    article = example / RECORD
    article.write_text(article.read_text() + "\nSee [the policy](../../.well-known/security.txt).\n")
    proc = run_cli("build", "--strict", "--source", str(example))
    assert proc.returncode == 1 and ".well-known/security.txt" in proc.stderr, "a link to a missing root file is broken"


def test_root_files_follow_edits_in_incremental_builds_and_are_watched(example: Path):
    from briefgen.project import Project
    from briefgen.serve.watch import ProjectWatcher

    run_cli("build", "--source", str(example), check=True)
    cname = example / "root/CNAME"
    cname.parent.mkdir()
    for text in ("a.example.org\n", "briefing.example.org\n"):
        cname.write_text(text)
        run_cli("build", "--source", str(example), check=True)
        assert (example / "site/CNAME").read_text() == text, "a root file is an input: no 'nothing changed'"
    cname.unlink()
    run_cli("build", "--source", str(example), check=True)
    assert not (example / "site/CNAME").exists()
    batches: list[set[str]] = []
    watcher = ProjectWatcher(Project.at(example), batches.append, echo=lambda text: None, quiet=0.05)
    watcher.start()
    try:
        (example / "root/_headers").write_text("/*\n  X-Frame-Options: DENY\n")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("root/_headers" in b for b in batches):
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert any("root/_headers" in b for b in batches), "serve rebuilds when a root file changes"
