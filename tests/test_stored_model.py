"""The stored model (``briefgen.engine.storedmodel``): a command-line build after an article edit rebuilds the
linked site from ``.briefgen-cache/`` and reads just the edited file, with a clean build's bytes and a whole
load's messages; anything else, and a store that is damaged, planted or of another version, loads every file.

Each build here is the command line's (a new ``Builder`` with ``once=True``, state from disk; the CLI itself in
a subprocess where what it prints is compared). ``BuildResult.reread`` says which load ran: the article files
read again, or None for the whole load.
"""

from __future__ import annotations

import gc
import os
import pickle
import re
import shutil
from pathlib import Path

import msgspec
import pytest
from conftest import copy_example, run_cli

from briefgen.engine.build import Builder
from briefgen.engine.cachedata import write_checked
from briefgen.engine.environment import code_fingerprint
from briefgen.engine.storedmodel import MAGIC, ModelR
from briefgen.problems import BuildError
from briefgen.project import Project

HISTORY = "changes/history.json"
MINERALS = "content/articles/2025-02-22-trump-says-minerals-deal-close.md"
NATO = "content/articles/2025-02-23-zelensky-ready-to-resign-for-nato.md"
DUDA = "content/articles/2025-02-22-duda-urges-zelensky-calm.md"  # no other report links to it
CORRECTION = "\nCorrection 1: an earlier version of this article gave the wrong figure.\n"


def _tree(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    files.pop(HISTORY, None)
    files.pop(".briefgen-manifest.json", None)  # lists the history's hash; the pages are what is compared
    return files


def _build(project: Path, out: Path, *, cache: bool = True, **flags):
    """(BuildResult, the output's files) of one build as ``briefgen build`` runs it."""
    builder = Builder(Project.at(project, out), jobs=1, use_cache=cache, record_changes=False, once=True, **flags)
    result = builder.rebuild()
    return result, _tree(out)


def _clean(project: Path, tmp: Path, **flags) -> dict[str, bytes]:
    dest = tmp / "clean"
    if dest.exists():
        shutil.rmtree(dest)
    return _build(project, dest, cache=False, **flags)[1]


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    found = copy_example(tmp_path / "project")
    config = found / "briefgen.yaml"
    config.write_text(config.read_text() + "\nsearch: false\nper_page: 2\n")
    return found


def test_a_build_with_nothing_changed_and_an_edit_come_from_the_store(project: Path, tmp_path: Path):
    out = tmp_path / "site"
    first, _ = _build(project, out)
    assert first.reread is None  # nothing stored yet: the whole load, which stores the model
    cache = project / ".briefgen-cache"
    assert (cache / "model.msgpack").is_file() and len(list(cache.glob("model-*.msgpack"))) == 16
    again, got = _build(project, out)
    assert again.reread == []
    assert got == _clean(project, tmp_path)
    _append(project / MINERALS, CORRECTION)
    edited, got = _build(project, out)
    assert edited.reread == [MINERALS]
    assert got == _clean(project, tmp_path)


COLLECTOR_CASES = {
    "an edit": lambda p: None,
    "a store given up": lambda p: _wrong_record(p / ".briefgen-cache"),  # the whole load after all
    "a warning under --strict": lambda p: _replace(  # the store is used; the review's warning fails the build
        p / DUDA, "summary: Poland's president says", "summary: Poland's president probably says"
    ),
}


@pytest.mark.parametrize("case", sorted(COLLECTOR_CASES))
def test_the_collector_is_on_again_after_a_build_from_the_store(project: Path, tmp_path: Path, case: str):
    """A one-off build turns the cyclic garbage collector off while it makes the site from the store and on again
    once that site is frozen (``storedmodel``): after an edit, a store given up for the whole load, or a build
    that fails after the store was read, the collector is on and nothing is left frozen."""
    out = tmp_path / "site"
    _build(project, out)
    _append(project / DUDA, CORRECTION)
    COLLECTOR_CASES[case](project)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    if case == "a warning under --strict":
        builder = Builder(Project.at(project, out), jobs=1, record_changes=False, once=True, strict=True)
        with pytest.raises(BuildError):
            builder.rebuild()
        assert builder.db.model.reread == [DUDA], "the site came from the store"
    else:
        result, got = _build(project, out)
        assert result.reread == ([DUDA] if case == "an edit" else None)
        assert got == _clean(project, tmp_path)
    assert gc.isenabled(), "the collector was left off"
    assert gc.get_freeze_count() == 0


class Planted:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _reindex(cache: Path, change) -> None:
    """Rewrite the index behind a header that checks out, after ``change(model)``."""
    from briefgen.engine.cachedata import read_checked

    model = read_checked(cache / "model.msgpack", MAGIC, code_fingerprint(), msgspec.msgpack.Decoder(ModelR).decode)
    change(model)
    write_checked(cache / "model.msgpack", MAGIC, code_fingerprint(), None, msgspec.msgpack.encode(model))


def _wrong_record(cache: Path) -> None:
    """A shard holding a record of another shape, its hash in the index as if briefgen wrote it."""
    import hashlib

    data = msgspec.msgpack.encode({MINERALS: ["not", "a", "record"]})
    (cache / "model-00.msgpack").write_bytes(data)

    def change(model):
        model.shards[0] = hashlib.sha256(data).hexdigest()
        model.order = [MINERALS] + [p for p in model.order if p != MINERALS]

    _reindex(cache, change)


def _pickle(cache: Path, marker: str) -> None:
    payload = pickle.dumps(Planted(marker))
    write_checked(cache / "model.msgpack", MAGIC, code_fingerprint(), None, payload)


TAMPER = {
    "truncated index": lambda c, m: (c / "model.msgpack").write_bytes((c / "model.msgpack").read_bytes()[:-40]),
    "a byte of a shard": lambda c, m: _flip(c / "model-07.msgpack"),
    "a byte of a shard, its times put back": lambda c, m: _flip_in_place(c / "model-05.msgpack"),
    "a shard gone": lambda c, m: (c / "model-03.msgpack").unlink(),
    "another format": lambda c, m: _other_format(c / "model.msgpack"),
    "another code": lambda c, m: write_checked(c / "model.msgpack", MAGIC, "0" * 64, None, b"\x90"),
    "a pickle": lambda c, m: _pickle(c, m),
    "a record of another shape": lambda c, m: _wrong_record(c),
    "another folder": lambda c, m: _reindex(c, lambda model: setattr(model, "root", "/elsewhere")),
}


def _flip_in_place(path: Path) -> None:
    """A byte flipped with the size and times it had: a shard is hashed unless it is the very file the index
    recorded (the inode's ctime, which no program sets back, changed), so this is still no store."""
    st = os.stat(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x20
    with open(path, "r+b") as f:
        f.write(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def _other_format(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"briefgen-model 1", b"briefgen-model 0", 1))


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", sorted(TAMPER))
def test_a_damaged_or_planted_store_loads_every_file(project: Path, tmp_path: Path, damage: str):
    out, marker = tmp_path / "site", tmp_path / "ran-code"
    _build(project, out)
    _append(project / MINERALS, CORRECTION)
    TAMPER[damage](project / ".briefgen-cache", str(marker))
    result, got = _build(project, out)
    assert not marker.exists(), "nothing read from the store runs code"
    assert result.reread is None, "the whole load"
    assert got == _clean(project, tmp_path)
    again, _ = _build(project, out)  # the whole load stored the model again
    assert again.reread == []


def _append_key(path: Path, line: str) -> None:
    """``line`` as the front matter's last key."""
    text = path.read_text()
    end = text.index("\n---", 3)
    path.write_text(text[:end] + "\n" + line + text[end:])


def _template(project: Path) -> None:
    (project / "templates").mkdir(exist_ok=True)
    source = Path(__file__).resolve().parents[1] / "templates" / "article.html"
    text = source.read_text().replace("{% block content %}", "{% block content %}<!-- ours -->", 1)
    (project / "templates" / "article.html").write_text(text)


OTHER_CHANGES = {
    "a topic": lambda p: _replace(p / "content/topics/drone-strikes.yaml", "label: Record drone raid", "label: Raid"),
    "a person": lambda p: _replace(p / "content/people.yaml", "name: Volodymyr Zelensky", "name: V. Zelensky"),
    "the config": lambda p: _append(p / "briefgen.yaml", "stale_after_days: 30\n"),
    "a template": _template,
    "a new article": lambda p: shutil.copy2(p / MINERALS, p / "content/articles/2025-02-24-a-copy.md"),
    "an article removed": lambda p: (p / DUDA).unlink(),
    "an article renamed": lambda p: (p / DUDA).rename(p / "content/articles/2025-02-22-renamed.md"),
    "another slug": lambda p: _replace(
        p / MINERALS, "topics: [minerals-deal]", "slug: minerals\ntopics: [minerals-deal]"
    ),
    "a draft": lambda p: _append_key(p / DUDA, "draft: true"),
    "an embargo": lambda p: _append_key(p / DUDA, "publish_at: 2099-01-01T00:00:00+00:00"),
}


@pytest.mark.parametrize("change", sorted(OTHER_CHANGES))
def test_any_other_change_loads_every_file(project: Path, tmp_path: Path, change: str):
    out = tmp_path / "site"
    _build(project, out)
    _append(project / DUDA, CORRECTION)  # an article edit too: the other change alone decides
    OTHER_CHANGES[change](project)
    result, got = _build(project, out)
    assert result.reread is None
    assert got == _clean(project, tmp_path)


@pytest.mark.parametrize("flags", [{"drafts": True}, {"base_url": "https://preview.example.net/"}, {"pdf": False}])
def test_other_flags_load_every_file(project: Path, tmp_path: Path, flags: dict):
    out = tmp_path / "site"
    _build(project, out)
    _append(project / MINERALS, CORRECTION)
    result, got = _build(project, out, **flags, file_links=True)  # file_links: the flags differ in every case
    assert result.reread is None
    assert got == _clean(project, tmp_path, **flags, file_links=True)


def _errors(project: Path, out: Path, cache: bool) -> list[str]:
    with pytest.raises(BuildError) as failed:
        _build(project, out, cache=cache)
    return [str(p) for p in failed.value.problems if not p.path.endswith(HISTORY)]  # the output folder's


def test_an_edit_with_an_error_reports_what_the_whole_load_reports(project: Path, tmp_path: Path):
    out = tmp_path / "site"
    _build(project, out)
    _replace(project / MINERALS, "  - speaker: trump\n", "  - speaker: trunp\n")
    got = _errors(project, out, cache=True)
    assert any("unknown speaker 'trunp'" in line for line in got)
    assert got == _errors(project, tmp_path / "clean", cache=False)


def test_links_to_an_edited_articles_headings(project: Path, tmp_path: Path):
    """Another body links to a heading of the edited article: a new heading keeps the stored model; the
    linked heading renamed is the whole load's error."""
    out = tmp_path / "site"
    _append(project / MINERALS, "\n## Next steps\n\nTalks continue.\n")
    _append(project / NATO, "\nSee [the next steps](2025-02-22-trump-says-minerals-deal-close.md#next-steps).\n")
    _build(project, out)
    _append(project / MINERALS, "\n## Background\n\nEarlier talks.\n")
    result, got = _build(project, out)
    assert result.reread == [MINERALS]
    assert got == _clean(project, tmp_path)
    _replace(project / MINERALS, "## Next steps", "## Later steps")
    got = _errors(project, out, cache=True)
    assert any("no heading #next-steps" in line for line in got)
    assert got == _errors(project, tmp_path / "clean", cache=False)


def _shards(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(cache.glob("model-*.msgpack"))}


def _printed(proc) -> str:
    return re.sub(r" in \d+\.\d+ s", " in N s", proc.stdout) + proc.stderr


def test_the_command_line_prints_what_a_whole_load_prints(project: Path, tmp_path: Path):
    """The same edit built from the stored model and, from the same state, by the whole load: the same
    warnings, problems and summary (the time aside), the same pages. That the first took the stored model
    shows in the store: it rewrote one shard of sixteen (a whole load writes them all)."""
    run_cli("build", "-s", str(project), check=True)
    cache, site = project / ".briefgen-cache", project / "site"
    shutil.copytree(cache, tmp_path / "cache-before")
    shutil.copytree(site, tmp_path / "site-before")
    before = _shards(cache)
    # the edit leaves the report with a warning of its own ("cites no sources"); others keep theirs
    text = (project / MINERALS).read_text()
    start, end = text.index("sources:\n"), text.index("people:")
    (project / MINERALS).write_text(text[:start] + text[end:] + CORRECTION)
    stored = run_cli("build", "-s", str(project), check=True)
    after = _shards(cache)
    assert [name for name in before if before[name] != after[name]] != []
    assert len([name for name in before if before[name] != after[name]]) == 1, "one shard rewritten: the edit's"
    pages = _tree(site)
    shutil.rmtree(cache)
    shutil.rmtree(site)
    shutil.copytree(tmp_path / "cache-before", cache)
    shutil.copytree(tmp_path / "site-before", site)
    for name in before:
        os.unlink(cache / name)
    (cache / "model.msgpack").unlink()
    whole = run_cli("build", "-s", str(project), check=True)
    assert "cites no sources" in stored.stdout + stored.stderr
    assert _printed(stored) == _printed(whole)
    assert pages == _tree(site)


def _warnings(result) -> list[str]:
    return sorted(str(p) for p in result.warnings if not p.path.endswith(HISTORY))


def test_a_warning_an_edit_brings_stays_through_the_builds_after_it(project: Path, tmp_path: Path):
    """The store written after an edit keeps the problems of that edit: a later build from the store (another
    article edited) still reports the first article's new warning, as a whole load does."""
    out = tmp_path / "site"
    _build(project, out)
    _replace(
        project / DUDA,
        "  - source: duda-x\n    note: Duda's account of the call; the roundup gives no date for the post\n  - source: roundup\n",
        "",
    )
    _replace(project / DUDA, "sources:\n", "")
    first, _ = _build(project, out)
    assert first.reread == [DUDA]
    assert any("cites no sources" in w and DUDA in w for w in _warnings(first))
    _append(project / MINERALS, CORRECTION)
    second, _ = _build(project, out)
    assert second.reread == [MINERALS]
    whole, _ = _build(project, tmp_path / "whole", cache=False)
    got, expected = _warnings(second), _warnings(whole)  # plain lists: a failing assert shows these, not the sites
    assert got == expected
    assert any("cites no sources" in w and DUDA in w for w in got)
