"""The stages as plain functions: load -> review -> assemble -> render -> outputs -> check links.

``load_and_assemble`` and ``render_site`` are the whole pipeline with no database (tests render with
them as the plain reference); ``rebuild.Rebuild`` runs the same functions with the build database's memos
and fingerprints, and ``render_pages``, ``render_into`` and ``check_links_parallel`` on several cores.
Nothing here touches the output folder.
"""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from briefgen.briefing.changes import attach
from briefgen.briefing.editorial import review
from briefgen.checks.linkcheck import check_links
from briefgen.content.model import Site
from briefgen.content.site import load_site
from briefgen.engine.parallel import MIN_ITEMS_PER_WORKER, can_fork, give_back_free_memory, map_chunks
from briefgen.engine.write import WriteStats
from briefgen.outputs.manifest import MANIFEST_NAME, manifest_bytes
from briefgen.outputs.outputs import extra_outputs, head_for
from briefgen.outputs.rootfiles import site_copies
from briefgen.outputs.search import available as search_available
from briefgen.pages.assemble import Page, assemble
from briefgen.pages.pack import PackBodyMemo
from briefgen.problems import BuildError, Problem, Problems
from briefgen.project import Project
from briefgen.render.compiled import referenced
from briefgen.render.render import Renderer, static_files, template_problem

_TEMPLATE_ERRORS = (jinja2.TemplateError, TypeError, AttributeError, ValueError, KeyError)
LINKCHECK_PARALLEL_MIN = 400  # pages; fewer are checked in-line
# Rendering leaves reference cycles behind (Jinja's macro modules and contexts) that only the garbage collector
# frees. The build's own threshold (100,000: loading keeps what it allocates) let a worker pile up 2,500 pages'
# worth of them, tens of MB, each page of which a forked worker then owns; this collects every few hundred pages.
RENDER_GC_THRESHOLD = 10_000


@dataclass
class BuildResult:
    site: Site
    pages: list[Page]
    files: dict[str, bytes]
    copies: dict[str, Path]
    problems: list[Problem] = field(default_factory=list)
    stats: WriteStats | None = None
    seconds: float = 0.0
    rendered: int = 0  # pages rendered by this run
    reused: int = 0  # pages whose bytes were kept from the previous build (nothing they use changed)
    notes: list[str] = field(default_factory=list)  # about the build cache, not the content
    renderer: object = None  # the render.Renderer the pages were rendered with (serve renders ahead with it)
    memo: object = None  # the build database's memo stores (cache.BuildCache) it loaded with (serve's ahead too)
    reread: list[str] | None = None  # loaded from the stored model with these article files read again; None: whole

    @property
    def counts(self) -> Counter:
        return Counter(p.kind for p in self.pages)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def fail_if_errors(problems: Problems, strict: bool) -> None:
    errors = problems.errors if not strict else problems.items
    if errors:
        raise BuildError(problems.sorted())


def load_and_assemble(
    project: Project,
    problems: Problems,
    strict: bool = False,
    *,
    record_changes: bool = True,
    pdf: bool = False,
    file_links: bool = False,
    drafts: bool = False,
    base_url: str | None = None,
    memo=None,
    pack_bodies: PackBodyMemo | None = None,
    load=load_site,
) -> tuple[Site, list[Page]]:
    """Load, review and assemble; ``memo`` is the build database's memo stores (``cache.BuildCache``) or
    None, ``pack_bodies`` its memo of packs' rewritten reports (``pages.pack``) or None; ``load``: what loads
    the site, ``load_site`` or the stored model's (``storedmodel.StoredModel.loader``)."""
    site = load(project, problems, memo, drafts=drafts, base_url=base_url)
    if site is None:
        fail_if_errors(problems, strict)
        raise BuildError(problems.sorted())
    carried = getattr(load, "carried", None)  # what the stored model's last build worked out (``topicstates``)
    review(site, problems, carried)  # editorial warnings; marks stale and one-sided topics
    history = project.history_from or project.output
    attach(site, history, problems, project.rel(history), record=record_changes, states=carried)
    if carried is not None:
        carried.keep(site)
    if pdf and not site.config.pdf:
        site.config = site.config.model_copy(update={"pdf": True})
    if file_links and site.config.links != "files":  # build --file-links
        site.config = site.config.model_copy(update={"links": "files"})
    fail_if_errors(problems, strict)
    pages = assemble(site, pack_bodies)
    return site, pages


def render_site(
    site: Site, pages: list[Page], project: Project, problems: Problems
) -> tuple[dict[str, bytes], dict[str, Path]]:
    site.config, _note = search_available(site.config)  # pages link to the search index only when it will be written
    statics = static_files(project)
    renderer = Renderer(site, project, statics)
    files, failed = render_into(site, pages, renderer, project, 1, Progress(), problems)
    if failed:
        return files, {}
    files.update(extra_outputs(site, pages, renderer, files, problems))
    copies = site_copies(project, statics, files, problems)
    files[MANIFEST_NAME] = manifest_bytes(site.config.base_url, files, copies)  # last: it lists every file
    return files, copies


class Progress:
    """Stage callbacks for a progress display; the default shows nothing."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


def render_pages(site, pages, renderer, project, jobs: int, progress: Progress, sink=None) -> list[tuple]:
    """[(output, bytes or None, problem-where or None)] for ``pages``, in order.

    With ``sink``, each page goes to ``sink(output, text pieces)`` as it is made, where it is rendered (in
    the worker: ``Renderer.render_text``; ``write.Staging.write_text`` writes a large page as it comes), and
    the sink's answer (small: a digest, not the page) takes the place of the bytes.
    """

    def work(start: int, stop: int) -> list[tuple]:
        out = []
        for page in pages[start:stop]:
            try:
                if sink is None:
                    data = renderer.render(page, head_for(site, page, renderer))
                else:
                    data = sink(page.output, renderer.render_text(page, head_for(site, page, renderer)))
                out.append((page.output, data, None))
            except Exception as exc:  # a user's template override is content too: report, don't crash
                if not isinstance(exc, _TEMPLATE_ERRORS):
                    raise
                out.append((page.output, None, template_problem(exc, project)))
        if forks:  # the chunk's freed pages back to the system, in the parent and each worker alike
            give_back_free_memory()
        return out

    forks = _forks(len(pages), jobs)
    if forks:  # compiled once here, not once in each worker (and shared with them)
        compile_templates(renderer.env, {page.template for page in pages})
    # else each template is compiled when a page first needs it: a rebuild of a few pages compiles only theirs
    thresholds = gc.get_threshold()
    gc.set_threshold(RENDER_GC_THRESHOLD, *thresholds[1:])
    try:
        return map_chunks(work, len(pages), jobs, progress.advance)
    finally:
        gc.set_threshold(*thresholds)


def _forks(count: int, jobs: int) -> bool:
    """Whether ``map_chunks(work, count, jobs)`` will fork workers (its own rule: enough items, one thread)."""
    return min(jobs, count // MIN_ITEMS_PER_WORKER or 1) > 1 and can_fork()


def compile_templates(env: jinja2.Environment, names: set[str]) -> None:
    """Load ``names`` and every template they name (``extends``, ``include``, ``import``) into ``env``.

    A template that does not compile is left for the render to report, at the page that uses it.
    """
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            env.get_template(name)
            refs = referenced(env, name)  # noted by the parse that compiled it, not parsed again
        except Exception:  # noqa: S112 - the page's own render reports it, located
            continue
        todo.extend(ref for ref in refs if ref is not None)


def render_into(
    site, pages, renderer, project, jobs: int, progress: Progress, problems, sink=None
) -> tuple[dict, bool]:
    """Render ``pages``; each template failure becomes one located problem. Returns (bytes by output, failed).

    With ``sink`` (see ``render_pages``) the dict holds the sink's answers instead of the bytes.
    """
    rendered: dict[str, bytes] = {}
    failed: set[tuple] = set()
    answers = render_pages(site, pages, renderer, project, jobs, progress, sink)
    for page, (_output, data, where) in zip(pages, answers, strict=True):
        if data is not None:
            rendered[page.output] = data
        elif where not in failed:
            failed.add(where)
            problems.error(
                where[0],
                where[1],
                f"{where[2]} (while rendering /{page.url_path})",
                "fix the template, or remove your override to use the default theme",
            )
    return rendered, bool(failed)


def check_links_parallel(files, pages, problems, statics, jobs: int, remember: bool = True) -> None:
    if jobs == 1 or len(pages) < LINKCHECK_PARALLEL_MIN:
        check_links(files, pages, problems, statics, remember)
        return

    def work(start: int, stop: int) -> list:
        local = Problems()
        check_links(files, pages[start:stop], local, statics, remember)
        return local.items

    problems.items.extend(map_chunks(work, len(pages), jobs))
