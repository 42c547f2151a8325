"""A rebuild stages an unchanged file by the ``stat`` the fingerprint stage took of it (``write_site``'s ``seen``).

The file may change between that ``stat`` and its link: it is staged as the output's very file all the same,
and recorded with the size and mtime it had when seen, so the next build sees it touched and makes it again;
one replaced by another file in between is staged from the spare tree as the file that was seen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from briefgen.engine.state import OutputFile, output_intact
from briefgen.engine.write import write_site


class Unread(Mapping):
    """The kept files of a rebuild: their names, never their bytes (``SiteFiles``)."""

    def __init__(self, names: list[str]):
        self.names = names

    def __getitem__(self, rel: str) -> bytes:
        raise AssertionError(f"{rel} was read")

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _site_with_spare(tmp_path: Path) -> Path:
    out = tmp_path / "site"
    write_site(out, {"a.html": b"old", "b/index.html": b"bee"})
    write_site(out, {"a.html": b"old", "b/index.html": b"bee"})  # the first site is now the spare tree
    assert (tmp_path / ".site.spare/a.html").is_file()
    return out


def _seen(out: Path, rels: list[str]) -> tuple[dict, dict, dict]:
    stats = {rel: os.stat(out / rel) for rel in rels}
    known = {rel: (f"d-{rel}", st.st_size, st.st_mtime_ns) for rel, st in stats.items()}
    return known, {rel: f"d-{rel}" for rel in rels}, dict(stats)


def test_a_file_changed_after_it_was_seen_is_recorded_as_seen_and_made_again_next_time(tmp_path: Path):
    out = _site_with_spare(tmp_path)
    rels = ["a.html", "b/index.html"]
    known, digests, seen = _seen(out, rels)
    before = os.stat(out / "a.html")
    with open(out / "a.html", "ab") as fh:  # after the fingerprint stage's stat, before the link
        fh.write(b" and more")
    stats = write_site(out, Unread(rels), known=known, digests=digests, seen=seen)
    assert stats.linked["a.html"] == (before.st_size, before.st_mtime_ns), "recorded as it was seen"
    assert os.stat(out / "a.html").st_ino == before.st_ino, "staged as the output's very file"
    recorded = {rel: OutputFile(digests[rel], *stats.linked[rel]) for rel in rels}
    assert output_intact(out, recorded) == {"a.html"}, "the next build sees it touched"


def test_a_file_replaced_after_it_was_seen_is_staged_as_the_file_seen(tmp_path: Path):
    out = _site_with_spare(tmp_path)
    rels = ["a.html", "b/index.html"]
    known, digests, seen = _seen(out, rels)
    (out / "a.tmp").write_bytes(b"someone else's")
    os.replace(out / "a.tmp", out / "a.html")  # a new inode in the output, after the stat
    stats = write_site(out, Unread(rels), known=known, digests=digests, seen=seen)
    assert (out / "a.html").read_bytes() == b"old", "the spare's entry is the file that was seen"
    assert sorted(p.name for p in out.iterdir()) == ["a.html", "b"]
    recorded = {rel: OutputFile(digests[rel], *stats.linked[rel]) for rel in rels}
    assert output_intact(out, recorded) == set()
