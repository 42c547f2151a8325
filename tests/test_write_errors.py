"""A build that cannot write says where and why in one line and leaves the previous site exactly as it was
(issue 15, findings 9 and 10): a real full disk and a real read-only file system (tmpfs mounts), a folder
whose attributes forbid writing, a file where a folder should be, and a folder where a file should be.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

ARTICLE = "content/articles/2025-02-23-record-russian-drone-attack.md"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def revise(project: Path, value: int) -> None:
    article = project / ARTICLE
    article.write_text(article.read_text().replace("value: 267", f"value: {value}"))


def assert_one_located_line(proc: subprocess.CompletedProcess, path: str, what: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Build failed: 1 error(s)"), proc.stderr
    where, _, said = lines[0].partition(": ")
    assert where == path or where.startswith(path + "/"), lines[0]
    assert said.startswith(f"{what} ("), lines[0]


def assert_consistent(site: Path) -> None:
    """One build's site: the manifest lists exactly its files with their SHA-256, the history is whole."""
    files = tree(site)
    listed = json.loads(files.pop(".briefgen-manifest.json"))["files"]
    assert listed.keys() == files.keys()
    assert [rel for rel, data in files.items() if hashlib.sha256(data).hexdigest() != listed[rel]] == []


@pytest.fixture
def mounted(tmp_path: Path):
    """A 12 MB tmpfs at ``tmp_path/disk`` (needs root and permission to mount; skipped otherwise)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(disk)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.decode().strip() or 'not permitted'})")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> None:
    """Use up every free block of the file system at ``disk``."""
    with open(disk / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass
    with open(disk / "filler-small", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 512)
        except OSError:
            pass


def test_a_full_disk_is_one_located_line_and_the_previous_site_stays_whole(example: Path, mounted: Path):
    site = mounted / "site"
    run_cli("build", "--output", str(site), cwd=example, check=True)
    before = tree(site)
    revise(example, 280)
    fill(mounted)
    proc = run_cli("build", "--output", str(site), cwd=example)
    assert_one_located_line(proc, str(site), "no space left on the device")
    assert tree(site) == before, "not one file of the previous site changed"
    assert sorted(p.name for p in mounted.iterdir()) == ["filler", "filler-small", "site"], "no staging left"
    (mounted / "filler").unlink()
    run_cli("build", "--output", str(site), cwd=example, check=True)
    assert "280" in (site / "topics/drone-strikes/index.html").read_text()
    assert "280" in (site / "changes/history.json").read_text(), "the history records what the failed build did not"
    assert_consistent(site)


def test_a_read_only_file_system_is_one_located_line(example: Path, mounted: Path):
    site = mounted / "site"
    run_cli("build", "--output", str(site), cwd=example, check=True)
    before = tree(site)
    revise(example, 280)
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    proc = run_cli("build", "--output", str(site), cwd=example)
    assert_one_located_line(proc, str(site), "the file system is read-only")
    assert tree(site) == before


def test_a_folder_that_may_not_be_written_is_one_located_line(example: Path, tmp_path: Path):
    parent = tmp_path / "public"
    parent.mkdir()
    site = parent / "site"
    run_cli("build", "--output", str(site), cwd=example, check=True)
    before = tree(site)
    revise(example, 280)
    if os.geteuid() == 0:  # root writes through permissions: an immutable folder stops even root
        if subprocess.run(["chattr", "+i", str(parent)], capture_output=True).returncode != 0:
            pytest.skip("running as root and this file system has no immutable attribute (chattr +i)")
        undo = ["chattr", "-i", str(parent)]
        what = "operation not permitted"
    else:
        parent.chmod(0o555)
        undo = ["chmod", "755", str(parent)]
        what = "permission denied"
    try:
        proc = run_cli("build", "--output", str(site), cwd=example)
    finally:
        subprocess.run(undo, check=True)
    assert_one_located_line(proc, str(site), what)
    assert tree(site) == before


def test_a_file_where_a_folder_should_be_is_one_located_line(example: Path):
    (example / "public").write_text("a file, not a folder")
    proc = run_cli("build", "--output", "public/site", cwd=example)
    assert_one_located_line(proc, "public", "a file is in the way where a folder should be")
    (example / "out").write_text("a file")
    proc = run_cli("build", "--output", "out", cwd=example)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr  # a usage error: --output names a file
    assert "'out' is a file" in proc.stderr
    assert (example / "out").read_text() == "a file"


def test_a_folder_where_a_site_file_should_be_never_leaves_half_a_rebuild(example: Path, tmp_path: Path):
    """Finding 9: site/sitemap.xml made a folder, then an edit: the topic pages got the new figure while
    the manifest, sitemap and history stayed stale. The rebuild is now the whole new site or nothing."""
    run_cli("build", cwd=example, check=True)
    site = example / "site"
    (site / "sitemap.xml").unlink()
    (site / "sitemap.xml").mkdir()
    (site / "sitemap.xml/stray").write_text("x")
    revise(example, 280)
    proc = run_cli("build", cwd=example)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert (site / "sitemap.xml").is_file()
    assert "280" in (site / "topics/drone-strikes/index.html").read_text()
    assert "280" in (site / "changes/history.json").read_text()
    assert_consistent(site)
    reference = tmp_path / "reference"
    shutil.copytree(example, reference, ignore=shutil.ignore_patterns("site", ".briefgen*"))
    (reference / ARTICLE).write_text((reference / ARTICLE).read_text().replace("value: 280", "value: 267"))
    run_cli("build", cwd=reference, check=True)
    revise(reference, 280)
    run_cli("build", cwd=reference, check=True)
    assert tree(site) == tree(reference / "site"), "the same site an undisturbed rebuild writes"


def test_a_build_state_that_cannot_be_saved_is_said(example: Path):
    """The state is saved after the site is written; a note about it came too late to be printed, and was lost."""
    (example / ".briefgen-cache" / "state.json" / "kept").mkdir(parents=True)  # a folder where the state goes
    proc = run_cli("build", "-q", cwd=example)
    assert proc.returncode == 0, proc.stderr
    assert "note: could not save the build state (Is a directory)" in proc.stderr
    assert (example / "site" / "index.html").is_file()
