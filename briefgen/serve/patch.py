"""The last build's linked site, patched for the save of one article, for rendering open pages ahead.

``serve`` keeps the last build's site in memory (``Builder.last``): every
article, topic and party, linked to each other. When the one file saved is an
article that keeps its address, topics and schedule, ``ArticleSwap`` puts the
article as it reads now in the place of the one the last build loaded: in the
site's list, its topics' lists and the lists of every person and source it
names (quotes, figures, claims, reports), each in the order a whole load gives
them (newest report first, a report's own items in the order written). Then
the editorial marks a topic page shows (stale, one-sided) are worked out again
for every topic, as the build's review does.

Nothing else is reloaded or relinked, so the pages that show the article (its
own, its topics' pages and packs, the people's and sources' pages, the home
page and the other indexes) can be assembled and rendered in milliseconds.
``undo`` restores the last build's site exactly; the build that follows
renders from a site loaded from scratch, and its bytes are the ones that stay.
"""

from __future__ import annotations

from collections.abc import Iterator

from briefgen.content.model import Article, Party, Site, Topic
from briefgen.pages.assemble import Page, _site_pages, article_page, index_pages, party_page, topic_pages

HOME = "index.html"


def _newest_first(items: list, article_of) -> None:
    """Sort ``items`` in place as a whole load orders them: by their report, newest first (stable)."""
    items.sort(key=lambda x: (article_of(x).date, article_of(x).slug), reverse=True)


def parties_of(article: Article) -> dict[Party, None]:
    """Everyone ``article`` names: authors, people, sources cited or relayed, speakers, reporters, claimants."""
    named = [*article.authors, *article.people, *(c.source for c in article.citations)]
    for item in (*article.quotes, *article.figures):
        if item.via is not None:
            named.append(item.via)
    named += [q.speaker for q in article.quotes] + [f.by for f in article.figures] + [c.by for c in article.claims]
    return dict.fromkeys(named)


def _party_articles(article: Article) -> dict[Party, None]:
    """The parties whose page lists ``article`` among its reports (as ``content.link.link_site`` links them)."""
    cited = [c.source for c in article.citations] + [x.via for x in article.quotes + article.figures if x.via]
    return dict.fromkeys(article.authors + article.people + cited)


def swappable(old: Article, new: Article) -> bool:
    """Whether ``new`` can take ``old``'s place without another page appearing, going or moving."""
    return (
        new.slug == old.slug
        and new.path == old.path
        and {t.slug for t in new.topics} == {t.slug for t in old.topics}
        and new.preview == old.preview
    )


class ArticleSwap:
    """``new`` in the place of ``old`` in ``site`` (see the module's docstring); ``undo`` puts ``old`` back."""

    LISTS = ("articles", "quotes", "figures", "claims")

    def __init__(self, site: Site, old: Article, new: Article, updated: dict[Topic, object] | None = None):
        """``updated``: each topic's ``Topic.updated`` on ``site`` as the last build left it, if known
        (``last_updated``): the swap works out again only those of the article's topics."""
        self.site, self.old, self.new = site, old, new
        self.parties = list({**parties_of(old), **parties_of(new)})
        self.topics = list(dict.fromkeys([*old.topics, *new.topics]))
        self.updated = updated
        self._saved: list[tuple[object, str, object]] = []  # (object, attribute, value before)

    def _keep(self, obj, name: str) -> None:
        value = getattr(obj, name)
        self._saved.append((obj, name, list(value) if isinstance(value, list) else value))

    def apply(self) -> None:
        site, old, new = self.site, self.old, self.new
        moved = (new.date, new.slug) != (old.date, old.slug)  # else every list keeps its order
        self._keep(site, "articles")
        site.articles = [new if a is old else a for a in site.articles]
        if moved:
            _newest_first(site.articles, lambda a: a)
        for topic in self.topics:
            self._keep(topic, "articles")
            topic.articles = [new if a is old else a for a in topic.articles]
            if moved:
                _newest_first(topic.articles, lambda a: a)
        listed = _party_articles(new)
        for party in self.parties:
            for name in self.LISTS:
                self._keep(party, name)
            party.articles = [a for a in party.articles if a is not old] + ([new] if party in listed else [])
            _newest_first(party.articles, lambda a: a)
            party.quotes = [q for q in party.quotes if q.article is not old] + [
                q for q in new.quotes if q.speaker is party
            ]
            party.figures = [f for f in party.figures if f.article is not old] + [
                f for f in new.figures if f.by is party
            ]
            party.claims = [c for c in party.claims if c.article is not old] + [c for c in new.claims if c.by is party]
            for name in ("quotes", "figures", "claims"):
                _newest_first(getattr(party, name), lambda x: x.article)
        self._pin()
        self._review()

    def _pin(self) -> None:
        """Each topic's "updated" (the newest change of its reports), worked out once for the patched site: the
        home page and the topic index sort by it and show it, dozens of reads that each went over every report
        of the topic. Only the article's topics can have another; ``undo`` unpins them all."""
        known = self.updated or {}
        for topic in self.site.topics.values():
            value = known[topic] if topic in known and topic not in self.topics else topic.updated
            topic.pinned_updated = (value,)

    def _review(self) -> None:
        """The editorial marks of the topics again, as the build's review sets them: one-sided from a topic's
        reports' sources, stale from its newest report and the site's newest content. Only the article's
        topics can change, and their staleness only if the article's last change moved (the site's newest
        content may have moved with it: then every topic's)."""
        from briefgen.briefing.editorial import Review, origins
        from briefgen.problems import Problems

        for topic in self.site.topics.values():
            self._keep(topic, "stale")
            self._keep(topic, "one_sided")
        if self.old.modified != self.new.modified:
            review = Review(self.site, Problems())  # its warnings are the build's to print
            for topic in self.site.topics.values():
                topic.stale = False
                review.staleness(topic)
        for topic in self.topics:
            found = origins(topic)  # as ``Review.sources``: one originator behind every source
            topic.one_sided = next(iter(found.values())) if len(found) == 1 else None

    def undo(self) -> None:
        for obj, name, value in reversed(self._saved):
            setattr(obj, name, value)
        self._saved = []
        for topic in self.site.topics.values():
            topic.__dict__.pop("pinned_updated", None)

    def pages(self, shown: frozenset[str], linkable: frozenset[str] | None = None) -> Iterator[Page]:
        """The pages among ``shown`` (output files) that show the saved article, from the patched site, each
        assembled only once the one before it is rendered (the caller renders as it goes): the article's own page
        first, then the home page (a few latest reports and a card per topic: quick at any size of site), its
        topics' pages (each a whole briefing: the slowest), the people's and sources' pages, the other site-wide
        ones.

        ``linkable``: the site's article and topic url paths, if known (the swap changes none of them).
        """
        site, new = self.site, self.new
        page = article_page(new)
        if page.output in shown:
            yield page
        yield from index_pages(site, shown & {HOME})
        for topic in new.topics:
            if any(o.startswith(topic.url_path) for o in shown):
                linkable = linkable or _site_pages(site)
                yield from (page for page in topic_pages(site, topic, linkable) if page.output in shown)
        for party in self.parties:
            if party.url_path + "index.html" in shown:
                yield party_page(site, party)
        yield from index_pages(site, shown - {HOME})


def last_updated(site: Site) -> dict[Topic, object]:
    """Each topic's ``Topic.updated`` on ``site``: worked out once per build, for every ``ArticleSwap`` of it."""
    return {topic: topic.updated for topic in site.topics.values()}
