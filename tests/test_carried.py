"""What an edit carries over from the last build (``briefgen.engine.topicstates``): each unchanged report's
review warnings, each unchanged topic's origins and change-history state. With changes recorded, a chain of
command-line builds (each a new ``Builder``, state from ``.briefgen-cache/``, the site from the stored model
after an article edit) must give the same output, change history, feeds of changes and warnings included,
byte for byte, as the same chain of builds without any cache (every report and topic worked out each time).

The edits are those that move what is carried: a title (a topic's state), a figure, a correction (a change
recorded), a report moved to another topic or another date (a topic's reports and their order), a source
(a topic's origins: one-sided or not), a judgement without a stated confidence (a report's review warning),
and a deletion (the whole load).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import copy_example, fresh_work
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.engine.build import Builder
from briefgen.problems import BuildError
from briefgen.project import Project

index = st.integers(min_value=0, max_value=50)
operations = st.one_of(
    st.tuples(st.just("body"), index),
    st.tuples(st.just("title"), index),
    st.tuples(st.just("figure"), index),
    st.tuples(st.just("correction"), index),
    st.tuples(st.just("topic"), index, index),
    st.tuples(st.just("date"), index, st.integers(1, 9)),
    st.tuples(st.just("source"), index),
    st.tuples(st.just("judgement"), index),
    st.tuples(st.just("delete"), index),
)
JUDGEMENT = "summary: Analysts judge it likely that "


def _front(path: Path, change) -> None:
    """Apply ``change`` (text -> text) to the front matter of ``path``."""
    text = path.read_text()
    end = text.index("\n---", 3)
    path.write_text(change(text[:end]) + text[end:])


def apply(project: Path, op: tuple) -> None:
    files = sorted((project / "content" / "articles").glob("*.md"))
    kind, path = op[0], files[op[1] % len(files)]
    if kind == "body":
        path.write_text(path.read_text() + f"\nA new paragraph, number {op[1]}.\n")
    elif kind == "title":
        _front(path, lambda t: re.sub(r"^title: .*$", f"title: A new title {op[1]}", t, count=1, flags=re.M))
    elif kind == "figure":
        _front(
            path, lambda t: re.sub(r"^(\s+value: )(\d+)", lambda m: f"{m[1]}{int(m[2]) + 3}", t, count=1, flags=re.M)
        )
    elif kind == "correction" and "\ncorrections:" not in path.read_text():
        when = re.search(r"^date: (.*)$", path.read_text(), re.M)[1]
        _front(path, lambda t: t + f"\ncorrections:\n  - date: {when}\n    text: An earlier version erred ({op[1]}).")
    elif kind == "topic":
        topics = sorted(p.stem for p in (project / "content" / "topics").glob("*.yaml"))
        _front(
            path, lambda t: re.sub(r"^topics: .*$", f"topics: [{topics[op[2] % len(topics)]}]", t, count=1, flags=re.M)
        )
    elif kind == "date":
        _front(path, lambda t: re.sub(r"^date: 2025-02-2\d", f"date: 2025-02-1{op[2]}", t, count=1, flags=re.M))
    elif kind == "source":
        _front(path, lambda t: re.sub(r"(- source: )\S+", r"\1ukraine-air-force-facebook", t, count=1))
    elif kind == "judgement":
        text = path.read_text()
        path.write_text(
            text.replace(JUDGEMENT, "summary: ") if JUDGEMENT in text else text.replace("summary: ", JUDGEMENT, 1)
        )
    elif kind == "delete" and len(files) > 1:
        path.unlink()


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def outcome(builder: Builder) -> tuple[str, object]:
    try:
        result = builder.rebuild()
    except BuildError as exc:
        return "failed", sorted(str(p) for p in exc.problems)
    return "built", (tree(builder.project.output), sorted(str(p) for p in result.problems), result.reread)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "\nsearch: false\n")  # the search indexer is tested elsewhere
    return project


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=1, max_size=5))
def test_edits_with_changes_recorded_equal_builds_without_a_cache(example: Path, steps):
    work, project = fresh_work(example)
    cli = lambda: Builder(Project.at(project, work / "site"), jobs=1, once=True)  # noqa: E731
    whole = lambda: Builder(Project.at(project, work / "whole"), jobs=1, use_cache=False)  # noqa: E731
    assert outcome(cli())[0] == outcome(whole())[0] == "built"
    for op in steps:
        apply(project, op)
        got, want = outcome(cli()), outcome(whole())
        assert got[0] == want[0], (op, got[1], want[1])
        if got[0] == "failed":
            assert got[1] == want[1], op
            continue
        (files, problems, reread), (expected, expected_problems, _) = got[1], want[1]
        if op[0] != "delete":
            assert reread is not None, op  # the site came from the stored model: the carried results were used
        assert problems == expected_problems, op
        assert sorted(files) == sorted(expected), op
        assert [rel for rel in expected if files[rel] != expected[rel]] == [], op


def test_an_edit_carries_the_other_topics_and_reviews(example: Path, tmp_path: Path, monkeypatch):
    """An edit of one report works out again only that report's review and its topics' origins and states."""
    from briefgen.briefing import changes, editorial

    cli = lambda: Builder(Project.at(example, tmp_path / "site"), jobs=1, once=True)  # noqa: E731
    cli().rebuild()
    cli().rebuild()  # from the store, nothing changed: everything carried
    worked: dict[str, list] = {"topics": [], "articles": [], "origins": []}
    topic_state, article, origins = changes.topic_state, editorial.Review.article, editorial.origins
    monkeypatch.setattr(
        changes, "topic_state", lambda t, tz=None: worked["topics"].append(t.slug) or topic_state(t, tz)
    )
    monkeypatch.setattr(editorial.Review, "article", lambda r, a: worked["articles"].append(a.path) or article(r, a))
    monkeypatch.setattr(editorial, "origins", lambda t: worked["origins"].append(t.slug) or origins(t))
    edited = example / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
    _front(edited, lambda t: re.sub(r"^title: .*$", "title: A new title", t, count=1, flags=re.M))
    assert cli().rebuild().reread == ["content/articles/2025-02-23-kryvyi-rih-missile-strike.md"]
    assert worked == {
        "topics": ["drone-strikes"],
        "articles": [edited.relative_to(example).as_posix()],
        "origins": ["drone-strikes"],
    }


def test_a_topics_origins_follow_its_reports_sources(example: Path, tmp_path: Path):
    """A topic of one report, every source of which comes from one originator, is one-sided; the report's
    edit that cites another originator makes it not so, and the edit back one-sided again."""
    topics = example / "content/topics"
    (topics / "solo.yaml").write_text((topics / "nato-offer.yaml").read_text().replace("title: ", "title: Solo ", 1))
    duda = example / "content/articles/2025-02-22-duda-urges-zelensky-calm.md"
    _front(duda, lambda t: t.replace("topics: [minerals-deal]", "topics: [solo]"))
    cli = lambda: Builder(Project.at(example, tmp_path / "site"), jobs=1, once=True)  # noqa: E731
    whole = lambda: Builder(Project.at(example, tmp_path / "whole"), jobs=1, use_cache=False)  # noqa: E731
    one_sided = "every source of this topic comes from one"
    for step, cites in enumerate(("duda-x", "kellogg-x", "duda-x")):
        _front(duda, lambda t, cites=cites: re.sub(r"(- source: )\S+", rf"\g<1>{cites}", t, count=1))
        got, want = outcome(cli()), outcome(whole())
        assert (got[1][2] is None) == (step == 0)  # a whole load first, then each edit from the store
        assert got[1][1] == want[1][1]
        assert any(one_sided in p and "solo.yaml" in p for p in got[1][1]) == (cites == "duda-x")
        assert got[1][0] == want[1][0]


def test_a_state_is_carried_only_as_the_history_has_it(example: Path, tmp_path: Path):
    """A build that fails at the link check has stored its model and what it worked out, but the history in the
    output is still the one before: the next build compares with that history, as a build without a cache does."""
    strike = example / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"  # in another topic than Duda's
    duda = example / "content/articles/2025-02-22-duda-urges-zelensky-calm.md"
    broken = "\nA link to [nowhere](../../nowhere/).\n"
    cli = lambda: Builder(Project.at(example, tmp_path / "site"), jobs=1, once=True)  # noqa: E731
    whole = lambda: Builder(Project.at(example, tmp_path / "whole"), jobs=1, use_cache=False)  # noqa: E731
    assert outcome(cli())[0] == outcome(whole())[0] == "built"
    strike.write_text(strike.read_text() + broken)
    assert outcome(cli())[0] == outcome(whole())[0] == "failed"
    _front(duda, lambda t: re.sub(r"^title: .*$", "title: A new title", t, count=1, flags=re.M))
    assert outcome(cli())[0] == outcome(whole())[0] == "failed"  # the new title's state stored, not recorded
    strike.write_text(strike.read_text().replace(broken, ""))
    got, want = outcome(cli()), outcome(whole())
    assert got[1][2] == [strike.relative_to(example).as_posix()]  # from the store; Duda's report as stored
    assert b"A new title" in got[1][0]["changes/history.json"]
    assert got[1][0] == want[1][0]
