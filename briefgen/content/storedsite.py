"""The stored model's site around its article records (``content.stored``): the schedule, every article
file's path and the problems a whole load reported; what ``reload.reload_site`` rebuilds a site from."""

from __future__ import annotations

from typing import Literal

import msgspec

from briefgen.content.model import Article, Site
from briefgen.content.schedule import Held
from briefgen.content.stored import When, decode_when, encode_article, encode_when
from briefgen.problems import Problem, Problems


class HeldR(msgspec.Struct, array_like=True):
    path: str
    title: str
    slug: str
    reason: str
    when: When


class ProblemR(msgspec.Struct, array_like=True):
    path: str
    line: int | None
    message: str
    hint: str | None
    severity: Literal["error", "warning"]


class SiteR(msgspec.Struct, array_like=True):
    """What a whole load found besides the config, topics and parties (small files, read again): every
    article file's path, the schedule, every problem loading reported, and a record per article shown
    (``site.articles``' order)."""

    paths: list[str]
    now: str
    next_due: When
    drafts: bool
    held: list[HeldR]
    withdrawn: list[HeldR]
    draft_topics: list[str]
    problems: list[ProblemR]
    articles: list[msgspec.Raw]


def held_record(h: Held) -> HeldR:
    return HeldR(h.path, h.title, h.slug, h.reason, encode_when(h.when))


def from_held(r: HeldR) -> Held:
    return Held(r.path, r.title, r.slug, r.reason, decode_when(r.when))


def store_site(site: Site, record: dict, problems: Problems) -> SiteR:
    """The stored form of ``site`` as ``load_site`` returned it (``record``: what it filled in) and of the
    problems loading reported, but its articles' records (``article_record``, made one shard at a time by
    the caller: all of them at once were 55 MB more at the peak of a cold build of 4,000 articles). Raises
    TypeError for what cannot be stored."""
    schedule = site.schedule
    return SiteR(
        list(record["paths"]),
        encode_when(schedule.now),
        encode_when(schedule.next_due),
        schedule.drafts,
        [held_record(h) for h in schedule.held],
        [held_record(h) for h in schedule.withdrawn],
        sorted(schedule.draft_topics),
        [ProblemR(p.path, p.line, p.message, p.hint, p.severity) for p in problems.items],
        [],
    )


def article_record(article: Article, record: dict) -> msgspec.Raw:
    """``article``'s record, from the whole load that filled in ``record`` (``load_site``)."""
    out = record["rendered"][article.path]
    return msgspec.Raw(encode_article(article, out.ids, out.content_links))


def stored_problems(stored: SiteR, leave_out: set[str]) -> list[Problem]:
    """The problems a whole load reported, but those of the files in ``leave_out``."""
    return [Problem(p.path, p.line, p.message, p.hint, p.severity) for p in stored.problems if p.path not in leave_out]
