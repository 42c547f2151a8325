"""Bylines: `authors:` names people.yaml ids, shown linked on the report and in its JSON-LD and feeds."""

from __future__ import annotations

from pathlib import Path

import feedparser
from conftest import copy_example, run_cli
from test_corrections import NATO, NATO_PAGE, news_article

DESK = "\ndesk-editor:\n  name: Olena Example\n  role: Editor, example desk\ndesk-reporter:\n  name: Petro Example\n"


def with_authors(tmp_path: Path, ids: str) -> Path:
    project = copy_example(tmp_path / "project")
    people = project / "content" / "people.yaml"
    people.write_text(people.read_text() + DESK)
    path = project / NATO
    head, sep, body = path.read_text().partition("\n---\n")
    path.write_text(f"{head}\nauthors: [{ids}]{sep}{body}")
    return project


def test_authors_are_linked_on_the_page_and_in_json_ld_and_feeds(tmp_path: Path):
    project = with_authors(tmp_path, "desk-editor, desk-reporter")
    run_cli("build", "--source", str(project), check=True)
    html = (project / "site" / NATO_PAGE).read_text()
    assert (
        '<span class="byline__author">By <a href="../../people/desk-editor/">Olena Example</a> and '
        '<a href="../../people/desk-reporter/">Petro Example</a></span>' in html
    )
    authors = news_article(html)["author"]
    assert [a["name"] for a in authors] == ["Olena Example", "Petro Example"]
    assert authors[0] == {"@type": "Person", "name": "Olena Example", "url": "https://example.org/people/desk-editor/"}
    feed = feedparser.parse((project / "site" / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if "resign-for-nato" in e.link)
    assert entry.author == "Olena Example, Petro Example"
    person = (project / "site" / "people" / "desk-editor" / "index.html").read_text()
    assert "Olena Example" in person and "resign-for-nato/" in person, "the person's page lists what they wrote"


def test_an_unknown_author_is_a_located_error(tmp_path: Path):
    project = with_authors(tmp_path, "desk-editr")
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    assert "unknown author 'desk-editr' (did you mean 'desk-editor'?)" in proc.stderr
