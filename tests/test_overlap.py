"""A cold build makes its feeds, sitemap and exports while its pages render (``parallel.map_chunks(beside=)``):
what runs beside the render is neither lost nor allowed to fail quietly.

Real forked processes, the real command line in a subprocess, real folders.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from briefgen.engine import parallel

sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(Path(__file__).parent))

from make_corpus import make_corpus  # noqa: E402
from test_parallel import _in_a_new_process, _squares  # noqa: E402


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _beside_runs_in_the_parent_while_a_worker_works(marks: str):
    """``beside`` says it started, then waits for a forked worker to say it saw that: only a worker working
    while ``beside`` runs can answer (were it run before the fork or after the work, this would time out)."""
    marks_dir, parent, ran = Path(marks), os.getpid(), []
    started, seen = marks_dir / "beside started", marks_dir / "a worker saw it"

    def work(start: int, stop: int) -> list:
        if os.getpid() != parent and not seen.exists():
            deadline = time.monotonic() + 60
            while not started.exists():
                assert time.monotonic() < deadline, "beside never started while this worker worked"
                time.sleep(0.01)
            seen.write_text(str(os.getpid()))
        return _squares(start, stop)

    def beside() -> None:
        ran.append(os.getpid())
        started.write_text("")
        deadline = time.monotonic() + 60
        while not seen.exists():
            assert time.monotonic() < deadline, "no worker worked while beside ran"
            time.sleep(0.01)

    count = 16 * parallel.MIN_ITEMS_PER_WORKER
    answers = parallel.map_chunks(work, count, 2, beside=beside)
    assert [(i, sq) for i, sq, _pid in answers] == [(i, i * i) for i in range(count)]
    assert ran == [parent], "beside ran once, in the parent"
    assert len({pid for _i, _sq, pid in answers}) == 2, "the parent took chunks after beside, a worker took some"
    assert not parallel.multiprocessing.active_children()


def _an_error_beside_stops_the_workers_and_reaches_the_caller():
    def beside() -> None:
        raise OSError(28, "No space left on device", "feed.xml")

    with pytest.raises(OSError, match="No space left"):
        parallel.map_chunks(_squares, 16 * parallel.MIN_ITEMS_PER_WORKER, 2, beside=beside)
    assert not parallel.multiprocessing.active_children(), "the workers are stopped and joined"
    assert parallel._WORK is None


def test_beside_runs_in_the_parent_while_a_worker_works(tmp_path: Path):
    _in_a_new_process("_beside_runs_in_the_parent_while_a_worker_works", str(tmp_path), module="test_overlap")


def test_an_error_beside_stops_the_workers_and_reaches_the_caller():
    _in_a_new_process("_an_error_beside_stops_the_workers_and_reaches_the_caller", module="test_overlap")


def test_in_line_beside_runs_once_after_the_work():
    order: list[str] = []

    def work(start: int, stop: int) -> list[int]:
        order.append("work")
        return list(range(start, stop))

    assert parallel.map_chunks(work, 100, 1, beside=lambda: order.append("beside")) == list(range(100))
    assert order == ["work", "beside"]
    order.clear()
    assert parallel.map_chunks(work, 0, 2, beside=lambda: order.append("beside")) == []
    assert order == ["beside"], "with nothing to render, what runs beside still runs"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_output_failing_beside_the_render_leaves_the_old_site_and_says_where(tmp_path: Path, jobs: str):
    project = make_corpus(160, tmp_path / "corpus", seed=3)  # enough pages for a worker to render beside
    out = tmp_path / "site"
    run_cli("build", "-q", "--jobs", jobs, "-s", str(project), "-o", str(out), check=True)
    before = _tree(out)
    assert "sitemap.xml" in before and "feed.xml" in before
    # --no-cache: a cold build, streaming every file into a staging folder beside the old site
    args = ("build", "-q", "--no-cache", "--jobs", jobs, "-s", str(project), "-o", str(out))
    proc = run_cli(*args, env={"BRIEFGEN_FAULT_DISK_FULL": "sitemap.xml"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.endswith(
        "sitemap.xml: no space left on the device (free some space, or build to another disk with --output)"
    ), first
    assert _tree(out) == before, "the old site exactly as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "site"], "no staging folder left behind"


def test_a_parallel_cold_build_has_every_output_made_beside_the_render(tmp_path: Path):
    """What ``site_outputs`` makes during the render is staged and listed: the same files as --jobs 1, each
    in the manifest with its SHA-256 (tests/test_build_speed.py compares every byte)."""
    import hashlib
    import json

    project = make_corpus(160, tmp_path / "corpus", seed=3)
    out = tmp_path / "site"
    run_cli("build", "-q", "--no-cache", "--jobs", "2", "-s", str(project), "-o", str(out), check=True)
    site = _tree(out)
    made_beside = [rel for rel in site if rel.endswith((".xml", ".json")) and not rel.startswith(".")]
    assert "feed.xml" in made_beside and "sitemap.xml" in made_beside and "robots.txt" in site
    assert any(rel.endswith("/briefing.json") for rel in made_beside)
    assert any(rel.endswith("/feed.xml") and rel != "feed.xml" for rel in made_beside)
    listed = json.loads(site[".briefgen-manifest.json"])["files"]
    for rel in [*made_beside, "robots.txt"]:
        assert listed[rel] == hashlib.sha256(site[rel]).hexdigest(), rel
