"""The second half of loading: resolve every reference between files.

Articles name topics, people and sources by id; figures, quotes and claims
name who reported or said them. Here those ids become objects, each unknown id
becomes a problem at the line that wrote it; then Markdown bodies are rendered
(``briefgen.content.bodies``: they can link to other articles, so all slugs must
be known first).
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from briefgen.content import schema
from briefgen.content.bodies import ContentTargets, render_bodies  # noqa: F401 (ContentTargets: serve.early)
from briefgen.content.model import Article, Citation, Claim, Event, Figure, Quote, Site
from briefgen.content.yamlsource import YamlDoc
from briefgen.problems import Problems

if TYPE_CHECKING:
    from briefgen.content.load import Loader


def _suggest(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


class Linker:
    def __init__(self, site: Site, loader: Loader, problems: Problems):
        self.site = site
        self.loader = loader
        self.problems = problems
        self.slugs: dict[str, str] = {}  # slug -> the article that has it
        self.outputs: dict[str, str] = {}  # slug folded to lower case -> the article that writes that page
        self.figure_ids: dict[str, tuple[str, int]] = {}  # figure id -> (article, line) that first used it

    def party(self, key: str | None, rel: str, doc: YamlDoc, loc: tuple, what: str, sources_only: bool = False):
        if key is None:
            return None
        party = self.site.parties.get(key)
        if party is None and getattr(self.loader, "parties_failed", False):
            return None  # people.yaml or sources.yaml did not load: its own error is the one to fix
        if party is None or (sources_only and not party.is_source):
            known = [k for k, p in self.site.parties.items() if p.is_source or not sources_only]
            where = "content/sources.yaml" if sources_only else "content/people.yaml or content/sources.yaml"
            if party is not None:
                message = f"{what} {key!r} is in people.yaml, but a source (outlet or originator) is needed here"
            else:
                message = f"unknown {what} {key!r}"
            self.problems.error(rel, doc.line(loc), message, _suggest(key, known) or f"add it to {where}")
            return None
        return party

    def when(self, value, rel: str, doc: YamlDoc, loc: tuple):
        """Keep dates as dates; make datetimes aware (site zone) so they compare safely."""
        if isinstance(value, dt.datetime):
            return self.loader.aware_at(value, rel, doc, loc)
        return value

    def article(self, article: Article, meta: schema.ArticleIn, doc: YamlDoc) -> None:
        """Link one article's front matter: topics, people, image, bylines, sources, quotes, figures, events, claims."""
        article.lines = {key: doc.line((key,)) for key in ("title", "summary", "confidence", "sources")}
        self.article_topics(article, meta, doc)
        rel = article.path
        for i, key in enumerate(meta.people):
            party = self.party(key, rel, doc, ("people", i), "person")
            if party and party not in article.people:
                article.people.append(party)
        if meta.image is not None:
            self.lead_image(article, meta, doc)
        for i, key in enumerate(meta.authors):
            party = self.party(key, rel, doc, ("authors", i), "author")
            if party and party not in article.authors:
                article.authors.append(party)
        for i, c in enumerate(meta.sources):
            source = self.party(c.source, rel, doc, ("sources", i, "source"), "source", sources_only=True)
            if source:
                article.citations.append(Citation(source=source, url=c.url, note=c.note))
        self.quotes(article, meta, doc)
        self.figures(article, meta, doc)
        for i, e in enumerate(meta.events):
            when = self.when(e.date, rel, doc, ("events", i, "date"))
            if when is not None:
                article.events.append(Event(when, e.text, article, inferred=e.inferred))
        self.claims(article, meta, doc)

    def article_topics(self, article: Article, meta: schema.ArticleIn, doc: YamlDoc) -> None:
        left_out = self.site.schedule.draft_topics if self.site.schedule is not None else set()
        for i, slug in enumerate(meta.topics):
            topic = self.site.topics.get(slug)
            if topic is None and (slug in left_out or slug in getattr(self.loader, "topics_failed", ())):
                continue  # a draft topic (left out), or one whose file did not load (its own error says why)
            if topic is None:
                self.problems.error(
                    article.path,
                    doc.line(("topics", i)),
                    f"unknown topic {slug!r}",
                    _suggest(slug, self.site.topics) or f"create content/topics/{slug}.yaml",
                )
            elif topic not in article.topics:
                article.topics.append(topic)

    def quotes(self, article: Article, meta: schema.ArticleIn, doc: YamlDoc) -> None:
        rel = article.path
        for i, q in enumerate(meta.quotes):
            speaker = self.party(q.speaker, rel, doc, ("quotes", i, "speaker"), "speaker")
            via = self.party(q.via, rel, doc, ("quotes", i, "via"), "source", sources_only=True)
            said = self.when(q.said, rel, doc, ("quotes", i, "said"))
            if speaker:
                line = doc.line(("quotes", i))
                article.quotes.append(
                    Quote(speaker, q.text, said, q.where, via, article, line, key=q.key, undated=q.undated)
                )

    def figures(self, article: Article, meta: schema.ArticleIn, doc: YamlDoc) -> None:
        rel = article.path
        for i, f in enumerate(meta.figures):
            by = self.party(f.by, rel, doc, ("figures", i, "by"), "reporter")
            via = self.party(f.via, rel, doc, ("figures", i, "via"), "source", sources_only=True)
            as_of = self.when(f.as_of, rel, doc, ("figures", i, "as_of"))
            if by:
                article.figures.append(
                    Figure(
                        f.id,
                        f.label,
                        f.value,
                        f.unit,
                        as_of,
                        by,
                        f.measure or f.id,
                        f.note,
                        via,
                        article,
                        doc.line(("figures", i)),
                        part_of=f.part_of,
                        derived=f.derived,
                        one_sided=f.one_sided,
                    )
                )

    def claims(self, article: Article, meta: schema.ArticleIn, doc: YamlDoc) -> None:
        rel = article.path
        for i, c in enumerate(meta.claims):
            by = self.party(c.by, rel, doc, ("claims", i, "by"), "claimant")
            date = self.when(c.date, rel, doc, ("claims", i, "date"))
            self.claim_kind(c, rel, doc, ("claims", i))
            if by:
                status = None if c.kind == "position" else (c.status or "unverified")
                article.claims.append(
                    Claim(
                        c.question,
                        by,
                        c.text,
                        status,
                        date,
                        c.evidence,
                        article,
                        doc.line(("claims", i)),
                        kind=c.kind,
                        assessment=c.assessment,
                        settle=c.settle,
                    )
                )

    def claim_kind(self, c: schema.ClaimIn, rel: str, doc: YamlDoc, loc: tuple) -> None:
        """A position (a demand or an opinion) never gets a verdict or a desk assessment."""
        if c.kind != "position":
            return
        for key in ("status", "assessment", "settle"):
            if getattr(c, key):
                self.problems.error(
                    rel,
                    doc.line(loc + (key,)),
                    f"a position gets no {key!r}: it is what someone wants or thinks, not a claim of fact",
                    f"remove {key!r}, or make it 'kind: fact' if it can be checked",
                )

    def lead_image(self, article: Article, meta: schema.ArticleIn, doc: YamlDoc) -> None:
        from briefgen.content.imagehtml import lead_image
        from briefgen.content.images import ImageProblem

        project = self.loader.project
        try:
            article.image = lead_image(
                meta.image,
                article.path,
                str(project.content_dir),
                str(project.root),
                self.site.config.max_image_size,
                self.loader.images,
            )
        except ImageProblem as exc:
            self.problems.error(article.path, doc.line(("image", "file")), exc.message, exc.hint)

    def unique_ids(self, article: Article, meta: schema.ArticleIn, doc: YamlDoc) -> None:
        """Check ``article``'s slug, output and figure ids against the articles before it (the first keeps its
        slug; a later one with the same slug gets none and is not rendered)."""
        slugs, outputs, figures = self.slugs, self.outputs, self.figure_ids
        line = (
            doc.line(("slug",)) if meta.slug and (article.slug in slugs or article.slug.casefold() in outputs) else None
        )
        if article.slug in slugs:
            other = slugs[article.slug]
            same_name = unicodedata.normalize("NFC", other) == unicodedata.normalize("NFC", article.path)
            self.problems.error(
                article.path,
                line,
                f"two articles have the slug {article.slug!r}: this one and {other}",
                "the two file names differ only in Unicode normalisation, NFC vs NFD; delete one"
                if same_name
                else "give one of them a different file name or a 'slug:' in its front matter",
            )
            article.slug = ""  # not rendered
            return
        slugs[article.slug] = article.path
        key = article.slug.casefold()
        if key in outputs:
            self.problems.error(
                article.path,
                line,
                f"writes the same page as {outputs[key]} (names differ only in case)",
                "rename one of them",
            )
        outputs[key] = article.path
        for i, f in enumerate(meta.figures):
            if f.id in figures:
                path, other_line = figures[f.id]
                self.problems.error(
                    article.path,
                    doc.line(("figures", i, "id")),
                    f"figure id {f.id!r} is already used at {path}:{other_line}",
                    "figure ids are unique across the site; add the date, e.g. drones-launched-2025-02-23",
                )
            else:  # the line, not the YAML tree: that goes once the article is linked
                figures[f.id] = (article.path, doc.line(("figures", i, "id")))

    def topics(self) -> None:
        for topic in self.site.topics.values():
            doc = topic._doc  # type: ignore[attr-defined]
            topic.lines = {key: doc.line((key,)) for key in ("title", "summary", "confidence", "status")}
            for i, slug in enumerate(topic.meta.related):
                other = self.site.topics.get(slug)
                if other is None and self.site.schedule is not None and slug in self.site.schedule.draft_topics:
                    continue
                if other is None:
                    self.problems.error(
                        topic.path,
                        doc.line(("related", i)),
                        f"unknown related topic {slug!r}",
                        _suggest(slug, self.site.topics) or f"create content/topics/{slug}.yaml",
                    )
                elif other is not topic and other not in topic.related:
                    topic.related.append(other)
            del topic._doc  # type: ignore[attr-defined]


def link_site(site: Site, loaded: Iterable, loader: Loader, problems: Problems) -> dict:
    """Link the articles of ``loaded`` (article, front matter, YAML) into ``site``, one at a time as it gives them:
    each one's front matter and YAML tree are let go once it is linked, before the next is taken (memory).
    Returns each body as rendered, by article path."""
    linker = Linker(site, loader, problems)
    linker.topics()
    articles = []
    uncited = set()
    for article, meta, doc in loaded:
        if not meta.sources:
            uncited.add(id(article))
        linker.unique_ids(article, meta, doc)
        if article.slug:
            linker.article(article, meta, doc)
            articles.append(article)
    meta = doc = None  # noqa: F841 - the last one too
    list_articles(site, articles)
    for article in site.articles:
        if id(article) in uncited:
            problems.warn(article.path, 2, "article cites no sources", "add 'sources:' with who reported it")
    return render_bodies(site, loader, problems)


def list_articles(site: Site, articles: list[Article]) -> None:
    """``articles``, newest first, as the site's, its topics' and its parties' lists (which start empty)."""
    articles.sort(key=lambda a: (a.date, a.slug), reverse=True)
    site.articles = articles
    for article in articles:  # newest first everywhere below
        for topic in article.topics:
            topic.articles.append(article)
        cited = [c.source for c in article.citations] + [x.via for x in article.quotes + article.figures if x.via]
        for party in dict.fromkeys(
            article.authors + article.people + cited
        ):  # a source's page lists the articles citing it
            party.articles.append(article)
        for q in article.quotes:
            q.speaker.quotes.append(q)
        for f in article.figures:
            f.by.figures.append(f)
        for c in article.claims:
            c.by.claims.append(c)
