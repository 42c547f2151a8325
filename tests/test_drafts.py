"""Drafts: `draft: true` keeps a report (or a topic) out of every output of a normal build; a preview shows it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import copy_example, run_cli
from site_support import feed_links, outputs_mentioning, sitemap_urls

WORD = "Quillmarsh"  # in nothing but the draft, so any output that mentions it leaks the draft
SLUG = "2025-02-24-quillmarsh-draft"

DRAFT = f"""---
title: {WORD} report still being edited
date: 2025-02-24T09:00:00+02:00
topics: [drone-strikes]
summary: A draft about {WORD} that must not be published yet.
draft: true
sources:
  - source: ukraine-air-force-facebook
people: [zelensky]
quotes:
  - speaker: zelensky
    text: {WORD} words nobody may read yet
    said: 2025-02-24
    where: a video address
figures:
  - id: {WORD.lower()}-count
    label: {WORD} count
    value: 7
    as_of: 2025-02-24
    by: ukraine-air-force
events:
  - date: 2025-02-24
    text: {WORD} event in the draft.
claims:
  - question: whether {WORD} happened
    by: russia-defence-ministry
    text: {WORD} claim.
---
The {WORD} body, not for readers yet.
"""


def add_draft(project: Path, text: str = DRAFT, name: str = f"{SLUG}.md") -> Path:
    path = project / "content" / "articles" / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    add_draft(project)
    return project


def test_a_draft_is_in_no_output_of_a_normal_build(project: Path):
    run_cli("build", "--source", str(project), check=True)
    site = project / "site"
    assert not (site / "articles" / SLUG).exists()
    assert (site / "pagefind").is_dir(), "the search index was built, and is checked below"
    assert outputs_mentioning(site, WORD) == []
    for feed in [site / "feed.xml", *site.glob("topics/*/feed.xml"), *site.glob("*/*/feed.xml")]:
        assert not any(SLUG in link for link in feed_links(feed)), feed
    assert not any(SLUG in url for url in sitemap_urls(site))
    briefing = json.loads((site / "topics" / "drone-strikes" / "briefing.json").read_text())
    assert WORD not in json.dumps(briefing)
    history = json.loads((site / "changes" / "history.json").read_text())
    assert WORD not in json.dumps(history)


def test_build_drafts_shows_it_with_a_banner_and_noindex_and_the_next_build_removes_it(project: Path):
    proc = run_cli("build", "--source", str(project), "--drafts", check=True)
    site = project / "site"
    page = (site / "articles" / SLUG / "index.html").read_text()
    assert 'class="preview-banner"' in page and "<strong>Draft</strong>" in page
    assert '<meta name="robots" content="noindex">' in page
    assert SLUG in (site / "topics" / "drone-strikes" / "index.html").read_text()
    other = (site / "articles" / "2025-02-23-record-russian-drone-attack" / "index.html").read_text()
    assert "preview-banner" not in other and "noindex" not in other
    assert not any(SLUG in url for url in sitemap_urls(site)), "a noindex page is not listed in the sitemap"
    assert "draft" in proc.stdout.lower() or proc.returncode == 0
    # the next normal build (incremental: the cache and the last state are there) leaves it out again
    proc = run_cli("build", "--source", str(project), check=True)
    assert "nothing changed" not in proc.stdout
    assert not (site / "articles" / SLUG).exists()
    assert outputs_mentioning(site, WORD) == []
    assert "1 draft(s) left out" in proc.stdout


def test_removing_draft_publishes_it(project: Path):
    run_cli("build", "--source", str(project), check=True)
    path = project / "content" / "articles" / f"{SLUG}.md"
    path.write_text(DRAFT.replace("draft: true\n", ""), encoding="utf-8")
    run_cli("build", "--source", str(project), check=True)
    page = (project / "site" / "articles" / SLUG / "index.html").read_text()
    assert "preview-banner" not in page and "noindex" not in page
    assert any(SLUG in link for link in feed_links(project / "site" / "feed.xml"))


def test_publish_never_publishes_a_draft(project: Path, tmp_path: Path):
    run_cli("build", "--source", str(project), "--drafts", check=True)
    assert (project / "site" / "articles" / SLUG).is_dir()
    dest = tmp_path / "public"
    run_cli("publish", "--source", str(project), "--dir", str(dest), check=True)
    assert (dest / "index.html").is_file()
    assert not (dest / "articles" / SLUG).exists()
    assert outputs_mentioning(dest, WORD) == []


def test_a_draft_topic_and_its_only_articles_are_left_out(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    topic = (project / "content" / "topics" / "drone-strikes.yaml").read_text()
    (project / "content" / "topics" / "quillmarsh.yaml").write_text(
        f"title: {WORD} topic\nsummary: A topic not ready yet.\ndraft: true\nrelated: [drone-strikes]\n"
    )
    related = re.search(r"^related: \[(.*)\]$", topic, re.M)
    (project / "content" / "topics" / "drone-strikes.yaml").write_text(
        topic.replace(related.group(0), f"related: [{related.group(1)}, quillmarsh]")
    )
    only = DRAFT.replace("draft: true\n", "").replace("topics: [drone-strikes]", "topics: [quillmarsh]")
    add_draft(project, only)
    both = (
        DRAFT.replace("draft: true\n", "")
        .replace("topics: [drone-strikes]", "topics: [drone-strikes, quillmarsh]")
        .replace(WORD, "Shown")
        .replace(f"id: {WORD.lower()}-count", "id: shown-count")
    )
    add_draft(project, both, "2025-02-24-shown.md")
    proc = run_cli("build", "--source", str(project))
    assert proc.returncode == 0, proc.stderr
    site = project / "site"
    assert not (site / "topics" / "quillmarsh").exists()
    assert not (site / "articles" / SLUG).exists()
    assert (site / "articles" / "2025-02-24-shown" / "index.html").is_file()
    assert outputs_mentioning(site, WORD) == []
    # a preview shows the topic with its banner
    run_cli("build", "--source", str(project), "--drafts", check=True)
    page = (site / "topics" / "quillmarsh" / "index.html").read_text()
    assert "<strong>Draft</strong>" in page and 'content="noindex"' in page


def test_a_link_to_a_draft_is_a_located_error(project: Path):
    path = project / "content" / "articles" / "2025-02-23-record-russian-drone-attack.md"
    path.write_text(path.read_text() + f"\nSee [the draft]({SLUG}.md).\n")
    proc = run_cli("build", "--source", str(project))
    assert proc.returncode == 1
    assert f"link to '{SLUG}.md': a draft, left out of this build" in proc.stderr
    assert "Traceback" not in proc.stderr
    # in a preview the link works
    run_cli("build", "--source", str(project), "--drafts", check=True)


def test_draft_is_a_known_key_and_must_be_true_or_false(project: Path):
    path = project / "content" / "articles" / f"{SLUG}.md"
    path.write_text(DRAFT.replace("draft: true", "draft: yes please"))
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    assert f"{SLUG}.md:6:" in proc.stderr
    assert "did you mean 'date'" not in proc.stderr


def test_serve_shows_drafts_with_a_banner_and_can_leave_them_out(project: Path):
    from serve_support import Running

    server = Running(project)
    try:
        status, _headers, body = server.get(f"/articles/{SLUG}/")
        assert status == 200
        assert b"<strong>Draft</strong>" in body and b'content="noindex"' in body
    finally:
        server.stop()
    server = Running(project, drafts=False)
    try:
        status, _headers, _body = server.get(f"/articles/{SLUG}/")
        assert status == 404
    finally:
        server.stop()
