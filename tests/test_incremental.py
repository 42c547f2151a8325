"""Incremental rebuilds: after any sequence of edits, the output equals a clean build, byte for byte.

Hypothesis applies random sequences of edits, additions, deletions, renames,
topic, people, template and static-file changes to a copy of the example
project. After each step the project is rebuilt incrementally, by the same
``Builder`` (as ``serve`` does, state in memory) or by a new one (as the
command line does, state from ``.briefgen-cache/``), and built again from
scratch, without any cache, into another folder. Both must succeed or fail
alike, and when they succeed the two output folders must hold the same files
with the same bytes.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_example, fresh_work, run_cli
from engine_support import write_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.engine.build import Builder
from briefgen.problems import BuildError
from briefgen.project import Project

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402

WORDS = ["ceasefire", "drones", "talks", "grain", "envoy", "Kyiv", "minerals", "vote", "record", "night"]
words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
index = st.integers(min_value=0, max_value=50)

operations = st.one_of(
    st.tuples(st.just("edit-body"), index, words),
    st.tuples(st.just("edit-title"), index, words),
    # an ``updated:`` time (sitemap lastmod, feed order): some at one instant written in two time zones
    st.tuples(st.just("edit-updated"), index, st.integers(1, 2), st.sampled_from(["10:00:00+00:00", "12:00:00+02:00"])),
    st.tuples(st.just("add-article"), index, words),
    st.tuples(st.just("delete-article"), index),
    st.tuples(st.just("rename-article"), index),
    st.tuples(st.just("topic-summary"), index, words),
    st.tuples(st.just("person-name"), words),
    st.tuples(st.just("template"), st.sampled_from(["article.html", "topic.html", "base.html", "_macros.html"]), words),
    st.tuples(st.just("static"), words),
)
steps = st.lists(st.tuples(operations, st.booleans()), min_size=1, max_size=4)


HISTORY = "changes/history.json"  # by design a record of earlier builds, not a function of the input


def tree(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    files.pop(HISTORY, None)
    manifest = files.get(".briefgen-manifest.json")
    if manifest is not None:  # the same goes for its line in the manifest
        data = json.loads(manifest)
        data["files"].pop(HISTORY, None)
        files[".briefgen-manifest.json"] = json.dumps(data, sort_keys=True).encode()
    return files


def articles(project: Path) -> list[Path]:
    return sorted((project / "content" / "articles").glob("*.md"))


def apply(project: Path, op: tuple) -> None:
    kind = op[0]
    files = articles(project)
    if kind == "edit-body" and files:
        path = files[op[1] % len(files)]
        path.write_text(path.read_text() + f"\n\n## {op[2]}\n\nA new paragraph about {op[2]}.\n")
    elif kind == "edit-title" and files:
        path = files[op[1] % len(files)]
        lines = path.read_text().split("\n")
        lines = [f'title: "{op[2]}"' if line.startswith("title:") else line for line in lines]
        path.write_text("\n".join(lines))
    elif kind == "edit-updated" and files:
        path = files[op[1] % len(files)]
        lines = [line for line in path.read_text().split("\n") if not line.startswith("updated:")]
        lines.insert(lines.index("---", 1), f"updated: 2025-03-0{op[2]}T{op[3]}")
        path.write_text("\n".join(lines))
    elif kind == "add-article":
        topics = sorted(p.stem for p in (project / "content" / "topics").glob("*.yaml"))
        name = f"2025-02-2{op[1] % 9}-new-{op[1]}-{abs(hash(op[2])) % 1000}.md"
        (project / "content" / "articles" / name).write_text(
            "---\n"
            f'title: "{op[2]}"\n'
            f"date: 2025-02-2{op[1] % 9}T10:00:00+02:00\n"
            f"topics: [{topics[op[1] % len(topics)]}]\n"
            f'summary: "A new report: {op[2]}."\n'
            "sources:\n  - source: afp\n"
            "people: [zelensky]\n"
            "---\n"
            f"Body of the report about {op[2]}.\n\n## What next\n\nMore on {op[2]}.\n"
        )
    elif kind == "delete-article" and files:
        files[op[1] % len(files)].unlink()
    elif kind == "rename-article" and files:
        path = files[op[1] % len(files)]
        path.rename(path.with_name(path.stem + "-renamed.md"))
    elif kind == "topic-summary":
        topics = sorted((project / "content" / "topics").glob("*.yaml"))
        path = topics[op[1] % len(topics)]
        text = path.read_text()
        if "summary: >-\n" in text:
            text = text.replace("summary: >-\n", f"summary: >-\n  {op[2]}.\n", 1)
        else:
            text = text.replace("summary: ", f"summary: {op[2]}. ", 1)
        path.write_text(text)
    elif kind == "person-name":
        path = project / "content" / "people.yaml"
        path.write_text(path.read_text().replace("name: Volodymyr Zelensky", f"name: Volodymyr Zelensky {op[1]}", 1))
    elif kind == "template":
        path = project / "templates" / op[1]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / "templates" / op[1], path)
        marker = "{% block content %}"
        text = path.read_text()
        if op[1] == "_macros.html":
            text += f"\n{{# {op[2]} #}}\n"
            text = text.replace("{% macro vh(text) %}", f"{{% macro vh(text) %}}<!-- {op[2]} -->", 1)
        elif op[1] == "base.html":
            text = text.replace("</footer>", f"<!-- {op[2]} --></footer>", 1)
        else:
            text = text.replace(marker, marker + f"<!-- {op[2]} -->", 1)
        path.write_text(text)
    elif kind == "static":
        path = project / "templates" / "static" / "style.css"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / "templates" / "static" / "style.css", path)
        path.write_text(path.read_text() + f"\n/* {op[1]} */\n")


def outcome(builder: Builder, changed: set[str] | None) -> tuple[str, object]:
    try:
        builder.rebuild(changed)
    except BuildError as exc:
        return "failed", sorted(str(p) for p in exc.problems)
    return "built", tree(builder.project.output)


def clean_build(project: Path, out: Path) -> tuple[str, object]:
    if out.exists():
        shutil.rmtree(out)
    builder = Builder(Project.at(project, out), jobs=1, use_cache=False, record_changes=False)
    return outcome(builder, None)


@pytest.fixture
def small_example(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    config = project / "briefgen.yaml"
    # the search indexer is tested elsewhere; two articles per topic page, so that topics paginate
    config.write_text(config.read_text() + "\nsearch: false\nper_page: 2\n")
    return project


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_incremental_rebuild_equals_clean_build(small_example: Path, steps):
    work, project = fresh_work(small_example)
    out = work / "site"
    builder = Builder(Project.at(project, out), jobs=1, record_changes=False)
    assert outcome(builder, None)[0] == "built"
    built_before = True  # the last build loaded without errors: the stored model is of that load
    for op, fresh in steps:
        apply(project, op)
        if fresh:  # the command line: a new process, state from .briefgen-cache/
            builder = Builder(Project.at(project, out), jobs=1, record_changes=False, once=True)
        incremental = outcome(builder, None)
        expected = clean_build(project, work / "clean")
        assert incremental[0] == expected[0], (op, incremental[1] if incremental[0] == "failed" else expected[1])
        if op[0].startswith("edit-") and built_before and incremental[0] == "built" and articles(project):
            # one article file changed since the last load: the site comes from the stored model
            assert builder.last.reread is not None and len(builder.last.reread) == 1, op
        built_before = incremental[0] == "built"
        if expected[0] == "built":
            got, want = incremental[1], expected[1]
            assert sorted(got) == sorted(want), op
            assert [rel for rel in want if got[rel] != want[rel]] == [], op


def test_rebuild_renders_only_affected_pages(small_example: Path, tmp_path: Path):
    out = tmp_path / "site"
    builder = Builder(Project.at(small_example, out), jobs=1, record_changes=False)
    first = builder.rebuild()
    assert (first.rendered, first.reused) == (len(first.pages), 0)
    builder.rebuild()  # the change history now has its baseline; pages that show it settle
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    again = builder.rebuild()
    assert (again.rendered, again.stats.changed) == (0, 0)

    article = sorted((small_example / "content" / "articles").glob("*drone-attack-regions-hit*.md"))[0]
    article.write_text(article.read_text() + "\nOne more sentence.\n")
    edited = builder.rebuild({article.relative_to(small_example).as_posix()})
    assert 0 < edited.rendered < len(edited.pages) // 2, "one edit re-renders its page and the pages that show it"
    written = set(edited.stats.changed_paths)
    slug = article.stem
    assert f"articles/{slug}/index.html" in written
    assert "people/zelensky/index.html" not in written
    kept = [p for p, m in mtimes.items() if p.exists() and p.stat().st_mtime_ns == m]
    assert len(kept) > len(mtimes) // 2, "files whose bytes did not change keep their mtime"

    article.unlink()
    # the other articles that link to it now fail, as in a clean build
    with pytest.raises(BuildError):
        builder.rebuild()


def test_deleted_article_removes_its_page(small_example: Path, tmp_path: Path):
    out = tmp_path / "site"
    new = small_example / "content" / "articles" / "2025-02-23-standalone.md"
    new.write_text(
        "---\ntitle: Standalone\ndate: 2025-02-23T12:00:00+02:00\ntopics: [drone-strikes]\n"
        "summary: A report nobody links to.\nsources:\n  - source: afp\n---\nText.\n"
    )
    Builder(Project.at(small_example, out), jobs=1, record_changes=False).rebuild()
    assert (out / "articles/2025-02-23-standalone/index.html").is_file()
    new.unlink()
    result = Builder(Project.at(small_example, out), jobs=1, record_changes=False).rebuild()
    assert not (out / "articles/2025-02-23-standalone").exists()
    assert "articles/2025-02-23-standalone/index.html" in result.stats.removed_paths


# --- at scale, the way people run it ---------------------------------------------------------------


def _unlinked(project: Path) -> list[Path]:
    """Articles no body links to (deleting one of those is not an error)."""
    files = sorted((project / "content" / "articles").rglob("*.md"))
    text = "\n".join(p.read_text() for p in files)
    return [p for p in files if f"{p.name})" not in text and p.parent.name == "articles"]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _scripted_steps(project: Path, env: dict[str, str]) -> list[tuple[str, object]]:
    """(name, change) in order; each change edits the project (or the build's environment)."""
    content = project / "content"
    articles = content / "articles"
    topics = sorted(p.stem for p in (content / "topics").glob("*.yaml"))
    sources = re.findall(r"^([a-z0-9-]+):", (content / "sources.yaml").read_text(), re.M)
    free = _unlinked(project)

    def edit_many() -> None:
        for path in sorted(articles.glob("*.md"))[:100]:
            path.write_text(path.read_text() + "\nA paragraph added later, about the talks.\n")

    def same_names() -> None:
        write_article(articles / "2024" / "update.md", "First update", topics[0], sources[0], "Old.", "2024-05-01")
        write_article(
            articles / "2025" / "update.md",
            "Second update",
            topics[0],
            sources[0],
            "New.",
            "2025-01-10",
            extra="slug: update-2025\n",
        )
        write_article(
            articles / "2025" / "recap.md",
            "Recap",
            topics[1],
            sources[1],
            "As [reported](../2024/update.md) and [again](update.md), little moved.",
            "2025-02-01",
        )

    def template_override() -> None:
        (project / "templates").mkdir(exist_ok=True)
        for name, old in (("article.html", "{% block content %}"), ("base.html", "</footer>")):
            text = (REPO / "templates" / name).read_text()
            (project / "templates" / name).write_text(text.replace(old, old + "<!-- local -->", 1))

    def both(*changes):
        def run() -> None:
            for change in changes:
                change()

        return run

    steps: list[tuple[str, object]] = [
        ("edit 100 bodies; same-named files in two folders, linked", both(edit_many, same_names)),
        (
            "slug rename; delete an article",
            both(
                lambda: _replace(articles / "2024" / "update.md", "title:", "slug: first-update\ntitle:"),
                lambda: free[0].unlink(),
            ),
        ),
        (
            "people and sources edits",
            both(
                lambda: _replace(content / "people.yaml", 'name: "', 'name: "Dr '),
                lambda: _replace(content / "sources.yaml", 'name: "', 'name: "The '),
            ),
        ),
        (
            "config edit; template override",
            both(lambda: _replace(project / "briefgen.yaml", "title: Synthetic", "title: Edited"), template_override),
        ),
        ("SOURCE_DATE_EPOCH", lambda: env.update(SOURCE_DATE_EPOCH="1767225600")),
        (
            "library upgrade; move a file",
            both(
                lambda: env.update(BRIEFGEN_TEST_ENVIRONMENT="nh3 9.9"),
                lambda: free[2].rename(articles / "2025" / free[2].name),
            ),
        ),
        (
            "a same-named article; override removed; topic summary",
            both(
                lambda: write_article(
                    articles / "2024" / free[1].name,
                    "Same name",
                    topics[2],
                    sources[0],
                    "Text.",
                    "2024-06-01",
                    extra=f"slug: {free[1].stem}-2024\n",
                ),
                lambda: shutil.rmtree(project / "templates"),
                lambda: _replace(content / "topics" / f"{topics[0]}.yaml", 'summary: "', 'summary: "Now '),
            ),
        ),
    ]
    return steps


@pytest.mark.timeout(1200)  # about a minute on an idle machine: 7 steps, each with two builds of 300 articles
def test_incremental_builds_at_scale_on_a_terminal_and_beside_a_thread_equal_clean_builds(tmp_path, monkeypatch):
    """300 articles, --jobs 2. Odd steps: the command line under a pseudo-terminal (its progress bar drawn);
    even steps: one ``Builder`` kept in this process with another thread alive, as in ``serve``. After each
    step the output equals a build with no cache started from the same previous output, byte for byte,
    change history and manifest included."""
    import threading

    from engine_support import clean_reference, differing, on_terminal
    from engine_support import tree as full_tree

    project = make_corpus(300, tmp_path / "corpus", seed=11)
    env: dict[str, str] = {}
    run_cli("build", "-q", "--jobs", "2", "-s", str(project), check=True)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)  # serve's watcher and server, in spirit
    other.start()
    builder = None
    try:
        for i, (name, change) in enumerate(_scripted_steps(project, env)):
            change()
            before = tmp_path / "before"
            if before.exists():
                shutil.rmtree(before)
            shutil.copytree(project / "site", before)
            if i % 2 == 0:
                proc = on_terminal("build", "--jobs", "2", "-s", str(project), env=env)
                assert proc.returncode == 0, (name, proc.stdout)
            else:
                for key, value in env.items():
                    monkeypatch.setenv(key, value)
                if builder is None:
                    builder = Builder(Project.at(project), jobs=2)
                assert threading.active_count() > 1
                builder.rebuild(None)
            reference = clean_reference(project, before, tmp_path / "reference", env=env)
            assert differing(full_tree(project / "site"), full_tree(reference)) == [], name
    finally:
        stop.set()
