"""`briefgen new`: a blank project, a new topic and a new report, each passing `briefgen check` as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import copy_example, run_cli

NOON_KYIV = {"SOURCE_DATE_EPOCH": str(int(dt.datetime(2025, 2, 24, 10, 30, 45, tzinfo=dt.UTC).timestamp()))}


def test_a_blank_project_then_a_topic_and_a_report_pass_check_and_build(tmp_path: Path):
    project = tmp_path / "desk"
    proc = run_cli("new", str(project), "--blank", check=True)
    assert "Created a briefgen project" in proc.stdout
    assert not list((project / "content" / "articles").iterdir()), "no example content"
    assert ".venv/" in (project / ".gitignore").read_text()
    run_cli("check", "--source", str(project), check=True)
    run_cli("new", "topic", "power-grid", "--source", str(project), check=True)
    proc = run_cli("new", "article", "Kyiv's grid: what the strikes hit", "--source", str(project), env=NOON_KYIV)
    assert proc.returncode == 0, proc.stderr
    path = project / "content" / "articles" / "2025-02-24-kyivs-grid-what-the-strikes-hit.md"
    text = path.read_text()
    assert "date: 2025-02-24T10:30:00+00:00\n" in text, "now, in the site's zone (UTC here), to the minute"
    assert "topics: [power-grid]" in text and "draft: true" in text
    proc = run_cli("check", "--source", str(project), "--strict")
    assert proc.returncode == 0, proc.stderr
    run_cli("build", "--source", str(project), "--drafts", check=True)
    page = (project / "site" / "articles" / "2025-02-24-kyivs-grid-what-the-strikes-hit" / "index.html").read_text()
    assert "Kyiv&#39;s grid: what the strikes hit" in page and "<strong>Draft</strong>" in page


def test_a_new_report_in_the_example_takes_the_site_zone_and_the_given_topic(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    proc = run_cli(
        "new", "article", "Overnight count", "--topic", "drone-strikes", "--source", str(project), env=NOON_KYIV
    )
    assert proc.returncode == 0, proc.stderr
    text = (project / "content" / "articles" / "2025-02-24-overnight-count.md").read_text()
    assert "date: 2025-02-24T12:30:00+02:00\n" in text, "Europe/Kyiv"
    run_cli("check", "--source", str(project), check=True)
    # the report, once draft: true is removed, builds (with the sources warning a report without sources gets)
    path = project / "content" / "articles" / "2025-02-24-overnight-count.md"
    path.write_text(text.replace("draft: true  # remove this line to publish\n", ""))
    run_cli("build", "--source", str(project), check=True)
    assert (project / "site" / "articles" / "2025-02-24-overnight-count" / "index.html").is_file()


def test_new_article_with_a_date_and_the_mistakes_it_refuses(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    args = ("--source", str(project))
    proc = run_cli("new", "article", "A dated report", "--topic", "nato-offer", "--date", "2025-02-25T08:15", *args)
    assert proc.returncode == 0, proc.stderr
    text = (project / "content" / "articles" / "2025-02-25-a-dated-report.md").read_text()
    assert "date: 2025-02-25T08:15:00+02:00" in text
    again = run_cli("new", "article", "A dated report", "--topic", "nato-offer", "--date", "2025-02-25T09:00", *args)
    assert again.returncode == 1 and "already exists" in again.stderr
    proc = run_cli("new", "article", "No topic given", *args)
    assert proc.returncode == 1 and "pass --topic SLUG" in proc.stderr and "drone-strikes" in proc.stderr
    proc = run_cli("new", "article", "Wrong topic", "--topic", "nato", *args)
    assert proc.returncode == 1 and "no topic 'nato'" in proc.stderr
    proc = run_cli("new", "article", "Bad date", "--topic", "nato-offer", "--date", "tomorrow", *args)
    assert proc.returncode == 1 and "--date 'tomorrow' is not a date" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_new_dir_still_copies_the_example(tmp_path: Path):
    run_cli("new", str(tmp_path / "example"), check=True)
    assert len(list((tmp_path / "example" / "content" / "articles").glob("*.md"))) >= 12
