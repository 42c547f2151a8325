"""Wires the stages: load -> review -> assemble -> render -> outputs -> check -> write.

``build`` is what ``briefgen build`` runs; ``serve`` and ``publish`` call it
too, and ``check`` runs it with ``write=False``. Nothing touches the output folder
until every page has rendered, so a failing build leaves the old site as it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.content.model import Site
from briefgen.engine.write import WriteStats
from briefgen.outputs.manifest import MANIFEST_NAME, manifest_bytes
from briefgen.pages.assemble import Page, assemble
from briefgen.problems import BuildError, Problem, Problems
from briefgen.project import Project
from briefgen.render.render import Renderer, static_files


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

    @property
    def counts(self) -> Counter:
        return Counter(p.kind for p in self.pages)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _fail_if_errors(problems: Problems, strict: bool) -> None:
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
) -> tuple[Site, list[Page]]:
    """Load, review and assemble; ``memo`` is the build cache (``briefgen.engine.cache.BuildCache``) or None."""
    from briefgen.briefing.changes import attach
    from briefgen.briefing.editorial import review
    from briefgen.content.load import load_site

    site = load_site(project, problems, memo, drafts=drafts, base_url=base_url)
    if site is None:
        _fail_if_errors(problems, strict)
        raise BuildError(problems.sorted())
    review(site, problems)  # editorial warnings; marks stale and one-sided topics
    history = project.history_from or project.output
    attach(site, history, problems, project.rel(history), record=record_changes)
    if pdf and not site.config.pdf:
        site.config = site.config.model_copy(update={"pdf": True})
    if file_links and site.config.links != "files":  # build --file-links
        site.config = site.config.model_copy(update={"links": "files"})
    _fail_if_errors(problems, strict)
    pages = assemble(site)
    return site, pages


def render_site(
    site: Site, pages: list[Page], project: Project, problems: Problems
) -> tuple[dict[str, bytes], dict[str, Path]]:
    from briefgen.engine.rebuild import Progress, render_into
    from briefgen.outputs.outputs import extra_outputs
    from briefgen.outputs.rootfiles import site_copies
    from briefgen.outputs.search import available

    site.config, _note = available(site.config)  # pages link to the search index only when it will be written
    statics = static_files(project)
    renderer = Renderer(site, project, statics)
    files, failed = render_into(site, pages, renderer, project, 1, Progress(), problems)
    if failed:
        return files, {}
    files.update(extra_outputs(site, pages, renderer, files, problems))
    copies = site_copies(project, statics, files, problems)
    files[MANIFEST_NAME] = manifest_bytes(site.config.base_url, files, copies)  # last: it lists every file
    return files, copies


class Builder:
    """A build that can be run again: what ``serve`` keeps between rebuilds.

    ``rebuild(changed)`` takes the input paths (relative to the project) that
    changed since the last run; ``None`` means "anything may have changed".
    ``record_changes=False`` (``serve``) keeps the output's change history as it
    was instead of recording each rebuild; ``pdf=True`` also writes PDF packs.
    State kept between runs (caches, the previous result) lives here, outside
    the stages, so the stages stay plain functions.

    ``jobs`` is how many processes render (default: the cores available; 1 =
    in this process; the bytes are the same either way); ``use_cache=False``
    neither reads nor writes ``.briefgen-cache/`` (the memo still lives in
    memory between rebuilds); ``progress`` receives stage callbacks
    (``briefgen.engine.rebuild.Progress``). ``preview=True`` (``serve``) leaves saving the
    state and cache to ``persist`` and keeps every cache entry any of its builds
    used. ``once=True`` (``briefgen build``) says no build will follow in this
    process: the content cache is saved as soon as the content is loaded and
    freed, and a pack's rewritten reports are not kept (less memory; another
    rebuild would still be right, only slower). See ``briefgen.engine.rebuild`` for how a rebuild renders only the pages whose
    inputs changed.
    """

    def __init__(
        self,
        project: Project,
        *,
        strict: bool = False,
        record_changes: bool = True,
        pdf: bool = False,
        jobs: int | None = None,
        use_cache: bool = True,
        progress=None,
        preview: bool = False,
        once: bool = False,
        file_links: bool = False,
        drafts: bool = False,
        base_url: str | None = None,
        force: bool = False,
        lock_wait: float | None = None,
    ):
        from briefgen.engine.cache import BuildCache
        from briefgen.engine.parallel import default_jobs
        from briefgen.engine.rebuild import Progress

        self.project = project
        self.strict = strict
        # a preview with drafts records no changes: the change history is what readers were shown
        self.record_changes = record_changes and not drafts
        self.pdf = pdf
        self.file_links = file_links  # links end in index.html, whatever briefgen.yaml says (build --file-links)
        self.jobs = jobs or default_jobs()
        self.use_cache = use_cache
        self.progress = progress or Progress()
        self.cache = BuildCache(project.root, enabled=use_cache, jobs=self.jobs, session=preview)
        self.state = None  # briefgen.engine.incremental.BuildState of the last written build
        self.unsaved_state = None  # the state not yet saved to .briefgen-cache/ (see persist)
        self.persist_later = preview  # serve calls persist() itself, once the open pages reloaded
        self.base_url = base_url  # --base-url: replaces the config's for this build
        self.drafts = (
            drafts  # a preview: drafts and scheduled reports are shown, with a banner (briefgen.content.schedule)
        )
        self.once = once  # the only build made with this Builder: nothing is kept in memory for a next one
        # serve: early(site, pages, renderer, stale) renders and writes the stale pages a browser shows
        # before the rest, and returns their bytes (briefgen.serve.early); None: every page in one go
        self.early = None
        self.last: BuildResult | None = None
        self.force = force  # replace an output folder that is not a briefgen site (its dot-entries are kept)
        self.lock_wait = lock_wait  # seconds to wait for another run's lock (None: briefgen.engine.lock's default)

    def check_output(self) -> None:
        problem = self.project.output_problem(force=self.force)
        if problem:
            raise BuildError([Problem(self.project.rel(self.project.output), None, *problem)])

    def persist(self) -> None:
        """Save the build state and the content cache to ``.briefgen-cache/`` (each rebuild does, unless
        ``persist_later``: then whoever set it calls this when the disk work no longer delays anyone)."""
        from briefgen.engine.incremental import save_state

        if self.unsaved_state is not None and self.use_cache:
            try:
                save_state(self.project, self.unsaved_state)
            except OSError as exc:
                self.cache.notes.append(f"could not save the build state ({exc.strerror})")
        self.unsaved_state = None
        try:
            self.cache.save()
        except OSError as exc:  # a full disk: the site is written; the next build is only slower
            self.cache.notes.append(f"could not save the build cache ({exc.strerror})")

    def rebuild(self, changed: set[str] | None = None, *, write: bool = True) -> BuildResult:
        """One build, holding the project's lock (``briefgen.engine.lock``), after finishing or undoing a swap of
        the output folder that a killed build cut short (``briefgen.engine.swap.recover``).

        ``write=False`` (``briefgen check``) touches nothing in or beside the output folder (no recovery, no
        refusal of a folder briefgen did not make, no build state saved) and returns the errors in the result
        instead of raising them; a site that cannot be loaded still raises ``BuildError``."""
        from briefgen.engine.lock import project_lock
        from briefgen.engine.rebuild import run

        with project_lock(self.project.root, wait=self.lock_wait):
            if write:  # write=False (check) leaves the output folder exactly as it is, a cut-short swap too
                self.recover()
            result = run(self, changed, write)
        self.last = result
        return result

    def recover(self) -> None:
        from briefgen.engine.swap import recover

        for note in recover(self.project.output):
            self.cache.notes.append(f"{self.project.rel(self.project.output)}: {note}")


def build(
    project: Project,
    *,
    strict: bool = False,
    write: bool = True,
    pdf: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    progress=None,
    file_links: bool = False,
    drafts: bool = False,
    base_url: str | None = None,
    force: bool = False,
) -> BuildResult:
    """One complete build (``briefgen build``); ``drafts=True`` also shows drafts and scheduled reports."""
    builder = Builder(
        project,
        strict=strict,
        pdf=pdf,
        jobs=jobs,
        use_cache=use_cache,
        progress=progress,
        once=True,
        file_links=file_links,
        drafts=drafts,
        base_url=base_url,
        force=force,
    )
    return builder.rebuild(write=write)
