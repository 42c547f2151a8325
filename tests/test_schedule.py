"""Embargoes and withdrawals: `publish_at` holds a report back until then, `expires_at` withdraws it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import copy_example, run_cli
from site_support import feed_links, outputs_mentioning, sitemap_urls

SLUG = "2025-02-24-embargoed-briefing"
WORD = "Brackenfold"
KYIV = dt.timezone(dt.timedelta(hours=2))
GOES_LIVE = dt.datetime(2025, 2, 24, 6, 0, tzinfo=KYIV)

REPORT = f"""---
title: {WORD} embargoed report
date: 2025-02-23T22:00:00+02:00
publish_at: 2025-02-24T06:00:00+02:00
topics: [drone-strikes]
summary: A report about {WORD} under embargo until six in the morning.
sources:
  - source: ukraine-air-force-facebook
---
The {WORD} body.
"""


def epoch(moment: dt.datetime) -> dict[str, str]:
    return {"SOURCE_DATE_EPOCH": str(int(moment.timestamp()))}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    (project / "content" / "articles" / f"{SLUG}.md").write_text(REPORT, encoding="utf-8")
    return project


def build(project: Path, moment: dt.datetime, *args: str):
    return run_cli("build", "--source", str(project), *args, env=epoch(moment), check=True)


def test_held_until_publish_at_then_published_as_if_newly_filed(project: Path):
    site = project / "site"
    before = GOES_LIVE - dt.timedelta(minutes=1)
    proc = build(project, before)
    assert not (site / "articles" / SLUG).exists()
    assert outputs_mentioning(site, WORD) == []
    assert (
        f"1 report scheduled: '{WORD} embargoed report' (content/articles/{SLUG}.md) "
        "goes live at 24 Feb 2025 06:00 Kyiv time" in proc.stdout
    )
    # no input changed, nothing is due yet: the shortcut may answer, and still says what is waiting
    proc = build(project, before)
    assert "nothing changed" in proc.stdout and "1 report scheduled: " in proc.stdout
    # the moment has come: no input changed, but the build must not be skipped
    proc = build(project, GOES_LIVE)
    assert "nothing changed" not in proc.stdout
    assert "scheduled" not in proc.stdout
    page = (site / "articles" / SLUG / "index.html").read_text()
    assert "preview-banner" not in page and "noindex" not in page
    # filed at its release: the published time is publish_at, not the earlier date: written
    assert 'datetime="2025-02-24T06:00:00+02:00"' in page
    links = feed_links(site / "feed.xml")
    assert links[0].endswith(f"/articles/{SLUG}/"), "newest first: it appears as just filed"
    assert any(url.endswith(f"/articles/{SLUG}/") for url in sitemap_urls(site))
    assert any(p.startswith("pagefind/") for p in outputs_mentioning(site, WORD)), "in the search index"
    assert f"articles/{SLUG}/" in (site / "changes" / "history.json").read_text()


def test_a_preview_shows_a_scheduled_report_with_its_release_time(project: Path):
    build(project, GOES_LIVE - dt.timedelta(hours=3), "--drafts")
    page = (project / "site" / "articles" / SLUG / "index.html").read_text()
    assert "<strong>Scheduled</strong>" in page
    assert 'datetime="2025-02-24T06:00:00+02:00"' in page and 'content="noindex"' in page


def test_expires_at_withdraws_it_with_a_note_page(project: Path):
    path = project / "content" / "articles" / f"{SLUG}.md"
    path.write_text(REPORT.replace("publish_at:", "expires_at: 2025-02-25T12:00:00+02:00\npublish_at:"))
    site = project / "site"
    proc = build(project, dt.datetime(2025, 2, 25, 9, 0, tzinfo=KYIV))
    assert (site / "articles" / SLUG / "index.html").is_file()
    assert "scheduled" not in proc.stdout
    build(project, dt.datetime(2025, 2, 25, 12, 0, tzinfo=KYIV))  # due: not skipped by the shortcut
    note = (site / "articles" / SLUG / "index.html").read_text()
    assert "This report has been withdrawn" in note and 'content="noindex"' in note
    assert WORD not in note, "the note does not repeat what was withdrawn"
    assert not any(SLUG in link for link in feed_links(site / "feed.xml"))
    assert not any(SLUG in url for url in sitemap_urls(site))
    assert SLUG not in (site / "topics" / "drone-strikes" / "index.html").read_text()
    assert not [p for p in outputs_mentioning(site, f"/articles/{SLUG}/") if p.startswith("pagefind/")], "not indexed"
    # the change history keeps what it recorded when the report was filed, now without a link to it
    assert f'href="../articles/{SLUG}/' not in (site / "changes" / "index.html").read_text()


def test_expires_before_publish_is_a_located_error(project: Path):
    path = project / "content" / "articles" / f"{SLUG}.md"
    path.write_text(REPORT.replace("publish_at:", "expires_at: 2025-02-24T05:00:00+02:00\npublish_at:"))
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    assert f"content/articles/{SLUG}.md:4: expires_at is not after publish_at" in proc.stderr


def test_without_source_date_epoch_the_clock_decides(project: Path):
    path = project / "content" / "articles" / f"{SLUG}.md"
    path.write_text(REPORT.replace("2025-02-24T06:00:00+02:00", "2999-01-01T06:00:00+02:00"))
    proc = run_cli("build", "--source", str(project), check=True)
    assert "goes live at 1 Jan 2999 06:00 Kyiv time" in proc.stdout
    assert not (project / "site" / "articles" / SLUG).exists()
