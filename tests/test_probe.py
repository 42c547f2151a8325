"""The output folder looked at by a forked child while the build loads (``engine.probe``).

The child's answers must be the ones the build would work out itself (``state.output_intact`` and
``listing.existing_files``) whatever the folder holds: touched, missing and extra files, a dot-entry. A child
that fails, is killed or sends half an answer leaves the build to do the work itself; and a command-line rebuild with
its probe gives a clean build's bytes. Each scenario runs in a new, single-threaded process, where a build
forks (``parallel.can_fork``), as ``briefgen build`` does; the test process may have threads of its own.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from conftest import copy_example
from engine_support import in_a_new_process

from briefgen.engine import probe
from briefgen.engine.build import Builder
from briefgen.engine.listing import existing_files
from briefgen.engine.state import load_state, output_intact, state_path
from briefgen.project import Project

HISTORY = "changes/history.json"


def _build(project: Path, out: Path, *, cache: bool = True):
    return Builder(Project.at(project, out), jobs=1, use_cache=cache, record_changes=False, once=True).rebuild()


def _built(tmp: str) -> tuple[Path, Path]:
    project = copy_example(Path(tmp) / "project")
    out = Path(tmp) / "site"
    _build(project, out)
    return project, out


def _previous(project: Path, out: Path) -> dict:
    where = Project.at(project, out)
    code = json.loads(state_path(where).read_bytes().split(b"\n", 2)[1])["env"]
    return load_state(where, code).outputs


def _disturb(out: Path) -> None:
    """A touched file, a missing one, an extra one and a dot-entry the user keeps."""
    home = out / "index.html"
    home.write_bytes(home.read_bytes() + b"<!-- touched -->")
    (out / "topics" / "minerals-deal" / "feed.xml").unlink()
    (out / "extra.html").write_text("not briefgen's")
    (out / ".well-known").mkdir()
    (out / ".well-known" / "security.txt").write_text("Contact: mailto:desk@example.org\n")


def _aged(out: Path) -> None:
    """Every folder of ``out`` last changed an hour ago: a listing the child made is trusted only for folders not
    changed within seconds before it looked (``listing.RACY_NS``), and these tests change them just before."""
    old = time.time_ns() - 3600 * 10**9
    for folder in [out, *(p for p in out.rglob("*") if p.is_dir())]:
        os.utime(folder, ns=(old, old))


def _same_answers(tmp: str) -> None:
    project, out = _built(tmp)
    _disturb(out)
    _aged(out)
    previous = _previous(project, out)
    found = probe.start(out, previous)
    assert found._child is not None  # a child was forked
    only = set(previous) - {"sitemap.xml"}
    mine: dict = {}
    theirs: dict = {}
    bad = found.intact(only, theirs)
    assert bad == output_intact(out, previous, only, mine)
    assert {"index.html", "topics/minerals-deal/feed.xml"} <= bad
    assert theirs.keys() == mine.keys()
    for rel, st in mine.items():
        got = theirs[rel]
        assert (got.st_size, got.st_mtime_ns, got.st_ino, got.st_dev) == (
            st.st_size,
            st.st_mtime_ns,
            st.st_ino,
            st.st_dev,
        )
    files, dots = existing_files(out)
    assert found.listing() == (files, dots)
    assert "extra.html" in files and ".well-known" in dots
    found.close()
    found.close()  # (twice is nothing)


def test_the_childs_answers_are_the_builds_own(tmp_path: Path):
    in_a_new_process("test_probe", "_same_answers", str(tmp_path))


def _failing_child(tmp: str) -> None:
    project, out = _built(tmp)
    previous = _previous(project, out)
    look = probe._look

    def failing(output, recorded):
        raise OSError("the disk went away")  # (in the child)

    probe._look = failing
    found = probe.start(out, previous)
    assert found._child is not None
    seen: dict = {}
    assert found.intact(set(previous), seen) == output_intact(out, previous, set(previous), {})
    assert len(seen) == len(previous)
    assert found.listing() is None  # the build lists the folder itself
    found.close()
    probe._look = lambda output, recorded: look(output, recorded)[:-3]  # half an answer
    found = probe.start(out, previous)
    assert found._child is not None
    assert found.intact(set(previous), {}) == set()
    assert found.listing() is None
    found.close()
    probe._look = look
    os.environ["BRIEFGEN_FAULT_KILL_CHILD"] = "probe"  # killed (SIGKILL) before it looks: no answer at all
    found = probe.start(out, previous)
    del os.environ["BRIEFGEN_FAULT_KILL_CHILD"]
    assert found._child is not None
    assert found.listing() is None
    seen = {}
    assert found.intact(set(previous), seen) == output_intact(out, previous, set(previous), {})
    assert len(seen) == len(previous)


def test_a_child_that_fails_leaves_the_work_to_the_build(tmp_path: Path):
    in_a_new_process("test_probe", "_failing_child", str(tmp_path))


def _tree(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    for rel in (HISTORY, ".briefgen-manifest.json", ".well-known/security.txt"):
        files.pop(rel, None)
    return files


def _rebuild_with_probe(tmp: str) -> None:
    from briefgen.engine import rebuild

    project, out = _built(tmp)
    asked: list[str] = []

    def counting(output, previous, fork=True):
        found = probe.start(output, previous, fork)
        asked.append("forked" if found._child is not None else "in-line")
        return found

    rebuild.start_probe = counting
    _disturb(out)
    _aged(out)  # the child's listing is used
    path = project / "content" / "articles" / "2025-02-22-trump-says-minerals-deal-close.md"
    path.write_text(path.read_text() + "\nA sentence the desk added.\n")
    _build(project, out)
    assert asked == ["forked"]
    assert not (out / "extra.html").exists() and (out / ".well-known" / "security.txt").exists()
    _build(project, Path(tmp) / "clean", cache=False)
    got, want = _tree(out), _tree(Path(tmp) / "clean")
    assert sorted(got) == sorted(want)
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_a_rebuild_with_the_probe_gives_a_clean_builds_bytes(tmp_path: Path):
    in_a_new_process("test_probe", "_rebuild_with_probe", str(tmp_path))


def _dot_entry_made_meanwhile(tmp: str) -> None:
    from briefgen.engine import rebuild

    project, out = _built(tmp)
    made: list[str] = []

    def looked_then_made(output, previous, fork=True):
        found = probe.start(output, previous, fork)
        found._take()  # the child has listed the folder and exited
        (output / "topics" / ".nojekyll").write_text("")  # then the user makes a dot-entry in it
        made.append("forked" if found._answer is not None else "no answer")
        return found

    rebuild.start_probe = looked_then_made
    path = project / "content" / "articles" / "2025-02-22-trump-says-minerals-deal-close.md"
    path.write_text(path.read_text() + "\nA sentence the desk added.\n")
    _build(project, out)
    assert made == ["forked"]
    assert (out / "topics" / ".nojekyll").is_file()  # kept, as when the build lists the folder itself


def test_a_dot_entry_made_after_the_child_looked_is_kept(tmp_path: Path):
    in_a_new_process("test_probe", "_dot_entry_made_meanwhile", str(tmp_path))


def _dot_entry_made_in_the_same_tick(tmp: str) -> None:
    from briefgen.engine import rebuild

    project, out = _built(tmp)
    topics = out / "topics"
    made: list[str] = []

    def looked_then_made(output, previous, fork=True):
        (topics / ".well-known").mkdir()  # the user changes the folder just before the child looks...
        found = probe.start(output, previous, fork)
        found._take()
        seen = topics.stat().st_mtime_ns
        (topics / ".nojekyll").write_text("")  # ...and again after, in the same tick of the file system's clock
        os.utime(topics, ns=(seen, seen))
        made.append("forked" if found._answer is not None else "no answer")
        return found

    rebuild.start_probe = looked_then_made
    path = project / "content" / "articles" / "2025-02-22-trump-says-minerals-deal-close.md"
    path.write_text(path.read_text() + "\nA sentence the desk added.\n")
    _build(project, out)
    assert made == ["forked"]
    assert (topics / ".nojekyll").is_file() and (topics / ".well-known").is_dir()


def test_a_dot_entry_made_in_the_same_clock_tick_as_the_childs_look_is_kept(tmp_path: Path):
    in_a_new_process("test_probe", "_dot_entry_made_in_the_same_tick", str(tmp_path))
