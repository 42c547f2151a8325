"""The build a command runs: ``Builder`` (one project, one build database, rebuilt as often as asked) and
``build`` (one complete build, ``briefgen build``).

``serve`` keeps a ``Builder`` between rebuilds; ``publish`` calls ``build`` too, and ``check`` runs it with
``write=False``. The stages themselves are ``pipeline``'s plain functions; ``rebuild.Rebuild`` runs them with the
build database. Nothing touches the output folder until every page has rendered, so a failing build leaves
the old site as it was.
"""

from __future__ import annotations

from briefgen.engine import rebuild as _rebuild
from briefgen.engine.database import BuildDatabase
from briefgen.engine.lock import project_lock
from briefgen.engine.parallel import default_jobs, steady_heap
from briefgen.engine.pipeline import BuildResult, Progress, load_and_assemble, render_site
from briefgen.engine.swap import recover
from briefgen.problems import BuildError, Problem
from briefgen.project import Project

__all__ = ["BuildResult", "Builder", "build", "load_and_assemble", "render_site"]


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
    (``briefgen.engine.pipeline.Progress``). ``preview=True`` (``serve``) leaves saving the
    state and cache to ``persist`` and keeps every cache entry any of its builds
    used. ``once=True`` (``briefgen build``) says no build will follow in this
    process: each store of the content cache is saved and freed as soon as loading is
    done with it, the articles' Markdown is let go of once the site is loaded
    (``content.sources``), and a pack's rewritten reports are not kept (less memory; another
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
        self.project = project
        self.strict = strict
        # a preview with drafts records no changes: the change history is what readers were shown
        self.record_changes = record_changes and not drafts
        self.pdf = pdf
        self.file_links = file_links  # links end in index.html, whatever briefgen.yaml says (build --file-links)
        self.jobs = jobs or default_jobs()
        self.use_cache = use_cache
        self.progress = progress or Progress()
        # the input table, the recorded outputs and the memos (briefgen.engine.database)
        self.db = BuildDatabase(project, enabled=use_cache, jobs=self.jobs, session=preview, once=once)
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
        self.db.persist()

    def rebuild(self, changed: set[str] | None = None, *, write: bool = True) -> BuildResult:
        """One build, holding the project's lock (``briefgen.engine.lock``), after finishing or undoing a swap of
        the output folder that a killed build cut short (``briefgen.engine.swap.recover``).

        ``write=False`` (``briefgen check``) touches nothing in or beside the output folder (no recovery, no
        refusal of a folder briefgen did not make, no build state saved) and returns the errors in the result
        instead of raising them; a site that cannot be loaded still raises ``BuildError``."""
        steady_heap()  # from the start: loading allocates and frees as much as rendering
        with project_lock(self.project.root, wait=self.lock_wait):
            if write:  # write=False (check) leaves the output folder exactly as it is, a cut-short swap too
                self.recover()
            result = _rebuild.run(self, changed, write)
        self.last = result
        return result

    def recover(self) -> None:
        for note in recover(self.project.output):
            self.db.notes.append(f"{self.project.rel(self.project.output)}: {note}")


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
    listed: list | None = None,
) -> BuildResult:
    """One complete build (``briefgen build``); ``drafts=True`` also shows drafts and scheduled reports; ``listed``:
    the input files as the command's "nothing changed" shortcut listed them (``commands.nochange.listed``)."""
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
    builder.db.listed = listed
    return builder.rebuild(write=write)
