"""A topic's exports (``briefing.json``, ``timeline.json``) are kept by what they read (``engine.exportkey``):
the site-wide data, the topic's file and each of its articles' front matter, not a body. An edit of any of
those gives a clean build's bytes; an edit of a body alone keeps every export, unmade.

The change history (``changes/history.json``) is kept when the build read it, unchanged, from the bytes the
last build wrote (``kept.Keeper.changes``); when it changes, it is the file a build without the cache writes
from the same previous history.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import copy_example
from engine_support import edit_first_figure

from briefgen.briefing import changes
from briefgen.engine import database
from briefgen.engine.build import Builder
from briefgen.outputs import exports
from briefgen.project import Project

HISTORY = "changes/history.json"  # a record of earlier builds, not a function of the input
MINERALS = "content/articles/2025-02-22-trump-says-minerals-deal-close.md"
MINERALS_EXPORTS = ("topics/minerals-deal/briefing.json", "topics/minerals-deal/timeline.json")


def _tree(root: Path, history: bool = False) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    if not history:
        files.pop(HISTORY, None)
        manifest = json.loads(files[".briefgen-manifest.json"])
        manifest["files"].pop(HISTORY, None)
        files[".briefgen-manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def _build(project: Path, out: Path, *, cache: bool = True, record: bool = False) -> dict[str, bytes]:
    """One build as ``briefgen build`` runs it: a new Builder, its state from ``.briefgen-cache/``."""
    Builder(Project.at(project, out), jobs=1, use_cache=cache, record_changes=record, once=True).rebuild()
    return _tree(out, history=record)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1))


def _article(old: str, new: str):
    return lambda p: _replace(p / MINERALS, old, new)


# every kind of input a topic's exports read, each edited where it shows in the minerals-deal topic's exports
EDITS = {
    "title": _article("title: Trump says a minerals", "title: Trump calls a minerals"),
    "date": _article("date: 2025-02-22T08:15:00+02:00", "date: 2025-02-22T07:15:00+02:00"),
    "summary": _article("summary: Trump said at the White House", "summary: Trump told reporters at the White House"),
    "dateline": _article("topics: [minerals-deal]\n", "topics: [minerals-deal]\ndateline: WASHINGTON\n"),
    "updated": _article("topics: [minerals-deal]\n", "topics: [minerals-deal]\nupdated: 2025-03-01T10:00:00+02:00\n"),
    "correction": _article(
        "topics: [minerals-deal]\n",
        "topics: [minerals-deal]\ncorrections:\n  - date: 2025-03-02T09:00:00+02:00\n    text: A wrong date.\n",
    ),
    "quote": _article('"Any deal that can be made has to be', '"Any deal we make has to be'),
    "quote-speaker": _article("  - speaker: trump\n", "  - speaker: kellogg\n"),
    "event": _article("On Friday, Kellogg meets injured", "On Friday, Kellogg visits injured"),
    "claim-status": _article("    status: unverified\n", "    status: confirmed\n"),
    "source": _article("  - source: roundup\n", "  - source: roundup\n  - source: fox-news\n"),
    "people": _article("people: [trump, kellogg, zelensky, biden,", "people: [trump, kellogg, biden, duda,"),
    "figure": lambda p: edit_first_figure(p / "content/articles"),
    "topics": _article("topics: [minerals-deal]", "topics: [minerals-deal, nato-offer]"),
    "slug": _article("topics: [minerals-deal]\n", "topics: [minerals-deal]\nslug: minerals-close\n"),
    "topic-file": lambda p: _replace(
        p / "content/topics/minerals-deal.yaml", "  - text: The US reply", "  - text: Washington's reply"
    ),
    "person": lambda p: _replace(p / "content/people.yaml", "name: Donald Trump", "name: Donald J. Trump"),
    "outlet": lambda p: _replace(p / "content/sources.yaml", "name: Wire roundup,", "name: Wires roundup,"),
    "config-title": lambda p: _replace(p / "briefgen.yaml", "title: Ukraine Desk Briefing", "title: Ukraine Desk"),
    "config-base-url": lambda p: _replace(p / "briefgen.yaml", "https://example.org/", "https://desk.example.net/"),
}


UNSHOWN = {"people"}  # an article's people are on its pages, in no export


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "\nsearch: false\n")
    return project


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_of_what_an_export_reads_gives_a_clean_builds_exports(project: Path, tmp_path: Path, edit: str):
    out = tmp_path / "site"
    before = _build(project, out)
    EDITS[edit](project)
    got = _build(project, out)
    want = _build(project, tmp_path / "clean", cache=False)
    assert sorted(got) == sorted(want)
    assert [rel for rel in want if got[rel] != want[rel]] == []
    exported = [rel for rel in want if rel.endswith(("/briefing.json", "/timeline.json"))]
    assert edit in UNSHOWN or any(before.get(rel) != want[rel] for rel in exported), "the edit shows in an export"


def test_a_body_edit_keeps_every_export_unmade(project: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "site"
    before = _build(project, out)
    made = []
    real = exports.topic_exports
    monkeypatch.setattr(exports, "topic_exports", lambda *a: made.append(a) or real(*a))
    article = project / MINERALS
    article.write_text(article.read_text() + "\nCorrection 1: an earlier version gave the wrong figure.\n")
    got = _build(project, out)
    assert made == [], "no topic's exports were made again"
    assert (
        got["articles/2025-02-22-trump-says-minerals-deal-close/index.html"]
        != before["articles/2025-02-22-trump-says-minerals-deal-close/index.html"]
    )
    monkeypatch.setattr(exports, "topic_exports", real)
    want = _build(project, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_without_the_front_matter_hashes_of_the_state_they_are_read_from_the_files(
    project: Path, tmp_path: Path, monkeypatch
):
    """A build state without front-matter hashes (as one written before them): each is worked out from its file."""
    out = tmp_path / "site"
    _build(project, out)
    assert b'"heads":"' in next((project / ".briefgen-cache").glob("state*")).read_bytes()
    monkeypatch.setattr(database, "heads_from_text", lambda text: {})
    made = []
    real = exports.topic_exports
    monkeypatch.setattr(exports, "topic_exports", lambda *a: made.append(a) or real(*a))
    article = project / MINERALS
    article.write_text(article.read_text() + "\nA line of the body.\n")
    _build(project, out)
    assert made == [], "every export kept: the files read say the same"
    EDITS["title"](project)
    got = _build(project, out)
    assert len(made) == 1, "the edited topic's exports made again"
    want = _build(project, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_an_unchanged_history_is_kept_and_a_changed_one_is_a_clean_builds(project: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "site"
    _build(project, out, record=True)
    changes._written.clear()  # as in a new process: the last build's bytes are known from its record only
    encoded = []
    real = changes.History.to_bytes
    monkeypatch.setattr(changes.History, "to_bytes", lambda self: encoded.append(self) or real(self))
    article = project / MINERALS
    article.write_text(article.read_text() + "\nA line of the body.\n")
    before = (out / HISTORY).read_bytes()
    got = _build(project, out, record=True)
    assert encoded == [], "the history, unchanged, was not encoded again"
    assert got[HISTORY] == before
    assert real(changes.read_history(before)) == before
    # a change a reader should know of: a new record, the file as a build without the cache writes it
    shutil.copytree(out, tmp_path / "clean")
    changes._written.clear()
    EDITS["figure"](project)
    got = _build(project, out, record=True)
    assert encoded, "the history changed: encoded"
    want = _build(project, tmp_path / "clean", cache=False, record=True)
    assert got[HISTORY] != before
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_a_history_file_not_as_the_last_build_wrote_it_is_written_again(project: Path, tmp_path: Path):
    """The history read is the same, but its file is not the last build's bytes (re-indented by hand): the build
    writes it as a build without the cache does from the same file, not keeping the one there."""
    out = tmp_path / "site"
    _build(project, out, record=True)
    changes._written.clear()
    history = out / HISTORY
    history.write_bytes(json.dumps(json.loads(history.read_bytes()), indent=3).encode())
    shutil.copytree(out, tmp_path / "clean")
    article = project / MINERALS
    article.write_text(article.read_text() + "\nA line of the body.\n")
    got = _build(project, out, record=True)
    want = _build(project, tmp_path / "clean", cache=False, record=True)
    assert got[HISTORY] == want[HISTORY] != json.dumps(json.loads(want[HISTORY]), indent=3).encode()
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_the_sitemap_is_kept_unlisted_after_a_body_edit_and_by_its_entries_after_a_figure(
    project: Path, tmp_path: Path, monkeypatch
):
    """A body edit keeps the sitemap without listing its entries (what it reads is unchanged); a figure edit
    changes what it reads but not its entries: kept by them; an ``updated:`` time changes them: made again.
    Each gives a clean build's bytes."""
    from briefgen.outputs import sitemap

    out = tmp_path / "site"
    before = _build(project, out)
    listed, made = [], []
    entries, files = sitemap.sitemap_entries, sitemap.sitemap_files
    monkeypatch.setattr(sitemap, "sitemap_entries", lambda *a, **k: listed.append(1) or entries(*a, **k))
    monkeypatch.setattr(sitemap, "sitemap_files", lambda *a, **k: made.append(1) or files(*a, **k))
    article = project / MINERALS
    article.write_text(article.read_text() + "\nA line of the body.\n")
    _build(project, out)
    assert (listed, made) == ([], [])
    EDITS["figure"](project)
    _build(project, out)
    assert (len(listed), made) == (1, [])
    EDITS["updated"](project)
    got = _build(project, out)
    assert (len(listed), len(made)) == (2, 1)
    assert got["sitemap.xml"] != before["sitemap.xml"]
    monkeypatch.undo()
    want = _build(project, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_front_matter_hashes_of_another_shape_in_the_state_are_dropped():
    from briefgen.engine.exportkey import heads_from_text, heads_text
    from briefgen.engine.inputs import head_digest

    heads = {"a" * 32: head_digest(b"---\ntitle: x\n---\nbody"), "b" * 32: head_digest(b"no front matter")}
    assert heads_from_text(heads_text(heads)) == heads
    assert head_digest(b"---\ntitle: x\n---\nbody") == head_digest(b"---\ntitle: x\n---\nanother body")
    assert head_digest(b"---\ntitle: x\n---\nbody") != head_digest(b"---\ntitle: y\n---\nbody")
    assert head_digest(b"---\ntitle: x\n---") != head_digest(b"---\ntitle: x\n---more"), "not a closing line"
    for bad in ("a" * 63, "z" * 64, ["a" * 64], None, 7):
        assert heads_from_text(bad) == {}
