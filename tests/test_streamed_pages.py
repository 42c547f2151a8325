"""A large page (a topic's briefing pack) is written as it is made, never held whole: the bytes, digests and
staging are those of the page made whole, and a build killed while writing one leaves the old site as it was.

Real projects in tmp folders, real builds (in-process, and the command line in a subprocess killed with a
real SIGKILL at the write), real files compared byte for byte.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from briefgen.engine import streamed
from briefgen.engine.build import build
from briefgen.engine.inputs import bytes_digest, bytes_hash
from briefgen.engine.write import Staging
from briefgen.project import Project

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402

PACK = "topics/story-00-enonro/pack/index.html"  # make_corpus's largest topic


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _pieces(n: int = 40_000) -> list[str]:
    # ASCII, Latin-1, two-, three- and four-byte UTF-8: a batch boundary falls anywhere between them
    return [f'<p id="p{i}">Report {i} — café, Київ, 東京, 🛰 {"x" * (i % 97)}</p>\n' for i in range(n)]


def test_a_large_text_is_staged_with_the_bytes_and_digests_of_the_text_made_whole(tmp_path: Path):
    pieces = _pieces()
    whole = "".join(pieces).encode("utf-8")
    assert len(whole) > 3 * streamed.STREAM_AFTER  # written in several batches, not one
    staging = Staging(tmp_path / "site", None, bytes_hash, sha256=True)
    try:
        answer = staging.write_text("big/index.html", iter(pieces))
        small = staging.write_text("small/index.html", iter(pieces[:10]))
        assert (staging.folder / "big/index.html").read_bytes() == whole
        assert answer == (bytes_digest(whole), hashlib.sha256(whole).hexdigest(), True)
        assert small == staging.write("small2/index.html", "".join(pieces[:10]).encode("utf-8"))
    finally:
        staging.discard()


def test_a_streamed_page_the_old_output_has_unchanged_is_its_very_file(tmp_path: Path):
    """As ``write`` stages bytes: a page equal to the old output's file is that file (same inode, so publish
    and rsync see no change), a different one is new, and the old file is never written through."""
    pieces = _pieces()
    out = tmp_path / "site"
    (out / "same").mkdir(parents=True)
    (out / "same/index.html").write_bytes("".join(pieces).encode("utf-8"))
    (out / "other").mkdir()
    (out / "other/index.html").write_bytes("".join(pieces[:-1]).encode("utf-8") + b"<p>a different end</p>\n")
    before = _tree(out)
    inode = (out / "same/index.html").stat().st_ino
    staging = Staging(out, None, bytes_hash)  # no record of the old output: compared on the disk
    try:
        assert staging.write_text("same/index.html", iter(pieces))[2] is False
        assert staging.write_text("other/index.html", iter(pieces))[2] is True
        assert (staging.folder / "same/index.html").stat().st_ino == inode
        assert (staging.folder / "other/index.html").read_bytes() == "".join(pieces).encode("utf-8")
        assert _tree(out) == before
    finally:
        staging.discard()


def test_a_page_that_fails_half_way_through_its_stream_leaves_nothing_staged(tmp_path: Path):
    def failing():
        yield from _pieces()
        raise ValueError("a template failed after 3 MB")

    staging = Staging(tmp_path / "site", None, bytes_hash)
    try:
        with pytest.raises(ValueError):
            staging.write_text("big/index.html", failing())
        assert not (staging.folder / "big/index.html").exists()
    finally:
        staging.discard()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_cold_build_streaming_its_pages_writes_the_site_a_build_making_them_whole_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
):
    """The same project built cold twice: every page held whole (nothing is large enough to stream), and every
    page but the smallest streamed in batches of a few thousand characters, taken from the template seven pieces
    at a time. The two sites are the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1762500000")
    project_dir = make_corpus(160, tmp_path / "corpus", seed=3)
    written: list[Path] = []
    write_pieces = streamed.write_pieces

    def noting(dest, head, rest, hashes):
        written.append(dest)
        return write_pieces(dest, head, rest, hashes)

    monkeypatch.setattr(streamed, "write_pieces", noting)
    sites = {}
    for name, threshold, batch in (("whole", 1 << 40, streamed.BATCH), ("streamed", 3000, 7)):
        monkeypatch.setattr(streamed, "STREAM_AFTER", threshold)
        monkeypatch.setattr(streamed, "BATCH", batch)
        project = Project.at(project_dir, tmp_path / name)
        build(project, jobs=jobs, use_cache=False)
        sites[name] = _tree(tmp_path / name)
    if jobs == 1:  # (a forked worker's list is its own)
        assert len(written) > 100 and any(Path(p).as_posix().endswith("/pack/index.html") for p in written)
    assert sites["streamed"].keys() == sites["whole"].keys()
    assert sites["streamed"] == sites["whole"]


def test_a_build_killed_while_it_writes_a_streamed_page_leaves_the_old_site_as_it_was(tmp_path: Path):
    """400 articles: the largest topic's pack passes ``STREAM_AFTER`` characters. The build is killed (a real
    SIGKILL) after the pack's first batch is on the disk; the output folder is the old site, file for file."""
    project = make_corpus(400, tmp_path / "corpus", seed=7)
    out = tmp_path / "site"
    run_cli("build", "-q", "--jobs", "1", "-s", str(project), "-o", str(out), check=True)
    before = _tree(out)
    assert len(before[PACK].decode("utf-8")) > streamed.STREAM_AFTER
    log = tmp_path / "points.log"
    args = ("build", "-q", "--jobs", "1", "--no-cache", "-s", str(project), "-o", str(out))
    for _ in range(2):  # the second as the killed one will run: with the spare tree the first left beside
        log.unlink(missing_ok=True)
        run_cli(*args, env={"BRIEFGEN_FAULT_LOG": str(log)}, check=True)  # --no-cache: a cold build, streamed
    assert _tree(out) == before
    points = [line.split(" ", 1) for line in log.read_text().splitlines()]
    at = [n for n, name in points if name == "stream"]
    assert at, points
    config = project / "briefgen.yaml"
    config.write_text(config.read_text().replace("title: ", "title: Revised ", 1))  # on every page, the pack too

    proc = run_cli(*args, env={"BRIEFGEN_FAULT_AT": at[0]})

    assert proc.returncode == -9, (proc.returncode, proc.stderr)
    assert _tree(out) == before
    run_cli(*args, check=True)  # the next build recovers and makes the new site
    after = _tree(out)
    assert after.keys() == before.keys() and after[PACK] != before[PACK]
    assert b"Revised " in after[PACK]
