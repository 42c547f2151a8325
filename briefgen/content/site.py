"""Load the whole project: read every file (``load.Loader``), sort out what is not published
(``schedule.sort_out``), then link the references (``link.link_site``)."""

from __future__ import annotations

from briefgen.content.link import link_site
from briefgen.content.load import ARTICLE_SUFFIXES, Loader
from briefgen.content.model import Site
from briefgen.content.schedule import sort_out
from briefgen.problems import Problems
from briefgen.project import Project


def load_site(
    project: Project,
    problems: Problems,
    memo=None,
    *,
    drafts: bool = False,
    base_url: str | None = None,
    record: dict | None = None,
) -> Site | None:
    """Read and link the whole project. Returns None when the config is unusable.

    ``memo`` (a ``briefgen.engine.cache.BuildCache``) memoises front matter and Markdown bodies; ``drafts``: a
    preview that shows drafts and scheduled reports; ``base_url``: the command line's ``--base-url``, in place
    of the config's (a preview deploy under another address). ``record``, if given, gets what the stored model
    keeps besides the site (``content.stored.store_site``): ``paths``, every article file found, and
    ``rendered``, each body as rendered, by article path.
    """
    loader = Loader(project, problems, memo)
    config = load_config(loader, project, problems, base_url)
    if config is None:
        return None
    parties = loader.load_parties()
    topics = loader.load_topics()
    paths = loader.file_names(project.content_dir / "articles", ARTICLE_SUFFIXES)
    if memo is not None:  # the files the build database has no record of, parsed on every core first
        memo.prefetch_front_matter([p for p in paths if not loader.has_record(p)], loader)
    loader.article_paths = [loader.rel(p) for p in paths]
    # One article at a time: read, sorted out (drafts, embargoes, withdrawals) and linked before the next is
    # read, so its YAML tree and validated front matter are freed while the next one is parsed (their memory
    # is reused for it) rather than all alive at once and then freed between the site's objects.
    loaded = (x for x in (loader.load_article(p) for p in paths) if x is not None)
    shown, schedule = sort_out(loaded, topics, drafts=drafts)
    site = Site(config=config, root=str(project.root), topics=topics, articles=[], parties=parties)
    site.schedule = schedule
    rendered = link_site(site, shown, loader, problems)
    if record is not None:
        record.update(paths=loader.article_paths, rendered=rendered)
    return site


def load_config(loader: Loader, project: Project, problems: Problems, base_url: str | None):
    """The site's config (``--base-url`` in place of its own), or None when it or the content folder is unusable."""
    config = loader.load_config()
    if config is None:
        return None
    if base_url is not None:
        if not base_url.startswith(("http://", "https://")) or " " in base_url:
            problems.error(
                "--base-url", None, f"{base_url!r} is not an absolute http(s) URL", "e.g. https://example.org/"
            )
            return None
        config = loader.config = config.model_copy(update={"base_url": base_url.rstrip("/") + "/"})
    if not project.content_dir.is_dir():
        problems.error(
            project.rel(project.content_dir),
            None,
            "content folder not found",
            "create content/ with topics/ and articles/, or run 'briefgen new DIR'",
        )
        return None
    return config
