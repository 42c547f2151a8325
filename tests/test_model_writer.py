"""The stored model written by a forked child while a command-line build goes on (``storedmodel``, ``forked``).

A build no other follows (``once``), on two cores, of a site of ``BESIDE_MIN`` articles or more, forks a child
after the whole load to write the store, and takes its outcome once the site is written. The store must be
the one the build writes itself (its shards byte for byte), the next build must take an edit from it, and a
writer that is killed or cannot write leaves no index claiming its shards: the build still succeeds, says so
once, and the next one loads every file, with a clean build's bytes. Each scenario runs in a new,
single-threaded process, where a build forks (``parallel.can_fork``), as ``briefgen build`` does.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from conftest import REPO
from engine_support import in_a_new_process

from briefgen.engine import forked, storedmodel
from briefgen.engine.build import Builder
from briefgen.project import Project

sys.path.insert(0, str(REPO / "bench"))
from make_corpus import make_corpus  # noqa: E402

HISTORY = "changes/history.json"
NOTE = "could not save .briefgen-cache/model.msgpack"


def _tree(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    files.pop(HISTORY, None)
    files.pop(".briefgen-manifest.json", None)  # lists the history's hash; the pages are what is compared
    return files


def _build(project: Path, out: Path, jobs: int = 2, cache: bool = True):
    return Builder(Project.at(project, out), jobs=jobs, use_cache=cache, record_changes=False, once=True).rebuild()


def _counting() -> list[str]:
    """The names of the children forked (``forked.start``) from now on."""
    started: list[str] = []
    start = forked.start

    def counting(work, name):
        started.append(name)
        return start(work, name)

    forked.start = counting
    return started


def _shards(project: Path) -> dict[str, bytes]:
    cache = project / ".briefgen-cache"
    return {p.name: p.read_bytes() for p in sorted(cache.glob("model-*.msgpack"))}


def _edit(project: Path) -> str:
    path = sorted((project / "content" / "articles").glob("*.md"))[3]
    path.write_text(path.read_text() + "\nA sentence the desk added.\n")
    return path.relative_to(project).as_posix()


def _same_as_clean(project: Path, out: Path, tmp: Path) -> None:
    clean = tmp / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    _build(project, clean, jobs=1, cache=False)
    assert _tree(out) == _tree(clean)


def _written_beside(tmp: str) -> None:
    tmp_path = Path(tmp)
    project = make_corpus(80, tmp_path / "corpus", seed=7)
    started = _counting()
    first = _build(project, tmp_path / "site")
    assert started == ["model writer"] and first.reread is None and first.notes == []
    beside = _shards(project)
    assert len(beside) == storedmodel.SHARDS
    shutil.rmtree(project / ".briefgen-cache")
    _build(project, tmp_path / "inline", jobs=1)
    assert started == ["model writer"]  # one core: written in-line
    assert _shards(project) == beside  # the same store, byte for byte
    shutil.rmtree(project / ".briefgen-cache")
    _build(project, tmp_path / "site")  # the store written beside again, then an edit taken from it
    edited = _edit(project)
    again = _build(project, tmp_path / "site")
    assert again.reread == [edited] and again.rendered > 0
    _same_as_clean(project, tmp_path / "site", tmp_path)


def test_the_store_written_beside_the_build_is_the_builds_own(tmp_path: Path):
    in_a_new_process("test_model_writer", "_written_beside", str(tmp_path))


def _lost_writer(tmp: str, how: str) -> None:
    tmp_path = Path(tmp)
    project = make_corpus(80, tmp_path / "corpus", seed=7)
    if how == "killed":
        os.environ["BRIEFGEN_FAULT_KILL_CHILD"] = "model writer"
    else:  # a folder where the first shard goes: the writer cannot replace it
        (project / ".briefgen-cache" / "model-00.msgpack" / "kept").mkdir(parents=True)
    started = _counting()
    first = _build(project, tmp_path / "site")
    os.environ.pop("BRIEFGEN_FAULT_KILL_CHILD", None)
    assert started == ["model writer"]
    said = [note for note in first.notes if note.startswith(NOTE)]
    assert len(said) == 1, first.notes
    assert ("its writer stopped" in said[0]) == (how == "killed")
    assert not (project / ".briefgen-cache" / "model.msgpack").exists()  # no index claims the shards
    assert (tmp_path / "site" / "index.html").is_file()  # the site itself was written
    _edit(project)
    if how != "killed":
        shutil.rmtree(project / ".briefgen-cache" / "model-00.msgpack")
    again = _build(project, tmp_path / "site")
    assert again.reread is None  # no store: every file loaded
    _same_as_clean(project, tmp_path / "site", tmp_path)


def test_a_killed_writer_leaves_no_store_and_the_build_says_so(tmp_path: Path):
    in_a_new_process("test_model_writer", "_lost_writer", str(tmp_path), "killed")


def test_a_writer_that_cannot_write_says_why_through_the_build(tmp_path: Path):
    in_a_new_process("test_model_writer", "_lost_writer", str(tmp_path), "cannot write")


def _small_site(tmp: str) -> None:
    from conftest import copy_example

    project = copy_example(Path(tmp) / "project")
    started = _counting()
    _build(project, Path(tmp) / "site")
    assert started == []  # twelve articles: written in-line, sooner than a child is forked
    assert (project / ".briefgen-cache" / "model.msgpack").is_file()


def test_a_small_store_is_written_in_line(tmp_path: Path):
    in_a_new_process("test_model_writer", "_small_site", str(tmp_path))
