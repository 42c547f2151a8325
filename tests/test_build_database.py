"""The build database: one per Builder, holding the input table, the environment, the recorded outputs
and every memo; the stages get the memos as arguments, so two Builders in one process share nothing.

Real projects in tmp folders, real builds (in this process: the memos are what is looked at).
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import copy_example

from briefgen.engine.build import Builder
from briefgen.engine.environment import Environment
from briefgen.engine.unchanged import nothing_changed
from briefgen.project import Project


def _articles(project: Path) -> list[Path]:
    return sorted((project / "content" / "articles").rglob("*.md"))


def test_a_session_keeps_its_memos_in_its_own_database(tmp_path):
    one = Project.at(str(copy_example(tmp_path / "one")), None, None)
    two = Project.at(str(copy_example(tmp_path / "two")), None, None)
    a = Builder(one, jobs=1, preview=True)
    a.rebuild()  # cold: every file streamed to the staging folder, hashed there
    db = a.db
    assert db.memo.articles.entries, "a session remembers what each article file parsed to"
    assert db.pack_bodies, "and the packs' rewritten reports"
    assert db.template_refs and db.sitemap.last is not None and not db.manifest.by_id
    saved = _articles(one.root)[-1]
    saved.write_text(saved.read_text(encoding="utf-8") + "\nA line more.\n", encoding="utf-8")
    a.rebuild({one.rel(saved)})  # a rebuild in place: the manifest hashes what it holds, by bytes object
    assert db.manifest.by_id
    assert db.state is not None and db.state.inputs and db.state.outputs
    b = Builder(two, jobs=1, preview=True)
    assert not b.db.memo.articles.entries and not b.db.pack_bodies and not b.db.template_refs
    assert b.db.sitemap.last is None and not b.db.manifest.by_id
    # what A parsed is not offered to B: B's build parses B's files (here edited) itself
    path = _articles(two.root)[0]
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    result = b.rebuild()
    edited = next(a for a in result.site.articles if a.path.endswith(path.name))
    assert edited.title.startswith("Edited ")
    untouched = next(x for x in a.last.site.articles if x.path.endswith(path.name))
    assert not untouched.title.startswith("Edited ")


def test_a_one_off_build_keeps_nothing_for_a_next_build(tmp_path):
    project = Project.at(str(copy_example(tmp_path / "p")), None, None)
    builder = Builder(project, jobs=1, once=True)
    builder.rebuild()
    assert builder.db.pack_bodies is None
    assert not builder.db.memo.articles.entries
    assert not builder.db.memo.markdown.entries, "saved to disk once loaded, and freed"
    assert (project.root / ".briefgen-cache" / "state.json").is_file()


def test_the_environment_is_one_tuple_and_the_shortcut_compares_all_of_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = Project.at(str(copy_example(tmp_path / "p")), None, None)
    Builder(project, jobs=1, once=True).rebuild()
    plain = Environment.current()
    assert plain.flags == (
        ("pdf", False),
        ("file_links", False),
        ("drafts", False),
        ("base_url", None),
        ("record_changes", True),
    )
    assert nothing_changed(project, plain) is not None
    for other in (
        Environment.current(base_url="https://preview.example.org/"),
        Environment.current(drafts=True, record_changes=False),
        Environment.current(record_changes=False),  # serve wrote it: a build must record the changes
    ):
        assert nothing_changed(project, other) is None, other
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1745000000")
    assert nothing_changed(project, Environment.current()) is None, "another clock: another 'now'"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert nothing_changed(project, Environment.current()) is not None
    monkeypatch.setenv("BRIEFGEN_TEST_ENVIRONMENT", "a library upgrade")
    assert nothing_changed(project, Environment.current()) is None, "other code or libraries"
    monkeypatch.delenv("BRIEFGEN_TEST_ENVIRONMENT")
    path = _articles(project.root)[0]
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # touched, same bytes
    assert nothing_changed(project, Environment.current()) is not None, "the input table is by content"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert nothing_changed(project, Environment.current()) is None


def test_a_command_line_rebuild_keeps_the_sitemap_and_reads_the_template_references_from_the_state(tmp_path):
    """A body edit leaves the sitemap as it was (kept by its entries, not written again); an ``updated:``
    time remakes it. The templates each template names come from the state, not from parsing them."""
    import json

    from conftest import run_cli

    from briefgen.engine.state import load_state

    root = copy_example(tmp_path / "p")
    project = Project.at(str(root), None, None)
    run_cli("build", "-q", "-s", str(root), check=True)
    sitemap = root / "site" / "sitemap.xml"
    before = sitemap.stat()
    path = _articles(root)[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nA paragraph added later.\n", encoding="utf-8")
    run_cli("build", "-q", "-s", str(root), check=True)
    after = sitemap.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "the same file"
    state = json.loads((root / ".briefgen-cache" / "state.json").read_text(encoding="utf-8").split("\n", 2)[2])
    assert "|sitemap|" in state["outputs"]["sitemap.xml"][3], "recorded with its key: kept, not made"
    builder = Builder(project, jobs=1, once=True)
    recorded = load_state(project, Environment.of(builder).code)
    assert recorded is not None and recorded.template_refs, "recorded by source hash"
    assert any("base.html" in refs for refs in recorded.template_refs.values())
    builder.db.last_state(Environment.of(builder))
    assert builder.db.template_refs == recorded.template_refs, "handed to the fingerprints"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(lines.index("---", 1), "updated: 2025-03-01T12:00:00+02:00")
    path.write_text("\n".join(lines), encoding="utf-8")
    run_cli("build", "-q", "-s", str(root), check=True)
    assert b"<lastmod>2025-03-01T10:00:00Z</lastmod>" in sitemap.read_bytes(), "remade: a lastmod changed"


def test_template_references_of_another_shape_in_the_state_are_dropped():
    from briefgen.engine.state import _template_refs

    rows = {"a": ["base.html", None], "b": "base.html", "c": [1], 2: ["x"], "d": []}
    assert _template_refs(rows) == {"a": ("base.html", None), "d": ()}
    assert _template_refs(["not", "a", "dict"]) == {}


def test_the_recorded_size_and_mtime_of_every_output_are_the_files(tmp_path):
    """A rebuild records the files it staged unread (linked from the last site, or the spare tree's very file)
    with the stat the staging saw, not a stat of its own: each must be the file's as it is now, for those and
    for the files written anew (an edited article's pages, a page changed by hand and so rewritten)."""
    import json

    from conftest import run_cli

    from briefgen.engine.inputs import bytes_digest

    root = copy_example(tmp_path / "p")
    run_cli("build", "-q", "-s", str(root), check=True)
    touched = root / "site" / "people" / "index.html"
    page = touched.read_bytes()
    for n in range(3):  # the second and third stage into the spare tree
        path = _articles(root)[n]
        path.write_text(path.read_text(encoding="utf-8") + f"\nCorrection {n}: a figure was wrong.\n", encoding="utf-8")
        if n == 1:
            touched.write_bytes(touched.read_bytes() + b"\n")  # by hand: not as recorded, so written again
        run_cli("build", "-q", "-s", str(root), check=True)
        state = json.loads((root / ".briefgen-cache" / "state.json").read_text(encoding="utf-8").split("\n", 2)[2])
        outputs = state["outputs"]
        assert len(outputs) > 100
        wrong, hashed = [], []
        for rel, row in outputs.items():
            st = os.stat(root / "site" / rel)
            if [row[1], row[2]] != [st.st_size, st.st_mtime_ns]:
                wrong.append(rel)
            if row[0] != bytes_digest((root / "site" / rel).read_bytes()):
                hashed.append(rel)  # the digest (some taken from the manifest's SHA-256s) is the file's
        assert wrong == [] and hashed == [], n
    assert touched.read_bytes() == page
