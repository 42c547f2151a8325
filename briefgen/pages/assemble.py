"""Assemble: the linked site -> the list of pages to produce.

A ``Page`` (``briefgen.pages.page``) is plain data: where it goes, which
template lays it out, and the objects the template gets. Nothing here knows
about Jinja or the disk.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import operator
from collections.abc import Callable
from typing import Any

from briefgen.briefing.briefing import Briefing, brief, figure_items, group_claims, group_figures
from briefgen.briefing.charts import legend as chart_legend
from briefgen.briefing.charts import trend_svg
from briefgen.content.clock import site_tz
from briefgen.content.model import Article, Party, Site, Topic
from briefgen.pages.pack import PackBodies, PackBodyMemo, pack_links, site_pages
from briefgen.pages.page import Later, LazyContext, Page, Pagination

HISTORY_DEP = "changes/history.json"  # topic pages show the latest recorded change: an input besides content
CHART_HELPERS = {"chart": trend_svg, "chart_legend": chart_legend}


def topic_pages(
    site: Site, topic: Topic, pages: frozenset[str] | None = None, pack_bodies: PackBodyMemo | None = None
) -> list[Page]:
    """A topic's page (paginated) and its pack; ``pages`` are the article and topic url paths of the site;
    ``pack_bodies``: the build database's memo of rewritten pack bodies (None: nothing kept)."""
    tz = site_tz(site)
    if pages is None:
        pages = _site_pages(site)

    @functools.cache  # made once for the topic's pages and pack, and only if one of them reads it
    def briefing() -> Briefing:
        b = brief(topic, tz)
        b.changed = site.changes.latest_for(topic.slug) if site.changes is not None else None
        b.exports = True
        return b

    per = site.config.per_page
    chunks = [topic.articles[i : i + per] for i in range(0, len(topic.articles), per)] or [[]]
    deps = frozenset({topic.path, *(a.path for a in topic.articles), *(r.path for r in topic.related), HISTORY_DEP})
    timelines = functools.cache(lambda: _chunk_timelines(briefing().timeline, chunks))
    as_of = _updated_by(topic) if len(chunks) > 1 else ()
    out = []
    for n, chunk in enumerate(chunks, start=1):
        url = topic.url_path if n == 1 else f"{topic.url_path}page/{n}/"
        prev_url = None if n == 1 else (topic.url_path if n == 2 else f"{topic.url_path}page/{n - 1}/")
        next_url = f"{topic.url_path}page/{n + 1}/" if n < len(chunks) else None
        pagination = Pagination(n, len(chunks), prev_url, next_url) if len(chunks) > 1 else None
        part = Later(briefing) if len(chunks) == 1 else Later(functools.partial(_part, briefing, chunk, n, timelines))
        title = topic.title if n == 1 else f"{topic.title} (page {n} of {len(chunks)})"
        # an archive page shows its own articles only: editing one article re-renders page 1 and its page,
        # not every page of the topic (adding or removing an article shifts the chunks, and so their deps);
        # and the topic's "as of" time (``Topic.updated``), which the newest change of any report gives
        page_deps = deps if n == 1 else frozenset({topic.path, *(a.path for a in chunk), *as_of})
        # "articles": the reports this page lists, newest first (``b.latest``), read without the briefing
        context = {"topic": topic, "b": part, "articles": chunk, "pagination": pagination, **CHART_HELPERS}
        out.append(
            Page("topic", url, "topic.html", title, topic.meta.summary, LazyContext(context), page_deps, topic.path)
        )
    out.append(pack_page(site, topic, briefing, deps, pages, pack_bodies))
    return out


def _part(briefing: Callable[[], Briefing], chunk: list[Article], n: int, timelines: Callable[[], list]) -> Briefing:
    return _briefing_part(briefing(), chunk, n, timelines()[n - 1])


def _updated_by(topic: Topic) -> tuple[str, ...]:
    """The file of the report whose last change is the topic's "as of" time (``Topic.updated``, the first
    of equal ones, as ``max`` picks it), which every page of the topic shows; () for a topic without reports."""
    newest = max(topic.articles, key=_modified, default=None)
    return (newest.path,) if newest is not None else ()


def _modified(article: Article) -> dt.datetime:
    return article.modified


def _chunk_timelines(timeline: list, chunks: list[list[Article]]) -> list[list]:
    """The events of ``timeline`` each chunk's articles have, in the timeline's order: one pass over the
    timeline for the whole topic (filtering it once per archive page was quadratic in the topic's size)."""
    page_of = {id(article): n for n, chunk in enumerate(chunks) for article in chunk}
    out: list[list] = [[] for _ in chunks]
    for event in timeline:
        n = page_of.get(id(event.article))
        if n is not None:
            out[n].append(event)
    return out


def _briefing_part(b: Briefing, chunk: list[Article], n: int, timeline: list) -> Briefing:
    """What page ``n`` of a paginated topic shows of its briefing ``b``: its own articles and their timeline
    (``timeline``: the events of ``b.timeline`` whose article is in ``chunk``, in order)."""
    part = copy.copy(b)  # the same briefing, not recomputed per page (that was quadratic)
    part.latest = chunk
    part.timeline = timeline
    part.changed, part.exports = b.changed, b.exports
    if n > 1:  # archive pages: the articles and their timeline only
        part.figures, part.quotes, part.claims, part.people = [], [], [], []
        part.watch, part.sources, part.related = [], [], []
        part.changed, part.exports, part.archive = None, False, True
    return part


def pack_page(
    site: Site,
    topic: Topic,
    briefing: Callable[[], Briefing],
    deps: frozenset[str],
    pages: frozenset[str],
    pack_bodies: PackBodyMemo | None = None,
) -> Page:
    """The topic's briefing pack: the whole briefing (``briefing()`` makes it) and every report in full,
    oldest first."""
    articles = list(reversed(topic.articles))  # oldest first: the story as it unfolded
    context = {
        "topic": topic,
        "b": Later(briefing),
        "articles": articles,
        "links": Later(functools.partial(pack_links, articles)),  # outside URL -> its footnote number
        # each report's body rewritten for the pack, when (and only if) the pack is rendered
        "bodies": PackBodies(topic.articles, f"{topic.url_path}pack/", pages, site.config.base_url, pack_bodies),
        **CHART_HELPERS,
    }
    title = f"Briefing pack: {topic.title}"
    return Page(
        "pack", f"{topic.url_path}pack/", "pack.html", title, topic.meta.summary, LazyContext(context), deps, topic.path
    )


def _site_pages(site: Site) -> frozenset[str]:
    return site_pages([*(a.url_path for a in site.articles), *(t.url_path for t in site.topics.values())])


def party_page(site: Site, party: Party, rank: dict[Article, int] | None = None) -> Page:
    """A person's or a source's page; ``rank``: ``date_ranks(site)``, when the caller has it."""
    articles = list(party.articles)
    listed = set(map(id, articles))  # membership by identity, as ``in`` tests it (a list was quadratic)
    # the other reports its quotes, figures and claims are in, each once, in the order first met (in C: the
    # site's 280 parties' 40,000 items were a fifth of assembling an edit's pages at 4,000 articles)
    met = dict.fromkeys(map(_article_of, itertools.chain(party.quotes, party.figures, party.claims)))
    articles.extend(a for a in met if id(a) not in listed)
    _by_date(articles, rank)
    description = f"{party.name}, {party.role}" if party.role else party.name
    deps = frozenset(map(_path_of, articles)) | {party.path}
    return Page(
        "party",
        party.url_path,
        "party.html",
        party.name,
        description,
        LazyContext(
            {
                "party": party,
                "quotes_by_topic": Later(functools.partial(_quotes_by_topic, party)),  # made when rendered
                "figures": party.figures,
                "claims": party.claims,
                "articles": articles,
            }
        ),
        deps,
        party.path,
    )


def _quotes_by_topic(party: Party) -> list[tuple[Topic, list]]:
    """Each of ``party``'s quotes once, under its report's first topic."""
    quotes_by_topic: dict[str, tuple[Topic, list]] = {}
    for q in party.quotes:
        if q.article.topics:
            t = q.article.topics[0]
            quotes_by_topic.setdefault(t.slug, (t, []))[1].append(q)
    return list(quotes_by_topic.values())


def date_ranks(site: Site) -> dict[Article, int] | None:
    """Each of the site's articles -> a number that orders them as their dates do, equal for equal dates
    (``site.articles`` is newest first by date: ``link.list_articles``); None when it is not in that order."""
    rank, n, last = {}, len(site.articles), None
    for article in site.articles:
        if last is not None and article.date != last:
            if article.date > last:
                return None
            n -= 1
        rank[article], last = n, article.date
    return rank


def _by_date(articles: list[Article], rank: dict[Article, int] | None) -> None:
    """Sort ``articles`` newest first, as ``sort(key=date, reverse=True)`` does; with ``rank`` by its numbers
    (a sort by time-zoned dates compared 30,000 of them for the site's parties, a tenth of assembling an edit's
    pages at 4,000 articles), unless an article is not in it."""
    if rank is not None and all(map(rank.__contains__, articles)):
        articles.sort(key=rank.__getitem__, reverse=True)
    else:
        articles.sort(key=_date_of, reverse=True)


_article_of = operator.attrgetter("article")
_path_of = operator.attrgetter("path")
_date_of: Callable[[Article], dt.datetime] = operator.attrgetter("date")  # a report's date, in C


def article_page(article: Article) -> Page:
    deps = frozenset({article.path, *(t.path for t in article.topics), *article.image_inputs})
    # the figure table, made only if the page is rendered; half the reports have none
    figures = Later(functools.partial(_figure_table, article)) if article.figures else []
    context = LazyContext({"article": article, "article_figures": figures})
    return Page(
        "article", article.url_path, "article.html", article.title, article.summary, context, deps, article.path
    )


def _figure_table(article: Article) -> list:
    return figure_items(group_figures(article.figures))


def withdrawn_pages(site: Site) -> list[Page]:
    """A note at the address of each withdrawn report (``expires_at``), not a silent 404."""
    if site.schedule is None:
        return []
    taken = {a.slug for a in site.articles}
    out = []
    for held in site.schedule.withdrawn:
        if held.slug in taken:
            continue  # another report has the address now
        taken.add(held.slug)
        out.append(
            Page(
                "withdrawn",
                f"articles/{held.slug}/",
                "withdrawn.html",
                "Report withdrawn",
                "This report has been withdrawn.",
                {"withdrawn": held},
                frozenset({held.path}),
                held.path,
            )
        )
    return out


def corrections_page(site: Site) -> Page:
    """Every correction on the site, newest first."""
    items = sorted(
        ((c, a) for a in site.articles for c in a.corrections), key=lambda ca: (ca[0].date, ca[1].slug), reverse=True
    )
    return Page(
        "corrections",
        "corrections/",
        "corrections.html",
        "Corrections",
        f"Every correction published on {site.config.title}, newest first",
        {"corrections": items},
        frozenset({"*"}),
    )


VERDICTS = (("confirmed", "Confirmed"), ("disputed", "Disputed"), ("unverified", "Unverified"), ("false", "False"))


def ledger(site: Site) -> dict[str, Any]:
    """The claims ledger: each claim once (tagged with its topics), by status with counts; positions apart."""
    claims = [c for a in reversed(site.articles) for c in a.claims]  # oldest report first
    facts = [c for c in claims if not c.is_position]
    statuses = [(key, label, [c for c in facts if c.status == key]) for key, label in VERDICTS]
    return {"statuses": statuses, "positions": group_claims([c for c in claims if c.is_position])}


def assemble(site: Site, pack_bodies: PackBodyMemo | None = None) -> list[Page]:
    """Every page of the site: the site-wide pages, then each topic's, each article's and each party's;
    ``pack_bodies`` (see ``topic_pages``) is passed to each pack."""
    pages = index_pages(site)
    linkable = _site_pages(site)
    for topic in site.topics.values():
        pages.extend(topic_pages(site, topic, linkable, pack_bodies))
    pages.extend(article_page(article) for article in site.articles)
    pages.extend(withdrawn_pages(site))
    rank = date_ranks(site)
    for party in site.parties.values():
        pages.append(party_page(site, party, rank))
    return pages


def index_pages(site: Site, wanted: frozenset[str] | None = None) -> list[Page]:
    """Home, the topic and people indexes, the claims ledger, changes, corrections, search and the 404 page.

    Each depends on every input ("*"). ``wanted`` (output files): only those are assembled (``serve`` renders
    the open ones ahead of a rebuild).
    """
    makers = _index_makers(site)
    return [make() for output, make in makers.items() if wanted is None or output in wanted]


def _index_makers(site: Site) -> dict[str, Callable[[], Page]]:
    """Output file -> what assembles that site-wide page, in the order a build lists them."""

    @functools.cache
    def by_update() -> list[Topic]:
        def key(t: Topic):
            return (t.updated or dt.datetime.min.replace(tzinfo=dt.UTC), t.slug)

        return sorted(site.topics.values(), key=key, reverse=True)

    def home() -> Page:
        latest = site.articles[: site.config.home_latest]
        as_of = site.articles[0].modified if site.articles else None
        context = {"topics": by_update(), "latest": latest, "as_of": as_of}
        return _every("home", "", "home.html", title, site.config.description, context)

    def people() -> Page:
        context = {
            "people": sorted(site.people, key=lambda p: p.name),
            "sources": sorted(site.sources, key=lambda p: p.name),
        }
        return _every("people", "people/", "people.html", "People and sources", PEOPLE_DESCRIPTION, context)

    def changes() -> Page:
        context = {
            "records": list(reversed(site.changes.records)) if site.changes is not None else [],
            "topics": site.topics,
        }
        return _every("changes", "changes/", "changes.html", "What changed", CHANGES_DESCRIPTION, context)

    title = site.config.title
    topics_description = f"Every running story on {title}"
    return {
        "index.html": home,
        "topics/index.html": lambda: _every(
            "topics", "topics/", "topics.html", "All topics", topics_description, {"topics": by_update()}
        ),
        "people/index.html": people,
        "claims/index.html": lambda: _every(
            "claims", "claims/", "claims.html", "Claims ledger", CLAIMS_DESCRIPTION, ledger(site)
        ),
        "changes/index.html": changes,
        "corrections/index.html": lambda: corrections_page(site),
        # every report listed, so the page serves without JavaScript too
        "search/index.html": lambda: _every(
            "search", "search/", "search.html", "Search", f"Search {title}", {"articles": site.articles}
        ),
        "404.html": lambda: _every("notfound", "404.html", "404.html", "Page not found", "", {}),
    }


PEOPLE_DESCRIPTION = "The people, organisations, outlets and originators in these briefings"
CLAIMS_DESCRIPTION = (
    "Every claim of fact across the briefings, once each, by status; and the positions, which get no verdict"
)
CHANGES_DESCRIPTION = "What changed in the briefings from one update to the next: new reports, revised figures, claims"


def _every(kind: str, url_path: str, template: str, title: str, description: str, context: dict[str, Any]) -> Page:
    """A page that depends on every input."""
    return Page(kind, url_path, template, title, description, context, frozenset({"*"}))
