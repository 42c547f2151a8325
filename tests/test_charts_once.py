"""A figure group's chart and series are worked out once: the topic page and its pack show the same ones."""

from __future__ import annotations

import datetime as dt

from briefgen.briefing import charts
from briefgen.briefing.briefing import group_figures
from briefgen.content.model import Article, Figure, Party


def _figures() -> list[Figure]:
    at = dt.datetime(2025, 2, 23, tzinfo=dt.UTC)
    article = Article("here", "content/articles/here.md", "here.md", "Here", at, None, "", "", "", "", 1)
    force = Party("air-force", "Air force", "organisation")
    days = [dt.date(2025, 2, d) for d in (20, 21, 23)]
    return [
        Figure(f"drones-{d.day}", "Drones launched", 100 + d.day, "drones", d, force, "drones", "", None, article)
        for d in days
    ]


def test_trend_chart_is_drawn_once_per_group(monkeypatch):
    (group,) = group_figures(_figures())
    drawn = []
    original = charts._draw
    monkeypatch.setattr(charts, "_draw", lambda g: drawn.append(g) or original(g))
    first = charts.trend_svg(group)  # the topic page
    again = charts.trend_svg(group)  # its pack
    assert first.startswith("<svg") and "Drones launched" in first
    assert again is first and drawn == [group], "the pack reuses the topic page's chart"
    (fresh,) = group_figures(_figures())  # the next build's group: drawn anew, the same bytes
    assert charts.trend_svg(fresh) == first and drawn == [group, fresh]


def test_series_and_current_are_kept_with_the_group():
    (group,) = group_figures(_figures())
    assert group.series is group.series and group.current is group.current
    assert group.trend and [f.value for f in group.series[0][1]] == [120, 121, 123], "oldest first"
    assert [f.value for f in group.current] == [123], "the reporter's latest"
    assert "drawn" not in repr(group), "the memo is not part of what a group shows"
