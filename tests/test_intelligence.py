"""Briefing intelligence (issue 8): figures in disagreement and over time, the claim ledger,
what changed between builds, editorial lint and the JSON exports.

Everything runs the real CLI on real files: the example project plus content
written by the test, parsed back with BeautifulSoup, ElementTree, feedparser
and jsonschema.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import jsonschema
from bs4 import BeautifulSoup
from conftest import copy_example, run_cli

DRONES = "content/articles/2025-02-23-record-russian-drone-attack.md"

SECOND_COUNT = """---
title: Moscow gives its own count of the drones Ukraine downed
date: 2025-02-23T18:00:00+02:00
topics: [drone-strikes]
summary: Russia's defence ministry says Ukraine shot down far fewer of its drones than Kyiv claims.
sources:
  - source: russia-defence-ministry-telegram
figures:
  - id: drones-intercepted-2025-02-23-russia
    measure: drones-intercepted
    label: Russian drones shot down by air defence
    value: 95
    unit: drones
    as_of: 2025-02-23
    by: russia-defence-ministry
---
Moscow's figure.
"""

NEXT_NIGHT = """---
title: The air force counts 185 drones the next night
date: 2025-02-24T08:30:00+02:00
topics: [drone-strikes]
summary: A smaller raid followed the record one.
sources:
  - source: ukraine-air-force-facebook
figures:
  - id: drones-launched-2025-02-24
    measure: drones-launched
    label: Russian drones launched overnight
    value: 185
    unit: drones
    as_of: 2025-02-24
    by: ukraine-air-force
---
The next night.
"""


def build(project: Path, *args: str) -> Path:
    run_cli("build", "--source", str(project), *args, check=True)
    return project / "site"


def page(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel / "index.html").read_text(), "html.parser")


def add(project: Path, name: str, text: str) -> None:
    (project / "content" / "articles" / name).write_text(text, encoding="utf-8")


def edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- 1. figures in disagreement and over time ------------------------------------------


def test_two_reporters_counts_of_intercepted_drones_stand_side_by_side_with_the_range(example: Path):
    add(example, "2025-02-23-moscow-count.md", SECOND_COUNT)
    site = build(example)
    figures = page(site, "topics/drone-strikes").find(id="key-figures")
    items = [i for i in figures.select("tbody.numbers__item") if "shot down by air defence" in i.get_text()]
    assert len(items) == 1, "one item for the measure, not one number replacing the other"
    item = items[0]
    assert "Sources differ (95–138)" in " ".join(item.get_text(" ", strip=True).split())
    rows = [" ".join(r.get_text(" ", strip=True).split()) for r in item.select("tr")]
    assert any("138" in t and "Ukrainian Air Force" in t and "23 Feb 2025" in t for t in rows), rows
    assert any("95" in t and "Russian Ministry of Defence" in t and "23 Feb 2025" in t for t in rows), rows

    data = json.loads((site / "topics/drone-strikes/briefing.json").read_text())
    group = next(g for g in data["figures"] if g["measure"] == "drones-intercepted")
    assert (group["disagree"], group["low"], group["high"]) == (True, 95, 138)
    assert {r["reported_by"]["id"] for r in group["reports"] if r["current"]} == {
        "ukraine-air-force",
        "russia-defence-ministry",
    }


def test_figures_with_the_same_label_and_no_measure_are_grouped(example: Path):
    twin = SECOND_COUNT.replace("    measure: drones-intercepted\n", "").replace(
        "label: Russian drones shot down by air defence", "label: Ukrainian drones Russia says it destroyed overnight"
    )
    twin = twin.replace("by: russia-defence-ministry", "by: afp").replace("value: 95", "value: 22")
    add(example, "2025-02-23-afp-count.md", twin.replace("russia-defence-ministry-telegram", "afp"))
    data = json.loads((build(example) / "topics/drone-strikes/briefing.json").read_text())
    groups = [g for g in data["figures"] if g["label"] == "Ukrainian drones Russia says it destroyed overnight"]
    assert len(groups) == 1 and groups[0]["disagree"] and (groups[0]["low"], groups[0]["high"]) == (20, 22)


def test_a_figure_reported_at_several_dates_gets_an_svg_chart_with_a_table(example: Path):
    add(example, "2025-02-24-next-night.md", NEXT_NIGHT)
    site = build(example)
    html = (site / "topics/drone-strikes/index.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    card = soup.select_one("#key-figures details.numbers__trend")
    assert card is not None and "Russian drones launched overnight" in card.summary.get_text()
    svg = card.find("svg")
    assert svg["role"] == "img"
    title = card.find(id=svg["aria-labelledby"])
    assert title.name == "title" and "267" in title.get_text() and "185" in title.get_text()
    ET.fromstring(str(svg))  # well-formed XML, drawn at build time
    assert len(svg.find_all("polyline")) == 1 and len(svg.find_all("circle")) == 2
    table = card.find("table")
    rows = [" ".join(tr.get_text(" ", strip=True).split()) for tr in table.tbody.find_all("tr")]
    assert rows == [
        "23 Feb 2025 Ukrainian Air Force 267 drones (article: Air force counts 267 Russian drones in one night, a war record)",
        "24 Feb 2025 Ukrainian Air Force 185 drones (article: The air force counts 185 drones the next night)",
    ]
    assert "<script" not in str(card)
    legend = card.select_one(".chart__legend").get_text(" ", strip=True)
    assert "Ukrainian Air Force" in legend, "series are named in text, not told apart by colour alone"


# --- 2. claim ledger ------------------------------------------------------------------------


def test_claim_ledger_per_topic_and_site_wide_with_claim_review_for_verdicts(example: Path):
    edit(
        example,
        "content/articles/2025-02-22-waltz-cpac-zelensky-will-sign.md",
        "status: unverified",
        "status: disputed",
    )
    site = build(example)
    topic = page(site, "topics/minerals-deal").find(id="claims")
    group = next(g for g in topic.select(".claim-group") if "about to be signed" in g.get_text())
    rows = group.select("tbody tr")
    assert len(rows) == 3, "every party's claim on the question"
    statuses = [r.select_one(".claims__status").get_text(" ", strip=True) for r in rows]
    assert sorted(statuses) == ["Disputed", "Unverified", "Unverified"]
    for row in rows:
        assert row.select_one(".claims__who a") and "Evidence:" in row.select_one(".claims__text").get_text()
        assert "What would settle it:" in row.select_one(".claims__text").get_text()
    ledger = page(site, "claims")
    sections = ledger.select("section.block")
    assert [s["id"] for s in sections] == ["status-disputed", "status-unverified", "positions"]
    assert "Is Zelensky a dictator?" in ledger.select_one("#positions").get_text()
    article = page(site, "articles/2025-02-22-waltz-cpac-zelensky-will-sign")
    graph = json.loads(article.find("script", type="application/ld+json").string)["@graph"]
    reviews = [n for n in graph if n["@type"] == "ClaimReview"]
    assert len(reviews) == 1 and reviews[0]["reviewRating"]["alternateName"] == "Disputed"
    positions_only = page(site, "articles/2025-02-23-zelensky-ready-to-resign-for-nato")
    graph = json.loads(positions_only.find("script", type="application/ld+json").string)["@graph"]
    assert not [n for n in graph if n["@type"] == "ClaimReview"], "a position gets no verdict, not even in metadata"


# --- 3. what changed ----------------------------------------------------------------------


def test_first_build_records_nothing(built_example: Path):
    history = json.loads((built_example / "changes/history.json").read_text())
    assert history["records"] == [] and set(history["state"]["topics"]) == {
        "drone-strikes",
        "minerals-deal",
        "nato-offer",
    }
    assert "No changes recorded yet" in page(built_example, "changes").get_text()
    assert page(built_example, "topics/drone-strikes").find(id="changes") is None


def test_a_figure_edited_from_267_to_270_shows_as_a_change_on_the_page_and_in_the_feed(example: Path):
    site = build(example)
    edit(example, DRONES, "value: 267", "value: 270")
    build(example)

    block = page(site, "topics/drone-strikes").find(id="changes")
    text = " ".join(block.get_text(" ", strip=True).split())
    assert "Changed since 23 Feb 2025" in text
    assert "Figure changed" in text and "267 drones → 270 drones" in text
    assert block.find("a", href=re.compile(r"changes/#change-1$"))

    feed = feedparser.parse((site / "topics/drone-strikes/changes.xml").read_bytes())
    assert not feed.bozo and feed.version == "atom10"
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert "267 drones → 270 drones" in entry.summary and entry.link.endswith("/changes/#change-1")
    assert entry.updated_parsed is not None
    other = feedparser.parse((site / "topics/nato-offer/changes.xml").read_bytes())
    assert not other.bozo and other.entries == [], "only the topic that changed"
    site_feed = feedparser.parse((site / "changes/feed.xml").read_bytes())
    assert [e.id for e in site_feed.entries] == [entry.id]
    listing = page(site, "changes").find(id="change-1").get_text(" ", strip=True)
    assert "Ukraine reports a record Russian drone raid" in listing and "270" in listing

    # Rebuilding without content changes records nothing and rewrites nothing of the history.
    before = {p: (site / p).read_bytes() for p in ("changes/history.json", "topics/drone-strikes/changes.xml")}
    build(example)
    assert {p: (site / p).read_bytes() for p in before} == before
    assert len(json.loads(before["changes/history.json"])["records"]) == 1


def test_new_articles_claim_status_and_topic_status_are_recorded(example: Path):
    site = build(example)
    add(example, "2025-02-24-next-night.md", NEXT_NIGHT)
    edit(example, DRONES, "status: unverified", 'status: "false"')
    edit(example, "content/topics/minerals-deal.yaml", "status: developing", "status: concluded")
    build(example)
    records = json.loads((site / "changes/history.json").read_text())["records"]
    assert len(records) == 1
    rec = records[0]
    assert rec["date"] == "2025-02-24T08:30:00+02:00", "dated by the newest content, not the clock"
    assert rec["since"] == "2025-02-23T15:00:00+02:00"
    kinds = {slug: [(i["label"], i["text"]) for i in t["items"]] for slug, t in rec["topics"].items()}
    assert ("New report", "The air force counts 185 drones the next night") in kinds["drone-strikes"]
    assert any(
        label == "Figure changed" and "267 drones (23 Feb 2025) → 185 drones (24 Feb 2025)" in text
        for label, text in kinds["drone-strikes"]
    )
    claim = "Ukrainian Air Force on “Was it the largest drone raid of the war?”: unverified → false"
    assert ("Claim status", claim) in kinds["drone-strikes"]
    assert kinds["minerals-deal"] == [("Status", "developing → concluded")]


def test_a_recorded_report_deleted_or_moved_later_is_named_without_a_link(example: Path):
    """The history keeps the URL a change had; once its page is gone, pages and feeds show the text only.

    (It used to stay a link, which the link check refused: after deleting a report, no build passed.)
    """
    site = build(example)
    add(example, "2025-02-24-next-night.md", NEXT_NIGHT)
    build(example)  # records the new report, with a link to its page
    url = "articles/2025-02-24-next-night/"
    assert page(site, "changes").find("a", href=f"../{url}") is not None
    (example / "content/articles/2025-02-24-next-night.md").unlink()
    build(example)  # records it withdrawn; the first record's link has no page any more
    records = json.loads((site / "changes/history.json").read_text())["records"]
    assert url in [i["url"] for i in records[0]["topics"]["drone-strikes"]["items"]], "the record is kept as it was"
    title = "The air force counts 185 drones the next night"
    for soup in (page(site, "changes"), page(site, "topics/drone-strikes")):
        assert soup.find("a", href=re.compile("next-night")) is None
    assert title in page(site, "changes").get_text()
    entries = feedparser.parse((site / "changes/feed.xml").read_bytes()).entries
    assert any(title in e.summary for e in entries) and not any("next-night/" in e.summary for e in entries)

    add(example, "2025-02-24-next-night.md", NEXT_NIGHT.replace("title: ", "slug: night-after\ntitle: ", 1))
    build(example)  # back, at another address: the new record links there, the old ones stay text
    assert not (site / url).exists()
    assert page(site, "changes").find("a", href="../articles/night-after/") is not None


def test_serve_style_rebuilds_record_nothing_until_the_next_build(example: Path):
    from briefgen.engine.build import Builder
    from briefgen.project import Project

    site = build(example)
    project = Project.at(example)
    edit(example, DRONES, "value: 267", "value: 270")
    preview = Builder(project, record_changes=False)
    for _ in range(3):  # three saves in the editor
        preview.rebuild(None)
    assert json.loads((site / "changes/history.json").read_text())["records"] == []
    build(example)
    records = json.loads((site / "changes/history.json").read_text())["records"]
    assert len(records) == 1 and "270" in json.dumps(records)


def test_source_date_epoch_dates_a_change(example: Path):
    build(example)
    edit(example, DRONES, "value: 267", "value: 270")
    run_cli("build", "--source", str(example), check=True, env={"SOURCE_DATE_EPOCH": "1740700800"})
    rec = json.loads((example / "site/changes/history.json").read_text())["records"][0]
    assert rec["date"] == "2025-02-28T00:00:00+00:00"


# --- 4. editorial lint ------------------------------------------------------------------------

LINT_TOPIC = """title: A quiet front
summary: >-
  Nothing moved. The lines held. Both sides dug in. Talks are likely to resume.
status: developing
"""

LINT_ARTICLE = """---
title: A quiet week on the front
date: 2025-01-02T10:00:00+02:00
topics: [quiet-front]
summary: The front probably stayed where it was.
sources:
  - source: ukraine-air-force-facebook
quotes:
  - speaker: ignat
    text: "Nothing to report"
figures:
  - id: quiet-shelling
    label: Shelling incidents
    value: 3
    by: ukraine-air-force
---
Quiet.
"""


def lint_project(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "lint")
    (project / "content/topics/quiet-front.yaml").write_text(LINT_TOPIC, encoding="utf-8")
    add(project, "2025-01-02-quiet-week.md", LINT_ARTICLE)
    return project


def test_editorial_lint_warns_in_check_with_lines_and_fails_under_strict(tmp_path: Path):
    project = lint_project(tmp_path)
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    art, topic = "content/articles/2025-01-02-quiet-week.md", "content/topics/quiet-front.yaml"
    expected = [
        f"{art}:5: the summary makes a judgement ('probably') without a stated confidence",
        f"{art}:9: quote by Yuriy Ignat has no date (said:) and no place (where:)",
        f"{art}:12: figure 'quiet-shelling' has no as_of date",
        f"{topic}:1: every source of this topic comes from one originator, Ukrainian Air Force (Facebook)",
        f"{topic}:2: the bottom line has 4 sentences, more than 3",
        f"{topic}:2: the bottom line makes a judgement ('likely') without a stated confidence",
        f"{topic}:4: no new article for 52 days (last on 2 Jan 2025, newest content 23 Feb 2025)",
    ]
    for want in expected:
        assert any(line.startswith("warning: " + want) for line in lines), (want, lines)
    assert len(lines) == len(expected), lines
    assert run_cli("check", "--source", str(project), "--strict").returncode == 1
    strict_build = run_cli("build", "--source", str(project), "--strict")
    assert strict_build.returncode == 1 and not (project / "site").exists()
    assert "Traceback" not in strict_build.stderr


def test_stale_and_single_origin_topics_are_marked_on_their_page(tmp_path: Path):
    project = lint_project(tmp_path)
    proc = run_cli("build", "--source", str(project), check=True)
    assert "7 warning(s)" in proc.stdout
    head = page(project / "site", "topics/quiet-front").select_one(".briefing__head").get_text(" ", strip=True)
    assert "No recent updates" in head and "Single origin" in head
    assert "traces back to one originator: Ukrainian Air Force (Facebook)" in head
    fresh = page(project / "site", "topics/drone-strikes").select_one(".briefing__head").get_text(" ", strip=True)
    assert "No recent updates" not in fresh and "Single origin" not in fresh


def test_a_stated_confidence_answers_the_estimative_words(tmp_path: Path):
    project = lint_project(tmp_path)
    edit(project, "content/topics/quiet-front.yaml", "status: developing", "status: developing\nconfidence: moderate")
    edit(project, "content/articles/2025-01-02-quiet-week.md", "sources:", "confidence: low\nsources:")
    out = run_cli("check", "--source", str(project)).stderr
    assert "without a stated confidence" not in out
    run_cli("build", "--source", str(project), check=True)
    assert "Confidence: Moderate" in page(project / "site", "topics/quiet-front").get_text(" ", strip=True)


def test_the_example_content_passes_the_editorial_review(example: Path):
    proc = run_cli("check", "--source", str(example), "--strict")
    assert proc.returncode == 0, proc.stderr


# --- 5. exports -----------------------------------------------------------------------------


def test_briefing_json_validates_against_its_published_schema(built_example: Path):
    schema = json.loads((built_example / "schema/briefing.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    sizes = {}
    for topic in ("drone-strikes", "minerals-deal", "nato-offer"):
        path = built_example / "topics" / topic / "briefing.json"
        data = json.loads(path.read_text())
        errors = sorted(validator.iter_errors(data), key=str)
        assert errors == [], errors[:3]
        sizes[topic] = path.stat().st_size
        assert data["topic"]["slug"] == topic and data["articles"] and data["sources"]
        for group in data["figures"]:
            for report in group["reports"]:  # provenance on every number
                assert report["reported_by"]["name"] and report["article"]["url"].startswith("https://example.org/")
    print("briefing.json sizes:", sizes)
    drones = json.loads((built_example / "topics/drone-strikes/briefing.json").read_text())
    launched = next(g for g in drones["figures"] if g["measure"] == "drones-launched")
    assert launched["reports"][0]["value"] == 267 and launched["reports"][0]["as_of"] == "2025-02-23"
    assert [e["date"] for e in drones["timeline"]] == sorted(e["date"] for e in drones["timeline"])
    bad = dict(drones, figures=[{"measure": "x"}])
    assert list(validator.iter_errors(bad)), "the schema rejects what it does not describe"


def test_timeline_json_is_in_timelinejs_format_and_both_exports_are_linked(built_example: Path):
    data = json.loads((built_example / "topics/nato-offer/timeline.json").read_text())
    assert data["title"]["text"]["headline"] == "Zelensky puts his presidency on the table for NATO membership"
    shown = page(built_example, "topics/nato-offer").select("#timeline .timeline__item")
    assert len(data["events"]) == len(shown) >= 2, "every event on the page's timeline, and only those"
    for event in data["events"]:
        start = event["start_date"]
        assert isinstance(start["year"], int) and 1 <= start["month"] <= 12 and 1 <= start["day"] <= 31
        assert event["text"]["headline"] and "https://example.org/articles/" in event["text"]["text"]
    years = [(e["start_date"]["year"], e["start_date"]["month"], e["start_date"]["day"]) for e in data["events"]]
    assert years == sorted(years)
    links = {a["href"] for a in page(built_example, "topics/nato-offer").find(id="exports").find_all("a")}
    assert {
        "../../topics/nato-offer/briefing.json",
        "../../topics/nato-offer/timeline.json",
        "../../topics/nato-offer/pack/",
        "../../schema/briefing.schema.json",
    } <= links


def test_docs_describe_every_field_of_the_briefing_schema():
    from briefgen.outputs.exports import briefing_schema

    docs = (Path(__file__).resolve().parent.parent / "docs" / "exports.md").read_text()
    schema = briefing_schema("https://example.org/")
    for model in [schema, *schema["$defs"].values()]:
        for name in model["properties"]:
            assert f"| `{name}` |" in docs, name


def test_an_unreadable_history_is_reported_and_a_new_one_starts(example: Path):
    site = build(example)
    (site / "changes/history.json").write_text("{not json", encoding="utf-8")
    proc = run_cli("build", "--source", str(example), check=True)
    assert "warning: site/changes/history.json: the previous build's change history is not readable" in proc.stderr
    assert json.loads((site / "changes/history.json").read_text())["records"] == []


def test_timeline_headlines_are_escaped_for_timelinejs(example: Path):
    edit(example, DRONES, "    text: Overnight from Saturday", "    text: <b>Overnight</b> from Saturday")
    data = json.loads((build(example) / "topics/drone-strikes/timeline.json").read_text())
    assert any(e["text"]["headline"].startswith("&lt;b&gt;Overnight&lt;/b&gt;") for e in data["events"])
