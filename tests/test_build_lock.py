"""One build at a time per project (issue 15, finding 8): real processes contend for the real lock."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import run_cli

HOLDER = """
import sys, time
from pathlib import Path
from briefgen.engine.lock import project_lock
with project_lock(Path(sys.argv[1]), command="briefgen publish --git origin"):
    print("holding", flush=True)
    time.sleep(120)
"""


def hold_lock(project: Path) -> subprocess.Popen:
    """Another process that holds the project's lock until it is killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(project)], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_second_run_waits_then_says_who_holds_the_lock_and_touches_nothing(example: Path):
    run_cli("build", cwd=example, check=True)
    before = tree(example / "site")
    article = example / "content/articles/2025-02-23-record-russian-drone-attack.md"
    article.write_text(article.read_text().replace("value: 267", "value: 280"))
    holder = hold_lock(example)
    try:
        for command in (["build"], ["clean", "--site"]):
            started = time.monotonic()
            proc = run_cli(*command, cwd=example, env={"BRIEFGEN_LOCK_WAIT": "1.5"})
            assert time.monotonic() - started >= 1.5, "it waited before giving up"
            assert proc.returncode == 1, proc.stdout + proc.stderr
            assert "Traceback" not in proc.stderr
            first = proc.stderr.splitlines()[0]
            assert first.startswith(".briefgen.lock: another briefgen run")
            assert f"pid {holder.pid}" in first and "briefgen publish --git origin" in first and "since 20" in first
            assert tree(example / "site") == before, "nothing was written while another run held the lock"
    finally:
        holder.kill()
        holder.wait()
    run_cli("build", cwd=example, check=True)  # the holder is gone: its lock went with it
    assert "280" in (example / "site/topics/drone-strikes/index.html").read_text()


def test_a_lock_left_by_a_killed_build_is_taken_over_at_once(example: Path):
    holder = hold_lock(example)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert str(holder.pid) in (example / ".briefgen.lock").read_text(), "the dead holder's note is still there"
    proc = run_cli("build", cwd=example, env={"BRIEFGEN_LOCK_WAIT": "0"})
    assert proc.returncode == 0, proc.stderr
    assert str(holder.pid) not in (example / ".briefgen.lock").read_text()


def test_a_waiting_build_goes_ahead_when_the_holder_finishes(example: Path):
    holder = hold_lock(example)
    waiting = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "build", "-q"],
        cwd=example,
        env=dict(os.environ, BRIEFGEN_LOCK_WAIT="60"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 8  # longer than a build of the example takes
    while time.monotonic() < deadline:
        assert waiting.poll() is None, "it waits while the lock is held"
        assert not (example / "site").exists(), "it wrote nothing while the lock was held"
        time.sleep(0.2)
    holder.kill()
    holder.wait()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert (example / "site/index.html").is_file()


def test_builds_started_together_all_succeed_one_after_another(example: Path):
    """Three builds at once, each after an edit: none crashes, and the site is the last one's to finish."""
    article = example / "content/articles/2025-02-23-record-russian-drone-attack.md"
    text = article.read_text()
    run_cli("build", cwd=example, check=True)
    env = dict(os.environ, BRIEFGEN_LOCK_WAIT="120", PYTHONUNBUFFERED="1")
    procs = []
    for value in (301, 302, 303):
        article.write_text(text.replace("value: 267", f"value: {value}"))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "briefgen", "build", "--jobs", "1"],
                cwd=example,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    assert "303" in (example / "site/topics/drone-strikes/index.html").read_text()
    assert_consistent(example / "site")
    beside = {p.name for p in example.glob(".site.*")}
    assert beside <= {".site.spare"}, "nothing but the spare tree (the site before last) left beside the site"


def assert_consistent(site: Path) -> None:
    """The site is one build's: its manifest lists exactly its files, with their bytes' SHA-256."""
    files = tree(site)
    listed = json.loads(files.pop(".briefgen-manifest.json"))["files"]
    assert listed.keys() == files.keys()
    assert [rel for rel, data in files.items() if hashlib.sha256(data).hexdigest() != listed[rel]] == []


def test_publish_holds_the_lock_around_its_build(example: Path):
    """``project_lock`` is what publish holds around build and sync; the build inside takes it again."""
    from briefgen.engine.build import build
    from briefgen.engine.lock import project_lock
    from briefgen.project import Project

    with project_lock(example, command="briefgen publish --dir www", wait=0):
        build(Project.at(example), jobs=1)
        proc = run_cli("build", cwd=example, env={"BRIEFGEN_LOCK_WAIT": "0"})
        assert proc.returncode == 1 and "briefgen publish --dir www" in proc.stderr
    assert (example / "site/index.html").is_file()
    run_cli("build", cwd=example, env={"BRIEFGEN_LOCK_WAIT": "0"}, check=True)
