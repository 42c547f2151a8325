"""``briefgen new``: a new report, a new topic, or a blank project, each passing ``briefgen check`` as written.

A new report and a new topic start as drafts (``draft: true``): ``briefgen
serve`` shows them, a normal build leaves them out until the desk removes the
line, so a half-written skeleton is never published by accident.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from slugify import slugify

from briefgen.content.schedule import build_now
from briefgen.project import CONFIG_NAME, Project


class ScaffoldError(Exception):
    """What the user must change; the message is complete (with its hint)."""


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _site_zone(project: Project) -> tuple[dt.tzinfo, str]:
    try:
        config = yaml.safe_load(project.config_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ScaffoldError(f"{CONFIG_NAME}: cannot read it ({exc}); run this inside a briefgen project") from None
    name = config.get("timezone") if isinstance(config, dict) else None
    if not name:
        return dt.UTC, "UTC"
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        raise ScaffoldError(
            f"{CONFIG_NAME}: unknown time zone {name!r} (use an IANA name such as Europe/Kyiv)"
        ) from None


def _when(date: str | None, tz: dt.tzinfo) -> dt.datetime:
    """``--date`` (a day, or a day and time) in the site's zone, or now; minutes, no seconds."""
    if not date:
        return build_now().astimezone(tz).replace(second=0, microsecond=0)
    try:
        value = dt.datetime.fromisoformat(date)
    except ValueError:
        raise ScaffoldError(f"--date {date!r} is not a date (write 2025-02-24 or 2025-02-24T06:00)") from None
    return (value if value.tzinfo else value.replace(tzinfo=tz)).replace(microsecond=0)


def _topics(project: Project) -> list[str]:
    folder = project.content_dir / "topics"
    return sorted(p.stem for p in folder.glob("*.y*ml")) if folder.is_dir() else []


def new_article(project: Project, title: str, topic: str | None, date: str | None) -> Path:
    tz, _name = _site_zone(project)
    title = " ".join(title.split())
    if not title:
        raise ScaffoldError('the title is empty (briefgen new article "What happened")')
    known = _topics(project)
    if topic is None:
        if len(known) != 1:
            choice = ", ".join(known) if known else "none yet: create one with 'briefgen new topic SLUG'"
            raise ScaffoldError(f"which topic? pass --topic SLUG (topics: {choice})")
        topic = known[0]
    elif topic not in known:
        raise ScaffoldError(
            f"no topic {topic!r} (topics: {', '.join(known) or 'none'}); create it with 'briefgen new topic {topic}'"
        )
    when = _when(date, tz)
    slug = slugify(title.replace("'", "").replace("\u2019", "")) or "report"  # Kyiv's -> kyivs, not kyiv-s
    path = project.content_dir / "articles" / f"{when:%Y-%m-%d}-{slug}.md"
    if path.exists():
        raise ScaffoldError(f"{project.rel(path)} already exists (choose another title or --date)")
    text = (
        "---\n"
        f"title: {_quoted(title)}\n"
        f"date: {when.isoformat()}\n"
        f"topics: [{topic}]\n"
        "summary: One sentence on what happened and why it matters (write your own).\n"
        "draft: true  # remove this line to publish\n"
        'dateline: ""\n'
        "sources: []  # - source: an id from content/sources.yaml\n"
        "---\n"
        "Write the report here, in your own words.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_new(path, text)
    return path


def new_topic(project: Project, slug: str, title: str | None) -> Path:
    if slugify(slug) != slug:
        raise ScaffoldError(f"{slug!r} is not a valid topic id (try {slugify(slug) or 'drone-strikes'})")
    path = project.content_dir / "topics" / f"{slug}.yaml"
    if path.exists() or (project.content_dir / "topics" / f"{slug}.yml").exists():
        raise ScaffoldError(f"{project.rel(path)} already exists")
    title = title or slug.replace("-", " ").capitalize()
    text = (
        f"title: {_quoted(title)}\n"
        "summary: The bottom line in one to three sentences (write your own).\n"
        "status: developing\n"
        "draft: true  # remove this line to publish\n"
        'why_it_matters: ""\n'
        "watch: []\n"
        "related: []\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_new(path, text)
    return path


def _write_new(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8") as f:  # never over a file written meanwhile
        f.write(text)


BLANK_CONFIG = """title: My briefing
description: ""
base_url: https://example.org/
language: en
timezone: UTC  # an IANA name such as Europe/Kyiv: dates without a zone take it
publisher: ""
"""


def blank_project(target: Path) -> None:
    """A project with no content: the config, empty people and sources, folders for topics and articles."""
    if target.exists() and any(target.iterdir()):
        raise FileExistsError("folder is not empty")
    (target / "content" / "topics").mkdir(parents=True)
    (target / "content" / "articles").mkdir()
    (target / "templates").mkdir()
    (target / CONFIG_NAME).write_text(BLANK_CONFIG, encoding="utf-8")
    (target / "content" / "people.yaml").write_text(
        "# People and organisations, keyed by id, e.g.\n# zelensky:\n#   name: Volodymyr Zelensky\n", encoding="utf-8"
    )
    (target / "content" / "sources.yaml").write_text(
        "# Outlets and originators, keyed by id, e.g.\n# afp:\n#   name: AFP\n#   kind: outlet\n", encoding="utf-8"
    )
    (target / ".gitignore").write_text("/site/\n/.site.spare/\n.briefgen-cache/\n.venv/\n", encoding="utf-8")
