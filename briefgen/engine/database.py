"""The build database: what makes a rebuild fast, held in one place and passed to the stages.

One per ``build.Builder`` (so one per ``serve`` session, one per ``briefgen build``):

* the *input table* of the last build (``state.BuildState.inputs``: every content, config, template,
  static and ``root/`` file with its hash, ``inputs.scan_inputs``) and the *environment* it ran in
  (``environment.Environment``: code and libraries, clock, flags);
* the *recorded outputs*: each file written with its hash, size, mtime and, for a page, feed or export,
  the fingerprint of what it was made from (``state.OutputFile``); pages' fingerprints come from
  ``fingerprints.Fingerprints``, which reads what the queries recorded (a link's target, recorded by the
  link resolver in ``Article.links_to``; the templates a page's template loads, followed through
  ``extends``/``include``/``import``);
* the *memo stores*: parsed front matter and rendered Markdown (``cache.BuildCache``, on disk as checked
  JSON), what each article file parsed to (``content.parsed.ParsedArticles`` in memory; on disk the
  ``articles`` store of data-only records, ``content.parsed``), resized images
  (``content.images.ImageStore``), packs' rewritten reports (``pages.pack.PackBodyMemo``), the
  templates each template names, the last sitemap (``outputs.sitemap.SitemapMemo``) and the SHA-256 of
  the last build's files (``outputs.manifest.ManifestHashes``);
* the *stored model* (``storedmodel.StoredModel``): the linked site of the last whole load, from which a
  command-line build after an edit to articles only rebuilds the site, reading just the edited files.

The store is in memory for a session (serve) and on disk for the command line (``.briefgen-cache/``,
data only, each file behind a SHA-256: ``cachedata``). No module keeps a build's state of its own: the
stages get these memos as arguments.
"""

from __future__ import annotations

from briefgen.engine.cache import BuildCache
from briefgen.engine.environment import Environment
from briefgen.engine.exportkey import current_heads, heads_from_text, heads_text
from briefgen.engine.fingerprints import CarriedElements
from briefgen.engine.inputs import InputFile, scan_inputs
from briefgen.engine.state import BuildState, load_state, save_state
from briefgen.engine.storedmodel import StoredModel
from briefgen.outputs.manifest import ManifestHashes
from briefgen.outputs.sitemap import SitemapMemo
from briefgen.pages.pack import PackBodyMemo
from briefgen.project import Project


class BuildDatabase:
    """The build database of one project for one ``Builder``; ``enabled=False`` (``--no-cache``) keeps it in
    memory only; ``session`` (serve) keeps every memo entry any of its builds used; ``once`` (a build no
    other follows in this process) keeps nothing for a next build that will not come."""

    def __init__(self, project: Project, *, enabled: bool, jobs: int, session: bool, once: bool):
        self.project = project
        self.enabled = enabled
        self.once = once
        # a one-off build without the cache stores nothing it works out: neither the disk nor a next build reads it
        self.memo = BuildCache(
            project.root, enabled=enabled, jobs=jobs, session=session, keep=enabled or not once, once=once
        )
        # the linked site of the last load, for a command-line build after an edit (serve holds its own)
        self.model = StoredModel(project, enabled=enabled and not session, notes=self.memo.notes, once=once)
        self.pack_bodies: PackBodyMemo | None = None if once else {}
        self.template_refs: dict[str, tuple[str | None, ...]] = {}  # template source -> the templates it names
        self.elements = CarriedElements()  # each article's part of the fingerprints, from the last build
        self.sitemap = SitemapMemo()  # the last sitemap's entries and bytes
        self.heads: dict[str, str] = {}  # file hash -> front-matter hash (engine.exportkey)
        self.manifest = ManifestHashes()  # the last build's files' SHA-256, by bytes object
        self.state: BuildState | None = None  # of the last written build
        self.state_files: dict[str, bytes] = {}  # serve: the bytes of that build's files, held in memory
        self.unsaved_state: BuildState | None = None  # not yet saved to .briefgen-cache/ (see persist)
        self.listed: list | None = None  # the input files as this command listed them (``plan_inputs``)

    @property
    def notes(self) -> list[str]:
        return self.memo.notes

    @property
    def session(self) -> bool:
        return self.memo.session

    def last_state(self, environment: Environment) -> BuildState | None:
        """The last build's state if it was made by this code for this output folder; else None."""
        state = self.state
        if state is None and self.enabled:
            state = load_state(self.project, environment.code)
        if state is not None and (state.code != environment.code or state.output != str(self.project.output)):
            return None
        if state is not None:
            self.template_refs.update(state.template_refs)
            self.elements = CarriedElements(state.elements)
            self.heads = heads_from_text(state.heads)
        return state

    def plan_inputs(self, last: BuildState | None, changed: set[str] | None) -> dict[str, InputFile]:
        """The input table now: files whose stat is the recorded one keep their hash; ``changed`` are hashed.
        ``listed`` (the command's own listing of the input files, moments ago: ``commands.nochange``) is used once."""
        listed, self.listed = self.listed, None
        return scan_inputs(self.project, last.inputs if last else None, changed, self.heads, listed)

    def start_loading(self, inputs: dict[str, InputFile]) -> None:
        """A build starts loading: the memos learn the input hashes and start counting what is used."""
        self.memo.articles.start({rel: info.digest for rel, info in inputs.items()}, not self.once)
        self.memo.start()

    def done_loading(self) -> None:
        self.memo.finish()
        self.memo.articles.finish()

    def loaded(self) -> None:
        """The content loaded without errors: a build no other follows saves the stores and frees them."""
        if self.once:
            self.memo.release()

    def record(self, state: BuildState, files) -> None:
        """What a written build read and wrote, for the next one (``persist`` saves it)."""
        state.template_refs = dict(self.template_refs)
        state.elements = self.elements.rows()
        self.heads = current_heads(self.heads, state.inputs)
        state.heads = heads_text(self.heads)
        self.state, self.state_files, self.unsaved_state = state, files, state

    def take_notes(self) -> list[str]:
        """What the build database has to say so far (its caches, the stored model, the state saved), said once: taken
        after ``persist``, so that a state or a cache that could not be saved is said too."""
        notes = list(self.notes)
        self.notes.clear()
        return notes

    def persist(self) -> None:
        """Save the build state and the memo stores to ``.briefgen-cache/``."""
        if self.unsaved_state is not None and self.enabled:
            try:
                save_state(self.project, self.unsaved_state)
            except OSError as exc:
                self.notes.append(f"could not save the build state ({exc.strerror})")
        self.unsaved_state = None
        try:
            self.memo.save()
        except OSError as exc:  # a full disk: the site is written; the next build is only slower
            self.notes.append(f"could not save the build cache ({exc.strerror})")
