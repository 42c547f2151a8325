"""The spare tree: a rebuild stages into the site before last instead of linking every file anew.

Real builds in subprocesses, real files. Whatever was done to the spare tree (a file replaced, a page
planted, a folder where a file goes and a file where a folder goes, a symbolic link out of it), the
rebuild that stages into it must give the site a clean build gives, byte for byte, and touch nothing
outside the project; ``clean`` removes it; a ``.site.spare`` that is not a folder is neither used nor
removed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from engine_support import clean_reference, differing

ARTICLES = "content/articles"
EDITED = f"{ARTICLES}/2025-02-23-record-russian-drone-attack.md"
DELETED = f"{ARTICLES}/2025-02-22-duda-urges-zelensky-calm.md"
UNRELATED = "people/index.html"  # a page none of the edits below changes


def tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def revise(project: Path, value: int) -> None:
    article = project / EDITED
    text = article.read_text()
    start = text.index("value: ")
    end = text.index("\n", start)
    article.write_text(text[:start] + f"value: {value}" + text[end:])


def build_like_clean(project: Path, tmp: Path, env: dict[str, str] | None = None) -> int:
    """``briefgen build`` in ``project``; its site must equal a build with no cache (and no spare tree)
    started from the same previous site, so that both read the same change history."""
    before = tmp / "before"
    if before.exists():
        shutil.rmtree(before)
    shutil.copytree(project / "site", before)
    proc = run_cli("build", cwd=project, check=True, env=env)
    reference = tmp / "references" / "site"
    if reference.parent.exists():
        shutil.rmtree(reference.parent)  # its own spare tree too
    reference.parent.mkdir(parents=True)
    clean_reference(project, before, reference)
    assert differing(tree(project / "site"), tree(reference)) == []
    return written(proc.stdout)


def written(summary: str) -> int:
    """The number of files a build wrote with new bytes, from its summary line."""
    return int(re.search(r"(\d+) written", summary).group(1))


def two_builds(project: Path) -> int:
    """Build, revise, build: site/ is the second build, .site.spare the first. Returns what the second wrote."""
    run_cli("build", "-q", cwd=project, check=True)
    revise(project, 280)
    proc = run_cli("build", cwd=project, check=True)
    assert (project / ".site.spare").is_dir(), "the old site was kept as the spare tree"
    return written(proc.stdout)


def shared(project: Path) -> int:
    """How many files of site/ are the very files (same inode) of the spare tree."""
    site, spare = project / "site", project / ".site.spare"
    count = 0
    for path in site.rglob("*"):
        twin = spare / path.relative_to(site)
        if path.is_file() and twin.is_file() and os.path.samestat(path.stat(), twin.stat()):
            count += 1
    return count


def test_the_spare_tree_shares_the_unchanged_files_and_rebuilds_equal_clean_builds(example: Path, tmp_path: Path):
    last = two_builds(example)
    files = len(tree(example / "site"))
    assert shared(example) > files * 0.8, "unchanged files are hard links, not copies: the spare costs little disk"
    steps = [
        lambda: revise(example, 281),
        lambda: (example / DELETED).unlink(),
        lambda: revise(example, 280),  # back to bytes the spare had two builds ago
        lambda: shutil.copy2(example.parent / "deleted.md", example / DELETED),
    ]
    shutil.copy2(example / DELETED, example.parent / "deleted.md")
    for step in steps:
        step()
        log = tmp_path / "points.log"
        log.unlink(missing_ok=True)
        now = build_like_clean(example, tmp_path, env={"BRIEFGEN_FAULT_LOG": str(log)})
        points = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
        assert "take spare" in points and "keep spare" in points
        # an entry is staged only if its bytes change now or changed in the last build (the spare has the older)
        assert points.count("stage") <= last + now < files, (points.count("stage"), last, now)
        last = now


def test_a_tampered_spare_tree_still_gives_the_clean_site(example: Path, tmp_path: Path):
    two_builds(example)
    spare = example / ".site.spare"
    unrelated = spare / UNRELATED
    unrelated.unlink()  # a new file, not the site's: never taken as it
    unrelated.write_text("<html>not the page</html>")
    (spare / "planted.html").write_text("<script>alert(1)</script>")
    (spare / "topics/planted/deep").mkdir(parents=True)
    (spare / "topics/planted/deep/index.html").write_text("planted")
    (spare / "topics/planted/empty").mkdir()
    shutil.rmtree(spare / "sources")
    (spare / "sources").write_text("a file where the site has a folder")
    home = spare / "index.html"
    home.unlink()
    (home / "inner").mkdir(parents=True)  # a folder where the site has a file
    revise(example, 290)
    build_like_clean(example, tmp_path)
    assert not (example / "site/planted.html").exists()


def test_a_spare_tree_holding_a_link_is_not_used_and_nothing_outside_changes(example: Path, tmp_path: Path):
    two_builds(example)
    spare = example / ".site.spare"
    outside = tmp_path / "outside"
    (outside / "topics").mkdir(parents=True)
    (outside / "index.html").write_text("someone else's page")
    (outside / "topics/index.html").write_text("someone else's topics")
    before = tree(outside)
    shutil.rmtree(spare / "people")
    os.symlink(outside, spare / "people")
    os.symlink(outside / "index.html", spare / "about.html")
    revise(example, 290)
    build_like_clean(example, tmp_path)
    assert tree(outside) == before, "nothing written or removed through a link"
    links = [p for p in (example / ".site.spare").rglob("*") if p.is_symlink()]
    assert links == [], "the spare tree with links was dropped; the new one is the site this build replaced"


def test_a_spare_path_that_is_not_a_folder_is_neither_used_nor_removed(example: Path, tmp_path: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "index.html").write_text("keep me")
    os.symlink(outside, example / ".site.spare")
    run_cli("build", "-q", cwd=example, check=True)
    revise(example, 280)
    run_cli("build", "-q", cwd=example, check=True)
    revise(example, 281)
    build_like_clean(example, tmp_path)
    assert (example / ".site.spare").is_symlink()
    assert tree(outside) == {"index.html": b"keep me"}
    assert sorted(p.name for p in example.iterdir() if p.name.startswith(".site")) == [".site.spare"]


def test_clean_removes_the_spare_tree(example: Path):
    two_builds(example)
    proc = run_cli("clean", cwd=example, check=True)
    assert ".site.spare/" in proc.stdout, proc.stdout
    assert not os.path.lexists(example / ".site.spare")
    assert (example / "site/index.html").is_file(), "plain clean leaves the site"
    two_builds(example)
    run_cli("clean", "--site", cwd=example, check=True)
    assert sorted(p.name for p in example.iterdir() if p.name.startswith(".site")) == []


def test_a_rebuild_that_fails_in_the_spare_tree_leaves_the_site_and_the_next_one_is_right(
    example: Path, tmp_path: Path
):
    """The rebuild takes the spare tree, then cannot replace an entry in it (a folder that may not be
    written): one located line, the site untouched, and the next build sweeps what is left and is right."""
    two_builds(example)
    spare = example / ".site.spare"
    before = tree(example / "site")
    locked = spare / "topics/drone-strikes"  # its page changes with the figure
    if os.geteuid() == 0:  # root writes through permissions: an immutable folder stops even root
        if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
            pytest.skip("running as root and this file system has no immutable attribute (chattr +i)")
        undo = ["chattr", "-i"]
    else:
        locked.chmod(0o555)
        undo = ["chmod", "755"]
    revise(example, 290)
    try:
        proc = run_cli("build", "-q", cwd=example)
    finally:
        for folder in example.glob(".site.*/topics/drone-strikes"):
            subprocess.run([*undo, str(folder)], check=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "topics/drone-strikes" in proc.stderr.splitlines()[0]
    assert tree(example / "site") == before
    build_like_clean(example, tmp_path)
    assert sorted(p.name for p in example.iterdir() if p.name.startswith(".site")) == [".site.spare"]


def test_a_new_project_keeps_the_spare_tree_out_of_git(tmp_path: Path):
    project = tmp_path / "desk"
    run_cli("new", str(project), check=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    two_builds(project)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True)
    assert ".site" not in status.stdout, status.stdout
