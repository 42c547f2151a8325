"""The "what changed" feeds: one per topic and one for the whole site, from the change history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from briefgen.briefing.changes import HISTORY_PATH, History, Record
from briefgen.content.model import Site
from briefgen.outputs.feeds import MAX_ENTRIES, new_feed

CHANGES_URL = "changes/"
SITE_FEED = "changes/feed.xml"
TOPIC_FEED_NAME = "changes.xml"


def _items_html(topic_changes: dict[str, Any], renderer) -> str:
    from markupsafe import escape

    rows = []
    for item in topic_changes["items"]:
        text = escape(item["text"])
        if renderer.live(item.get("url")):
            text = f'<a href="{escape(renderer.absolute(item["url"]))}">{text}</a>'
        rows.append(f"<li><strong>{escape(item['label'])}:</strong> {text}</li>")
    return "<ul>" + "".join(rows) + "</ul>"


def _entry_title(record: Record, topic_changes: dict[str, Any]) -> str:
    since = f"{record.since.day} {record.since:%b %Y}" if record.since else "the previous update"
    n = len(topic_changes["items"])
    return f"{topic_changes['title']}: {n} change{'' if n == 1 else 's'} since {since}"


def _feed(site: Site, renderer, url_path: str, feed_path: str, title: str, subtitle: str, entries) -> bytes:
    from feedgenerator import get_tag_uri

    feed = new_feed(site, renderer, url_path, feed_path, title, subtitle, renderer.absolute(feed_path))
    fallback = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for record, slug, tc in entries[:MAX_ENTRIES]:
        link = renderer.absolute(CHANGES_URL) + "#" + record.anchor
        feed.add_item(
            title=_entry_title(record, tc),
            link=link,
            description=_items_html(tc, renderer),
            pubdate=record.date or fallback,
            updateddate=record.date or fallback,
            unique_id=get_tag_uri(f"{link}-{slug}", record.date or fallback),
            categories=[tc["title"]],
        )
    return feed.writeString("utf-8").encode("utf-8")


def change_feeds(site: Site, renderer, with_history: bool = True) -> dict[str, bytes]:
    """The history file (unless not ``with_history``: ``kept.Keeper.changes``), a changes feed per topic and
    one for the whole site."""
    history: History | None = site.changes
    if history is None:
        return {}
    config = site.config
    out = {HISTORY_PATH: history.to_bytes()} if with_history else {}
    every = [(r, slug, tc) for r in reversed(history.records) for slug, tc in r.topics.items()]
    out[SITE_FEED] = _feed(
        site,
        renderer,
        CHANGES_URL,
        SITE_FEED,
        f"What changed · {config.title}",
        "New reports, revised figures and claims across the briefings",
        every,
    )
    for slug, topic in site.topics.items():
        entries = [(r, slug, tc) for r, tc in history.for_topic(slug)]
        out[topic.url_path + TOPIC_FEED_NAME] = _feed(
            site,
            renderer,
            topic.url_path,
            topic.url_path + TOPIC_FEED_NAME,
            f"{topic.title}: what changed · {config.title}",
            f"What changed in the briefing on {topic.title}",
            entries,
        )
    return out
