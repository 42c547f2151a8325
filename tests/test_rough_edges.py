"""Rough edges a new desk editor hit: each message says the real cause once, where it is, with advice that fits."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_example, run_cli

ARTICLE = "content/articles/2025-02-23-record-russian-drone-attack.md"
PAGE = "articles/2025-02-23-record-russian-drone-attack/index.html"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "project")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


def test_a_date_and_time_without_seconds_is_accepted(project: Path):
    path = project / ARTICLE
    text = path.read_text()
    old = next(t for t in text.splitlines() if t.startswith("date: "))
    replace(path, old, "date: 2025-02-23T09:45")
    run_cli("build", "--source", str(project), check=True)
    html = (project / "site" / PAGE).read_text()
    assert '<time datetime="2025-02-23T09:45:00+02:00">' in html, "the site's zone applies, as to any date without one"


def test_a_quoted_date_is_still_said_to_be_quoted(project: Path):
    path = project / ARTICLE
    old = next(t for t in path.read_text().splitlines() if t.startswith("date: "))
    replace(path, old, 'date: "2025-02-23T09:45"')
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1 and "is quoted, so YAML reads it as text (remove the quotes)" in proc.stderr


def test_a_tab_in_people_yaml_is_one_error_not_a_hundred(project: Path):
    people = project / "content" / "people.yaml"
    replace(people, "\n  name: ", "\n\tname: ")
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("content/")]
    assert errors and errors[0].startswith("content/people.yaml:"), proc.stderr
    assert "unknown" not in proc.stderr, "no knock-on unknown-reference errors"
    assert len(errors) == 1, proc.stderr


def test_a_topic_file_that_does_not_parse_gives_no_unknown_topic_errors(project: Path):
    topic = project / "content" / "topics" / "drone-strikes.yaml"
    topic.write_text(topic.read_text() + "\tbroken: tab\n")
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0].startswith("content/topics/drone-strikes.yaml:")
    assert "unknown topic" not in proc.stderr


def test_a_rejected_report_gives_no_false_one_source_warning(tmp_path: Path):
    project = tmp_path / "p"
    run_cli("new", str(project), "--blank", check=True)
    (project / "content" / "sources.yaml").write_text(
        "air-force:\n  name: Air force channel\n  kind: originator\nwire:\n  name: A wire service\n"
    )
    (project / "content" / "topics" / "raids.yaml").write_text("title: Raids\nsummary: What the raids did.\n")
    article = "---\ntitle: {t}\ndate: 2025-02-23T09:00:00Z\ntopics: [raids]\nsummary: {t}.\n{extra}sources:\n  - source: {s}\n---\nText.\n"
    articles = project / "content" / "articles"
    (articles / "a.md").write_text(article.format(t="From the channel", s="air-force", extra=""))
    (articles / "b.md").write_text(article.format(t="From the wire", s="wire", extra="confidence: maybe\n"))
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1 and "confidence" in proc.stderr
    assert "comes from one" not in proc.stderr, proc.stderr
    # fixed, the topic has two independent origins: no warning either; with only the wire, it names a source
    (articles / "b.md").write_text(article.format(t="From the wire", s="wire", extra=""))
    assert "comes from one" not in run_cli("check", "--source", str(project)).stderr
    (articles / "a.md").unlink()
    proc = run_cli("check", "--source", str(project))
    assert "every source of this topic comes from one source, A wire service" in proc.stderr


def test_draft_and_a_misspelt_summary_are_said_once(project: Path):
    path = project / ARTICLE
    replace(path, "summary: ", "sumary: ")
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    assert f"{ARTICLE}:{line_of(path, 'sumary:')}: unknown key 'sumary' (did you mean 'summary'?)" in proc.stderr
    assert "missing required field 'summary'" not in proc.stderr


def test_a_missing_speaker_says_which_quote_and_an_empty_one_is_not_to_be_removed(project: Path):
    path = project / "content" / "articles" / "2025-02-21-kellogg-kyiv-talks.md"
    quote = '  - speaker: zelensky\n    undated: true\n    text: "My meeting'
    replace(path, quote, '  - undated: true\n    text: "My meeting')
    proc = run_cli("check", "--source", str(project))
    assert "missing required field 'speaker' in item 2 of quotes" in proc.stderr, proc.stderr
    path.write_text(
        path.read_text().replace(
            '  - undated: true\n    text: "My meeting', '  - speaker:\n    undated: true\n    text: "My meeting'
        )
    )
    proc = run_cli("check", "--source", str(project))
    assert "speaker is empty (write a value: it is required)" in proc.stderr, proc.stderr
    assert "remove the key" not in proc.stderr


def test_build_says_how_to_preview_including_with_output(project: Path, tmp_path: Path):
    proc = run_cli("build", "--source", str(project), check=True)
    assert f"Preview it with: briefgen serve --source {project}, then open http://127.0.0.1:8000/" in proc.stdout
    out = tmp_path / "elsewhere"
    proc = run_cli("build", "--source", str(project), "--output", str(out), check=True)
    assert f"briefgen serve --source {project} --output " in proc.stdout
    assert "then open http://127.0.0.1:8000/" in proc.stdout


def test_the_serve_overlay_marks_the_error_that_stopped_the_build(project: Path, browser):
    from serve_support import Running, edit

    server = Running(project)
    page = browser.new_page()
    try:
        page.goto(server.url + PAGE.removesuffix("index.html"))
        page.wait_for_function("() => window.briefgenLive !== undefined")
        # an error (an unknown key) and, in another report, a warning (no sources)
        edit(project / ARTICLE, "date: ", "title2: broken\ndate: ")
        edit(project / "content" / "articles" / "2025-02-21-kellogg-kyiv-talks.md", "sources:", "sources_gone:")
        page.wait_for_selector("#briefgen-problems .briefgen-problem--error")
        first = page.locator("#briefgen-problems .briefgen-problem").first
        assert first.inner_text().startswith("error (stopped the build): content/")
    finally:
        page.close()
        server.stop()
