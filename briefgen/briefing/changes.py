"""What changed: each build compares the content with the last built state and records the difference.

A reader who looked yesterday wants to know what is new today: a new report,
a number revised from 267 to 270, a claim now confirmed, a topic concluded.
So every build takes a *snapshot* of what each topic asserts (its articles,
each reporter's current figure per measure, each party's claim per question,
its status and bottom line), compares it with the snapshot of the previous
build, and appends a *record* of the differences to the site's history.

Where the history lives: inside the output, at ``changes/history.json``. It
is read from the previous output before the build writes anything, so it
travels with the site (``briefgen publish`` copies or commits it like any
other file, and readers and tools can fetch it), needs no second folder
beside the site, and is as safe as the site itself: a failed build leaves the
previous output, history included, as it was. Deleting the output starts a
new history. See docs/changes.md for the reasons and the format.

Rules that keep builds reproducible and quiet:

- the first build (no history in the output) records nothing: it is the baseline;
- a build whose snapshot equals the previous one records nothing;
- a record is dated by ``briefgen.content.clock.content_now`` (the newest content
  date, or ``SOURCE_DATE_EPOCH``), never by the wall clock;
- ``record=False`` (``briefgen serve``, which rebuilds on every save) keeps
  the previous history as it was, so a preview never records a change per
  keystroke; the next real build records everything edited meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from briefgen.briefing.briefing import group_figures
from briefgen.content.clock import content_now, site_tz
from briefgen.content.model import Site, Topic
from briefgen.jsontext import file_bytes
from briefgen.problems import Problems

HISTORY_PATH = "changes/history.json"
FORMAT = 1
MAX_RECORDS = 500  # oldest records are dropped beyond this; the feeds show the newest 50 anyway


# --- snapshot ------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def topic_state(topic: Topic, tz: dt.tzinfo | None = None) -> dict[str, Any]:
    """What one topic asserts, as plain JSON data keyed for comparison."""
    figures = {}
    for group in group_figures([f for a in reversed(topic.articles) for f in a.figures], tz):
        for f in group.current:
            figures[f"{group.measure}|{f.by.id}"] = {
                "label": group.label,
                "by": f.by.name,
                "value": f.value,
                "unit": f.unit,
                "as_of": _iso(f.as_of),
                "article": f.article.url_path,
            }
    claims = {}
    for article in reversed(topic.articles):  # oldest first: a later claim by the same party replaces it
        for c in article.claims:
            claims[f"{_norm(c.question)}|{c.by.id}"] = {
                "question": c.question,
                "by": c.by.name,
                "status": c.status,
                "text": c.text,
                "article": article.url_path,
            }
    corrections = {
        f"{a.url_path}|{c.date.isoformat()}": {"title": a.title, "text": c.text, "article": a.url_path}
        for a in topic.articles
        for c in a.corrections
    }
    return {
        "corrections": dict(sorted(corrections.items())),
        "title": topic.title,
        "url": topic.url_path,
        "status": topic.meta.status,
        "summary": topic.meta.summary,
        "articles": {a.url_path: a.title for a in topic.articles},
        "figures": dict(sorted(figures.items())),
        "claims": dict(sorted(claims.items())),
    }


def snapshot(site: Site, tz: dt.tzinfo | None = None, states=None, before: dict | None = None) -> dict[str, Any]:
    """The site's state; each topic's from ``before`` (the last history's) if ``engine.topicstates`` carries it."""
    now = content_now(site)
    topics = {}
    for slug in sorted(site.topics):
        topic = site.topics[slug]
        state = states.state(topic, before.get(slug)) if states is not None and before else None
        if state is None:
            state = topic_state(topic, tz)
            if states is not None:
                states.worked_out(topic, state)
        topics[slug] = state
    return {"date": _iso(now), "topics": topics}


# --- comparing two snapshots -----------------------------------------------------


def _num(value: Any, unit: str = "") -> str:
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,}"
    else:
        text = f"{int(value):,}"
    return f"{text} {unit}".rstrip() if unit and unit not in ("%", "‰", "°C", "°") else text + (unit or "")


def _item(kind: str, change: str, label: str, text: str, url: str | None = None, **extra: Any) -> dict[str, Any]:
    """One change: ``label`` names it ("New figure"), ``text`` says what, ``url`` (site-relative) shows it."""
    return {"kind": kind, "change": change, "label": label, "text": text, "url": url, **extra}


def _day(iso: str | None) -> str:
    parsed = _parse(iso) if iso else None
    if parsed is None and iso:
        try:
            parsed = dt.date.fromisoformat(iso)
        except ValueError:
            return ""
    return f"{parsed.day} {parsed:%b %Y}" if parsed else ""


def _figure_change(before: dict[str, Any], f: dict[str, Any]) -> str:
    old, new = _num(before["value"], before["unit"]), _num(f["value"], f["unit"])
    if before.get("as_of") != f.get("as_of") and before.get("as_of") and f.get("as_of"):
        old, new = f"{old} ({_day(before['as_of'])})", f"{new} ({_day(f['as_of'])})"
    elif f.get("as_of"):
        new = f"{new}, as of {_day(f['as_of'])}"
    return f"{f['label']}, per {f['by']}: {old} \u2192 {new}"


def topic_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """The differences between two states of one topic, in reading order."""
    if old is None:
        return [_item("topic", "new", "New topic", new["title"], new["url"])]
    items: list[dict[str, Any]] = []
    if old["status"] != new["status"]:
        text = f"{old['status']} \u2192 {new['status']}"
        items.append(_item("status", "changed", "Status", text, None, old=old["status"], new=new["status"]))
    if _norm(old["summary"]) != _norm(new["summary"]):
        items.append(
            _item(
                "summary",
                "revised",
                "Bottom line",
                "The bottom line was revised",
                new["url"] + "#bottom-line",
                old=old["summary"],
                new=new["summary"],
            )
        )
    for url, title in new["articles"].items():
        if url not in old["articles"]:
            items.append(_item("article", "new", "New report", title, url))
    for url, title in old["articles"].items():
        if url not in new["articles"]:
            items.append(_item("article", "removed", "Report withdrawn", title))
    if "corrections" in old:  # a history written before corrections existed: do not report them all as new
        for key, c in new.get("corrections", {}).items():
            if key not in old["corrections"]:
                url = c["article"] + "#corrections"
                items.append(_item("correction", "new", "Correction", f"{c['title']}: {c['text']}", url))
    items.extend(_figure_changes(old["figures"], new["figures"]))
    items.extend(_claim_changes(old["claims"], new["claims"]))
    return items


def _figure_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """New figures, and figures whose value changed, by figure key."""
    items: list[dict[str, Any]] = []
    for key, f in new.items():
        before = old.get(key)
        if before is None:
            text = f"{f['label']}, per {f['by']}: {_num(f['value'], f['unit'])}"
            if f.get("as_of"):
                text += f", as of {_day(f['as_of'])}"
            items.append(_item("figure", "new", "New figure", text, f["article"], new=f["value"], unit=f["unit"]))
        elif before["value"] != f["value"]:
            items.append(
                _item(
                    "figure",
                    "changed",
                    "Figure changed",
                    _figure_change(before, f),
                    f["article"],
                    old=before["value"],
                    new=f["value"],
                    unit=f["unit"],
                )
            )
    return items


def _claim_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """New claims, claims with a new status, and claims reworded, by claim key."""
    items: list[dict[str, Any]] = []
    for key, c in new.items():
        before = old.get(key)
        where = f"{c['by']} on \u201c{c['question']}\u201d"
        if before is None:
            items.append(_item("claim", "new", "New claim", f"{where}: {c['status']}", c["article"], new=c["status"]))
        elif before["status"] != c["status"]:
            text = f"{where}: {before['status']} \u2192 {c['status']}"
            items.append(
                _item("claim", "status", "Claim status", text, c["article"], old=before["status"], new=c["status"])
            )
        elif _norm(before["text"]) != _norm(c["text"]):
            items.append(_item("claim", "revised", "Claim revised", where, c["article"]))
    return items


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """slug -> {title, url, items} for every topic that changed between two snapshots."""
    out = {}
    for slug, state in new["topics"].items():
        before = old["topics"].get(slug)
        if before is state or before == state:  # carried over, or as it was: no change to look for
            continue
        items = topic_changes(before, state)
        if items:
            out[slug] = {"title": state["title"], "url": state["url"], "items": items}
    for slug, state in old["topics"].items():
        if slug not in new["topics"]:
            removed = _item("topic", "removed", "Topic removed", state["title"])
            out[slug] = {"title": state["title"], "url": None, "items": [removed]}
    return dict(sorted(out.items()))


# --- the history -------------------------------------------------------------------


@dataclass
class Record:
    """One build's changes: when (``date``), compared with what (``since``), and per topic what."""

    n: int
    date: dt.datetime | None
    since: dt.datetime | None
    topics: dict[str, dict[str, Any]]

    @property
    def anchor(self) -> str:
        return f"change-{self.n}"

    def as_json(self) -> dict[str, Any]:
        return {"n": self.n, "date": _iso(self.date), "since": _iso(self.since), "topics": self.topics}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(int(data["n"]), _parse(data.get("date")), _parse(data.get("since")), dict(data["topics"]))


@dataclass
class History:
    state: dict[str, Any]
    records: list[Record] = field(default_factory=list)  # oldest first
    # The bytes it was read from (to_bytes returns them when this process wrote them, see read_history; kept.Keeper)
    read_from: bytes | None = field(default=None, repr=False, compare=False)

    def for_topic(self, slug: str) -> list[tuple[Record, dict[str, Any]]]:
        """(record, that topic's changes) for every record that touched it, newest first."""
        return [(r, r.topics[slug]) for r in reversed(self.records) if slug in r.topics]

    def latest_for(self, slug: str) -> tuple[Record, dict[str, Any]] | None:
        found = self.for_topic(slug)
        return found[0] if found else None

    def to_bytes(self) -> bytes:
        if self.read_from is not None and self.read_from in _written:
            return self.read_from
        doc = {
            "format": FORMAT,
            "generator": "briefgen",
            "state": self.state,
            "records": [r.as_json() for r in self.records],
        }
        data = file_bytes(doc)
        _written[data] = None
        while len(_written) > 2:
            del _written[next(iter(_written))]
        return data


# The last history files this process wrote. Read back unchanged (a serve rebuild, or a build whose content
# did not change), the history they describe would encode to the same bytes again: a History read from
# one of them keeps its bytes, and writing the file costs nothing (encoding it was the slow part).
_written: dict[bytes, None] = {}


def _parse(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def read_history(data: bytes) -> History | None:
    """A history from its bytes; None when they are not one (then the build starts a new history)."""
    try:
        try:
            doc = msgspec.json.decode(data)  # the same values as ``json.loads``, twice as fast
        except msgspec.DecodeError:  # what only ``json.loads`` reads (NaN, UTF-16), or nothing: as ever
            doc = json.loads(data)
        if doc.get("format") != FORMAT or not isinstance(doc.get("state", {}).get("topics"), dict):
            return None
        history = History(doc["state"], [Record.from_json(r) for r in doc.get("records", [])])
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
        return None
    history.read_from = data
    return history


def previous_history(output: Path, problems: Problems, shown_as: str) -> History | None:
    path = output / HISTORY_PATH
    try:
        data = path.read_bytes()
    except OSError:
        return None
    history = read_history(data)
    if history is None:
        problems.warn(
            f"{shown_as}/{HISTORY_PATH}",
            None,
            "the previous build's change history is not readable; a new history starts with this build",
            "it is written by briefgen; restore it from the published site to keep the record",
        )
    return history


def update(previous: History | None, site: Site, tz: dt.tzinfo | None = None, record=True, states=None) -> History:
    """The history after this build: the previous one, plus a record when the content changed."""
    if not record:  # serve, build --drafts: shows the recorded changes, records none (and needs no snapshot)
        # with no history yet, not even a baseline: a preview's drafts must not become part of it
        return previous if previous is not None else History({}, [])
    current = snapshot(site, tz, states, previous.state.get("topics") if previous is not None else None)
    if previous is None or not previous.state:  # none yet, or a preview's empty one
        return History(current, previous.records if previous is not None else [])
    changed = compare(previous.state, current)
    if not changed:
        if previous.state == current:
            return previous
        return History(current, previous.records)  # e.g. only the date moved: nothing a reader needs
    n = previous.records[-1].n + 1 if previous.records else 1
    entry = Record(n, _parse(current["date"]), _parse(previous.state.get("date")), changed)
    return History(current, [*previous.records, entry][-MAX_RECORDS:])


def live_urls(site: Site) -> frozenset[str]:
    """The pages a recorded change may link to now: the site's articles and topics as they are."""
    return frozenset([*(a.url_path for a in site.articles), *(t.url_path for t in site.topics.values())])


def still_there(url: str | None, live: frozenset[str]) -> bool:
    """Whether a recorded change's ``url`` (site-relative, maybe with a #fragment) still has its page.

    The history keeps what a change linked to when it was recorded; a report deleted or given a new
    slug since is shown as text, not as a link to a page that is gone (which the link check refuses).
    """
    return bool(url) and url.partition("#")[0] in live


def dead_links(site: Site) -> list[str]:
    """The URLs recorded in the history whose pages are gone: pages showing changes depend on this too."""
    history = site.changes
    if history is None:
        return []
    live = live_urls(site)
    urls = {tc.get("url") for r in history.records for tc in r.topics.values()}
    urls |= {it.get("url") for r in history.records for tc in r.topics.values() for it in tc.get("items", [])}
    return sorted(u for u in urls if u and not still_there(u, live))


def attach(site: Site, output: Path, problems: Problems, shown_as: str, *, record: bool = True, states=None) -> History:
    """Read the previous output's history, update it with this build's content and keep it on ``site``."""
    history = update(previous_history(output, problems, shown_as), site, site_tz(site), record, states)
    site.changes = history
    return history
