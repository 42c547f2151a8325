"""Where the exports go (``outputs.exports`` makes them): known without importing that module, whose pydantic
models take 20 ms to build, so a rebuild that keeps every export (``kept.Keeper.exports``) never builds them."""

from __future__ import annotations

SCHEMA_PATH = "schema/briefing.schema.json"
BRIEFING_NAME = "briefing.json"
TIMELINE_NAME = "timeline.json"


def topic_paths(topic) -> tuple[str, str]:
    """Where a topic's exports go: its briefing.json and timeline.json."""
    return topic.url_path + BRIEFING_NAME, topic.url_path + TIMELINE_NAME
