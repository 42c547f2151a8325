"""Open pages first: what a writer is looking at reloads before the rest of the site is rebuilt.

A preview rebuild still renders every page the change affects, through the
same ``Builder.rebuild``; this is a hook into it (``Builder.early``). After the
site is loaded and the pages to render are known, ``OpenPagesFirst`` renders
those that a browser shows right now (``ReloadHub.open_pages``), writes them
in place (each through a rename) and tells those browsers to reload. The
build then renders, checks and writes the rest as usual.

Two promises hold meanwhile:

* **No half-built site.** Until the build has written everything, requests
  for any other page wait (``ReloadHub.hold``; assets are not held), so a
  link followed from a reloaded page never lands on a stale page. Which other
  pages change is not known yet: their fingerprints are worked out after the
  open pages are on their way.
* **A failed build changes nothing.** If the rest of the build fails (a broken
  link, a template error on another page), ``undo`` puts the earlier bytes
  back, and the pages that reloaded early are told to reload again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from briefgen.atomicfile import replace_in_place
from briefgen.content.bodies import ContentTargets
from briefgen.engine.rebuild import Progress, render_into
from briefgen.pages.assemble import _site_pages
from briefgen.problems import Problems
from briefgen.serve.patch import ArticleSwap, last_updated, swappable


class OpenPagesFirst:
    def __init__(self, hub, project, announce):
        self.hub = hub
        self.project = project
        self.announce = announce  # announce(written output paths): tell the open pages
        self.undo_bytes: dict[str, bytes | None] = {}  # output -> bytes before this build (None: absent)
        self.held: set[str] = set()  # pages written first by this build: served at once, the others wait
        self._targets = None  # (site, its content.link.ContentTargets, its pages' url paths): of the last build

    def __call__(self, site, pages: list, renderer, stale) -> dict[str, bytes]:
        """Render and write the open pages among ``pages`` that are ``stale(page)``; returns their bytes.

        Called before the other pages' fingerprints are computed: the build works those out, and
        renders the rest, once the open pages are on their way.
        """
        shown = self.hub.open_pages()
        first = [page for page in pages if page.output in shown and stale(page)]
        if not first:
            return {}
        rendered, failed = render_into(site, first, renderer, self.project, 1, Progress(), Problems())
        if failed:
            return {}  # the build renders them again and reports the problem where it belongs
        self._put(rendered)
        return rendered

    def ahead(self, last, changed: set[str]) -> None:
        """Before the build even loads the site: when the one file saved is an article that some open page
        shows (its own page, its topics' pages and packs, a person's or source's page, the home page and the
        other indexes), render those pages from the last build's site (``last``, a ``BuildResult``) patched
        with the article as it reads now (``briefgen.serve.patch``), and write them.

        The build that follows renders each page again from the whole new site and writes it (the open
        page reloads a second time) only if that differs, or puts the old bytes back if the build fails.
        A save that adds or removes a page, or moves the article to other topics, is left to the build.

        No cyclic garbage collection runs meanwhile (``collections_paused``).
        """
        with collections_paused():
            self._ahead(last, changed)

    def _ahead(self, last, changed: set[str]) -> None:
        if last is None or last.renderer is None or len(changed) != 1:
            return
        shown = self.hub.open_pages()
        if not shown:
            return
        path = self.project.root / next(iter(changed))  # as the watcher names it: relative to the project
        rel = self.project.rel(path)
        old = next((a for a in last.site.articles if a.path == rel), None)
        if old is None:
            return
        targets, linkable, updated = self.targets(last.site)
        new = article_alone(self.project, last.site, path, targets, last.memo)
        if new is None or not swappable(old, new):
            return
        swap = ArticleSwap(last.site, old, new, updated)
        swap.apply()
        try:
            for page in swap.pages(shown, linkable):  # each reloads as soon as it is ready: the article's first
                rendered, failed = render_into(
                    last.site, [page], last.renderer, self.project, 1, Progress(), Problems()
                )
                if not failed:
                    self._put(rendered)
        finally:
            swap.undo()  # ``last`` stays the last good build: the build below loads the site afresh

    def targets(self, site) -> tuple[ContentTargets, frozenset[str], dict]:
        """What ``ahead`` needs of ``site`` besides the saved article, made once per build: where a link in an
        article body goes, the site's pages' url paths, and each topic's "updated" (``patch.last_updated``)."""
        if self._targets is None or self._targets[0] is not site:
            self._targets = (site, ContentTargets(site, []), _site_pages(site), last_updated(site))
        return self._targets[1:]

    def prepare(self, site) -> None:
        """After a build, once its pages reloaded: what the next ``ahead`` needs of its site, made now."""
        self.targets(site)

    def _put(self, rendered: dict[str, bytes]) -> None:
        """Write ``rendered`` in place, hold every other page until the build is done, and announce."""
        self.held |= set(rendered)
        self.hub.hold(self.held)
        written = []
        for rel, data in rendered.items():
            path = self.project.output / rel
            try:
                old = path.read_bytes()
            except OSError:
                old = None
            if old == data:
                continue
            self.undo_bytes.setdefault(rel, old)  # what was there before this build, for ``undo``
            replace_in_place(path, data, make_parent=True)
            written.append(rel)
        if written:
            self.announce(written)

    def done(self) -> None:
        """The build wrote everything: release the held pages."""
        self.undo_bytes, self.held = {}, set()
        self.hub.release()

    def undo(self) -> list[str]:
        """The build failed after the open pages were written: put their old bytes back. Returns their paths."""
        restored = []
        for rel, old in self.undo_bytes.items():
            path = self.project.output / rel
            if old is None:
                with contextlib.suppress(OSError):
                    path.unlink()
            else:
                replace_in_place(path, old, make_parent=True)
            restored.append(rel)
        self.done()
        return restored


@contextlib.contextmanager
def collections_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off meanwhile, and back on after as it was.

    The last build's site is millions of objects at a few thousand articles, and the first full collection
    after a build walks every one of them: 100-300 ms, which fell in the middle of rendering the open pages
    ahead, on about every other save. Those renders make little cyclic garbage; the rebuild right after
    collects it.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def article_alone(project, site, path, targets, memo=None):
    """The article file at ``path`` as it reads now, linked against ``site`` (the last build's)
    without changing it; None unless everything about the file is plainly fine (the build then says what
    is not). ``memo``: the build database's memo stores (parsed files, resized images)."""
    from briefgen.content.link import Linker
    from briefgen.content.load import Loader
    from briefgen.content.markdown import MarkdownRenderer

    problems = Problems()
    loader = Loader(project, problems, memo)
    if loader.load_config() is None:
        return None
    found = loader.load_article(path)
    if found is None or problems.items:
        return None
    article, meta, doc = found
    schedule = site.schedule
    if schedule is not None:  # a draft, embargoed or withdrawn report is as the rebuild will show it, or not at all
        from briefgen.content.schedule import reason_for

        reason = reason_for(article, meta, schedule)
        if reason == "withdrawn" or (reason and not schedule.drafts):
            return None
        article.preview = reason
    Linker(site, loader, problems).article(article, meta, doc)
    if problems.items:
        return None
    renderer = MarkdownRenderer(allow_html=site.config.markdown.allow_html)
    out = renderer.render(article.body_md, targets.resolver(article))
    if out.errors or out.broken or "<img " in out.html:  # body images: the rebuild makes their copies
        return None
    article.body_html, article.toc = out.html, out.headings
    return article
