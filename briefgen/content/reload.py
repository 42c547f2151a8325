"""The linked site from the stored model, with the article files that changed read again.

``site.load_site`` reads, validates and links every article; when only a few article files changed since
the stored model was made (``briefgen.engine.storedmodel`` decides that from the input table), this gives
the same ``Site`` and the same problems from much less work: the config, topics and parties are read again
(small files, and they make the objects every record refers to), every other article is made from its
record (``content.stored``), the changed files are loaded, linked and rendered as ``load_site`` would, and
the lists (the site's, each topic's and party's) are made from all of them in the order a whole load gives
(``link.list_articles``). The problems are the stored ones, but the changed files', which come from their
load now.

It gives up (None; the caller loads the whole site) on anything a whole load could answer differently for
the other articles: a changed file that is not shown now or was not then (a draft, an embargo, a
withdrawal: the schedule and other bodies' links would change), another slug or schedule, a figure id
used elsewhere, a different list of article files, the clock past the stored schedule's next boundary, or
any error (a whole load reports it, with its context). When a changed article's headings changed, the
other bodies' links to its headings (kept in their records) are checked again.
"""

from __future__ import annotations

import msgspec

from briefgen.content.bodies import ContentTargets, check_anchors, render_body
from briefgen.content.link import Linker, list_articles
from briefgen.content.load import ARTICLE_SUFFIXES, Loader
from briefgen.content.markdown import MarkdownRenderer
from briefgen.content.model import Article, Site
from briefgen.content.schedule import reason_for, sort_out
from briefgen.content.site import load_config
from briefgen.content.stored import decode_article, decode_record, decode_when, encode_article, encode_when
from briefgen.content.storedsite import ProblemR, SiteR, from_held, stored_problems
from briefgen.problems import Problems
from briefgen.project import Project


class Reloaded:
    """A site rebuilt from ``SiteR``; ``stored``: the ``SiteR`` to keep next (the problems as reported now), and
    ``records``: each shown article's record (the changed ones new), in the site's order."""

    def __init__(self, site: Site, stored: SiteR, records: list):
        self.site, self.stored, self.records = site, stored, records


def reload_site(
    project: Project, problems: Problems, memo, stored: SiteR, changed: list[str], *, drafts: bool, base_url
) -> Reloaded | None:
    """``load_site``'s site and problems from ``stored`` and the article files ``changed`` (paths as the
    input table has them); None when a whole load is needed (see the module's docstring)."""
    head = Problems()  # the config's, topics' and parties': the same as stored (their files did not change)
    loader = Loader(project, head, memo)
    config = load_config(loader, project, head, base_url)
    if config is None or stored.drafts != drafts:
        return None
    parties, topics = loader.load_parties(), loader.load_topics()
    paths = loader.file_names(project.content_dir / "articles", ARTICLE_SUFFIXES)
    loader.article_paths = [loader.rel(p) for p in paths]
    if head.errors or loader.article_paths != stored.paths:
        return None
    _, schedule = sort_out([], topics, drafts=drafts)  # the draft topics and the clock, as a whole load
    then, due = decode_when(stored.now), decode_when(stored.next_due)
    topic_held = list(schedule.held)
    schedule.held = [from_held(h) for h in stored.held]
    if (
        schedule.now < then
        or (due is not None and schedule.now >= due)
        or schedule.held[: len(topic_held)] != topic_held
    ):
        return None  # the clock went back, or passed a report's publish_at or expires_at: what is shown changes
    schedule.withdrawn, schedule.next_due = [from_held(h) for h in stored.withdrawn], due
    site = Site(config=config, root=str(project.root), topics=topics, articles=[], parties=parties)
    site.schedule = schedule
    Linker(site, loader, head).topics()
    try:
        records = [decode_record(raw) for raw in stored.articles]
        articles = [decode_article(r, topics, parties, loader.images) for r in records]
    except (msgspec.MsgspecError, KeyError, ValueError, TypeError):
        return None  # a record not of this site: never half used
    mine = Problems()
    loader.problems = mine
    fresh = _load_changed(loader, site, records, changed, paths)
    if fresh is None or head.errors:
        return None
    index = {a.path: i for i, a in enumerate(articles)}  # the stored order
    for article, _meta, _doc in fresh:
        articles[index[article.path]] = article
    list_articles(site, list(articles))
    made = _render_changed(loader, site, fresh, records, index, mine)
    if mine.errors:
        return None
    raws = list(stored.articles)
    for path, raw in made.items():
        raws[index[path]] = raw
    found = stored_problems(stored, set(changed)) + mine.items
    problems.items.extend(found)
    # the store that follows keeps these problems: the changed files' are now theirs as read this time
    again = msgspec.structs.replace(
        stored, problems=[ProblemR(p.path, p.line, p.message, p.hint, p.severity) for p in found]
    )
    return Reloaded(site, again, [raws[index[a.path]] for a in site.articles])


def _load_changed(loader: Loader, site: Site, records: list, changed: list[str], paths: list[str]):
    """[(article, meta, doc)] of the ``changed`` files, loaded and linked into ``site``; None to give up."""
    full = dict(zip(loader.article_paths, paths, strict=True))
    old = {r.path: r for r in records}
    others: set[str] | None = None  # the other records' figure ids, made when a changed file has figures
    out = []
    for rel in changed:
        before = old.get(rel)
        found = loader.load_article(full[rel]) if rel in full and before is not None else None
        if found is None or loader.problems.errors:
            return None
        article, meta, doc = found
        ids = [f.id for f in meta.figures]
        same = (
            article.slug == before.slug
            and article.draft == before.draft
            and encode_when(article.publish_at) == before.publish_at
            and encode_when(article.expires_at) == before.expires_at
            and before.preview == ""
            and reason_for(article, meta, site.schedule) == ""
        )
        if ids and others is None:
            others = {f.id for r in records if r.path not in changed for f in r.figures}
        if not same or len(set(ids)) != len(ids) or (ids and others.intersection(ids)):
            return None
        Linker(site, loader, loader.problems).article(article, meta, doc)
        if not meta.sources:
            loader.problems.warn(article.path, 2, "article cites no sources", "add 'sources:' with who reported it")
        out.append((article, meta, doc))
    return out


def _render_changed(loader: Loader, site: Site, fresh: list, records: list, index: dict, problems: Problems):
    """Render the bodies of the changed articles and check their #anchors, and the #anchors of other bodies
    that link to a changed article whose headings changed; {path: new record}."""
    renderer = MarkdownRenderer(allow_html=site.config.markdown.allow_html)
    targets = ContentTargets(site, loader.article_paths)
    ids = {r.path: _Ids(r.ids) for r in records}
    made, moved = {}, set()
    for article, _meta, _doc in fresh:
        out = render_body(article, renderer, targets, loader, site, problems)
        if sorted(out.ids) != records[index[article.path]].ids:
            moved.add(f"../{article.slug}/")  # other bodies' links to its headings are checked again
        ids[article.path] = out
        made[article.path] = msgspec.Raw(encode_article(article, out.ids, out.content_links))
    for article, _meta, _doc in fresh:
        check_anchors(article, ids[article.path].content_links, ids, targets, problems)
    if moved:
        shown = {a.path: a for a in site.articles}
        for r in records:
            if r.path not in made and any(url.partition("#")[0] in moved for _line, _href, url in r.anchors):
                check_anchors(shown[r.path], r.anchors, ids, targets, problems)
    return made


class _Ids:
    """A stored article's heading ids, as ``check_anchors`` asks for them."""

    def __init__(self, ids: list[str]):
        self.ids = set(ids)


__all__ = ["Article", "Reloaded", "reload_site"]
