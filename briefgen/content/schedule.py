"""What a build leaves out for now: drafts, embargoed reports and withdrawn ones.

A desk writes ``draft: true`` on a report (or a topic) it is not ready to
publish, ``publish_at:`` on one that waits for an embargo, and ``expires_at:``
on one to withdraw. This module decides, before anything is linked, which
reports a build shows: a normal build leaves drafts and reports whose
``publish_at`` has not come out of every output (they are never loaded into
the site, so no page, feed, sitemap, search index, export, change record or
person page can mention them); a preview (``briefgen serve``, ``build
--drafts``) shows them with a banner and ``noindex``. A withdrawn report is
left out everywhere and its address gets a note page saying so.

The clock is the build's "now": ``SOURCE_DATE_EPOCH`` when set, else the
wall clock. ``Schedule.next_due`` is the next moment after now at which the
answer changes (a report goes live or is withdrawn): a build reports it, and
the "nothing changed" shortcut of ``briefgen build`` must not skip a build
once it has passed (``due_since``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from briefgen.content.clock import source_date_epoch


def build_now() -> dt.datetime:
    """The build's present moment: ``SOURCE_DATE_EPOCH`` when set, else the clock (aware, UTC)."""
    return source_date_epoch() or dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class Held:
    """A report (or topic) a build leaves out, or shows only as a preview."""

    path: str
    title: str
    slug: str
    reason: str  # "draft", "scheduled" or "withdrawn"
    when: dt.datetime | None = None  # scheduled: when it goes live; withdrawn: when it was withdrawn


@dataclass
class Schedule:
    now: dt.datetime
    drafts: bool  # a preview: drafts and scheduled reports are shown, with a banner
    # drafts and scheduled reports: left out of a normal build; shown with a banner in a preview
    held: list[Held] = field(default_factory=list)
    withdrawn: list[Held] = field(default_factory=list)  # expired: a note page at the old address
    draft_topics: set[str] = field(default_factory=set)  # topics left out; references to them are skipped
    next_due: dt.datetime | None = None  # the next publish_at or expires_at after now

    @property
    def scheduled(self) -> list[Held]:
        """Scheduled reports, the next one first (held back, or shown with a banner in a preview)."""
        return sorted((h for h in self.held if h.reason == "scheduled"), key=lambda h: (h.when, h.path))

    def key(self) -> str:
        """What this decided, for the incremental fingerprints: a page shown with a banner in a preview
        is not the page a normal build shows, though no input file changed."""
        return repr(
            (
                self.drafts,
                sorted((h.path, h.reason, h.when) for h in self.held + self.withdrawn),
                sorted(self.draft_topics),
            )
        )


def sort_out(
    loaded: Iterable, topics: dict, *, drafts: bool, now: dt.datetime | None = None
) -> tuple[Iterator, Schedule]:
    """Split ``loaded`` (article, meta, doc) into what this build shows; drop draft topics from ``topics``.

    Returns the articles to link, one at a time as ``loaded`` gives them (``load_site`` passes a generator,
    so each article is read, sorted out and linked before the next is read), and the ``Schedule`` saying
    what was left out, complete once every article has been taken. A report whose topics are all drafts is
    held as a draft too.
    """
    schedule = Schedule(now=now or build_now(), drafts=drafts)
    for slug, topic in list(topics.items()):
        if topic.meta.draft:
            if drafts:
                topic.preview = "draft"
            else:
                schedule.draft_topics.add(slug)
                schedule.held.append(Held(topic.path, topic.title, slug, "draft"))
                del topics[slug]
    return _shown(loaded, schedule), schedule


def _shown(loaded: Iterable, schedule: Schedule) -> Iterator:
    """The (article, meta, doc) of ``loaded`` this build shows, noting the others in ``schedule``."""
    drafts = schedule.drafts
    times = []
    for item in loaded:
        article, meta, _doc = item
        times.extend(t for t in (article.publish_at, article.expires_at) if t is not None)
        reason = reason_for(article, meta, schedule)
        if reason == "withdrawn":
            schedule.withdrawn.append(Held(article.path, article.title, article.slug, reason, article.expires_at))
            continue
        if reason and not drafts:
            when = article.publish_at if reason == "scheduled" else None
            schedule.held.append(Held(article.path, article.title, article.slug, reason, when))
            continue
        article.preview = reason
        if reason == "scheduled":
            schedule.held.append(Held(article.path, article.title, article.slug, reason, article.publish_at))
        yield item
    schedule.next_due = min((t for t in times if t > schedule.now), default=None)


def reason_for(article, meta, schedule: Schedule) -> str:
    """Why ``article`` is not simply published: "withdrawn", "draft", "scheduled", or "" (it is)."""
    if article.expires_at is not None and article.expires_at <= schedule.now:
        return "withdrawn"
    if article.draft or (meta.topics and all(slug in schedule.draft_topics for slug in meta.topics)):
        return "draft"
    if article.publish_at is not None and article.publish_at > schedule.now:
        return "scheduled"
    return ""


def due_since(summary: dict, now: dt.datetime | None = None) -> bool:
    """Whether the next schedule boundary a build recorded (``summary["next_due"]``) has passed.

    ``briefgen build``'s "nothing changed" shortcut asks this: no input changed, yet a report is due to go
    live or be withdrawn, so the site must be built again.
    """
    due = summary.get("next_due")
    if not due:
        return False
    try:
        moment = dt.datetime.fromisoformat(due)
    except (TypeError, ValueError):
        return True  # any doubt: build
    return (now or build_now()) >= moment


def describe(schedule: Schedule, tz: dt.tzinfo | None, zone_name: str) -> list[str]:
    """Lines for the build's summary: what is scheduled and when the next report is due."""
    lines = []
    waiting = [h for h in schedule.scheduled if h.when is not None]
    if waiting:
        n = len(waiting)
        first = waiting[0]
        lines.append(
            f"{n} report{'s' if n != 1 else ''} scheduled: {first.title!r} ({first.path}) "
            f"goes live at {local_time(first.when, tz, zone_name)}"
            + (f"; {n - 1} more after it" if n > 1 else "")
            + ". Build again then."
        )
    drafts = [h for h in schedule.held if h.reason == "draft"]
    if drafts and not schedule.drafts:
        lines.append(f"{len(drafts)} draft(s) left out (briefgen build --drafts or briefgen serve shows them).")
    return lines


def next_due_text(site) -> str | None:
    """When the site's schedule next changes what is shown (ISO 8601), for the build state; None: never."""
    due = getattr(getattr(site, "schedule", None), "next_due", None)
    return due.isoformat() if due is not None else None


def site_lines(site) -> list[str]:
    """``describe`` for a loaded site, in its own time zone."""
    from zoneinfo import ZoneInfo

    if site.schedule is None:
        return []
    zone = site.config.timezone
    return describe(site.schedule, ZoneInfo(zone) if zone else None, zone or "UTC")


def local_time(when: dt.datetime, tz: dt.tzinfo | None, zone_name: str) -> str:
    """``24 Feb 2025 06:00 Kyiv time``: in the site's zone when it has one, else UTC."""
    if tz is None:
        return when.astimezone(dt.UTC).strftime("%-d %b %Y %H:%M UTC")
    place = zone_name.rsplit("/", 1)[-1].replace("_", " ")
    return f"{when.astimezone(tz).strftime('%-d %b %Y %H:%M')} {place} time"
