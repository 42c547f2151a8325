"""The build as ``Builder.rebuild`` runs it: the stages of ``pipeline`` with the build database.

Same stages, same order, same bytes as the plain functions in ``pipeline``
(``load_and_assemble``, ``render_site``); what this adds wraps them from outside, one method a step:

* ``plan``: the input table (``database.plan_inputs``) and the last build's recorded outputs;
* ``load``: loading with the database's memos (front matter, Markdown, parsed articles, images), or from
  its stored model when only article files changed (``storedmodel``);
* ``fingerprint``: each page's fingerprint (``fingerprints``); pages whose fingerprint and file are as
  recorded keep the bytes already in the output;
* ``render``: the other pages, on ``jobs`` cores (``parallel``);
* ``outputs``: feeds, sitemap, exports, search, static and ``root/`` files and the manifest; a feed or an
  export whose fingerprint is unchanged is kept (``outputs.kept``);
* ``check_links``: the pages rendered now, or every page once a file they could link to is gone;
* ``write`` and ``record``: the new site swapped in in one step, and what it read and wrote recorded.

A build with no record of the output (a cold one) streams each file into the staging folder as it is made
(``write.Staging``, in the worker that rendered it) and keeps only digests: the link check, search and PDFs
read pages back from there, and the folder is swapped in only if all passed; a rebuild stages its files
once they are all made and checked (``write_site``), linking the unchanged ones unread.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

from briefgen.checks.linkcheck import _SKIP_PREFIXES
from briefgen.content.schedule import next_due_text, site_lines
from briefgen.content.sources import forget_sources
from briefgen.engine import linksahead
from briefgen.engine.environment import Environment
from briefgen.engine.exportkey import ExportKeys
from briefgen.engine.fingerprints import Fingerprints
from briefgen.engine.inputs import bytes_hash, file_digest
from briefgen.engine.parallel import giving_back
from briefgen.engine.pipeline import (
    BuildResult,
    Progress,
    check_links_parallel,
    fail_if_errors,
    load_and_assemble,
    render_into,
)
from briefgen.engine.probe import start as start_probe
from briefgen.engine.sitefiles import SiteFiles
from briefgen.engine.state import BuildState, OutputFile, last_manifest, output_intact, recorded_bytes
from briefgen.engine.write import Staging, output_digest, write_site
from briefgen.outputs.kept import KEPT, Keeper
from briefgen.outputs.lastentries import last_entries
from briefgen.outputs.manifest import MANIFEST_NAME, manifest_bytes
from briefgen.outputs.outputs import extra_outputs
from briefgen.outputs.rootfiles import site_copies
from briefgen.outputs.search import available as search_available
from briefgen.problems import Problems
from briefgen.render.render import Renderer, static_files

__all__ = ["Progress", "Rebuild", "render_into", "run"]  # Progress and render_into: serve.early imports them here
FLAG_NAMES = ("record_changes", "pdf", "file_links", "drafts", "base_url")


def run(builder, changed: set[str] | None, write: bool) -> BuildResult:
    """One (re)build for ``builder``; returns a ``BuildResult`` (see ``build.Builder.rebuild``)."""
    return Rebuild(builder, changed, write).run()


class Rebuild:
    """One run of the pipeline against ``builder``'s build database; each method is a step."""

    def __init__(self, builder, changed: set[str] | None, write: bool):
        self.builder, self.db, self.changed, self.write = builder, builder.db, changed, write
        self.project, self.jobs, self.progress = builder.project, builder.jobs, builder.progress
        self.environment = Environment.of(builder)
        self.problems = Problems()
        self.staging: Staging | None = None
        self.fingerprint: dict[str, str] = {}  # output -> fingerprint of what it was made from
        self.made_by: dict[str, str] = {}  # feed or export -> its fingerprint (briefgen.outputs.kept)
        self.copies: dict[str, Path] = {}
        self.seen: dict[str, os.stat_result] = {}  # the output's intact files, stat'ed (``write.write_site``)
        self.search_note: str | None = None
        self.ahead: linksahead.LinksAhead | None = None  # the link check begun beside the outputs
        self.probe = None  # the output folder looked at on another core (``probe.Probe``)

    def run(self) -> BuildResult:
        started = time.perf_counter()
        if self.write:  # check (write=False) only reads the output folder, whatever it holds: nothing to refuse
            self.builder.check_output()
        collecting = gc.isenabled()  # the stored model turns it off for a while (``_freeze_loaded``)
        thresholds = gc.get_threshold()
        gc.set_threshold(100_000, 50, 100)  # a build allocates millions of small objects and frees few
        frozen = theirs = False  # theirs: the caller had frozen objects of its own (``_freeze_loaded``)
        try:
            self.plan()  # (the state's rows: some 40,000 objects, collected 24 times at Python's threshold)
            self.load()
            frozen, theirs = self._freeze_loaded()
            if collecting:
                gc.enable()
            self.fingerprint_pages()
            self.render()
            if not self.failed:
                with linksahead.beside(self):  # a cold build checks its pages' links meanwhile
                    self.outputs()
            self.check_links()
            result = self.result()
            if self.write:
                self.write_out(result)
                self.record(result)
            if not self.builder.persist_later:
                self.builder.persist()
            result.notes = self.db.take_notes() + ([self.search_note] if self.search_note else [])
        except BaseException:
            if self.staging is not None:
                self.staging.discard()  # a failed build leaves the old site as it was
            raise
        finally:
            if self.probe is not None:
                self.probe.close()
            if (frozen or theirs) and self.db.once and self.db.model.reread is not None:  # the young objects too: the
                gc.freeze()  # process ends, and a last collection of them at Python's threshold cost an edit 0.02 s
            if frozen:
                gc.unfreeze()
            if collecting:
                gc.enable()
            gc.set_threshold(*thresholds)
        result.seconds = time.perf_counter() - started
        return result

    # --- the steps ------------------------------------------------------------------------

    def _freeze_loaded(self) -> tuple[bool, bool]:
        """A one-off build's site made from the stored model stays alive until the process ends: leave it out of
        the collector's passes (``gc.freeze``; ``run`` unfreezes at its end, for a caller that builds again).
        Each pass over it cost an edit 0.03-0.09 s at 4,000 articles. A whole load is left as it was: it makes
        garbage of its own that freezing would keep until the end of the build. (whether ``run`` unfreezes, whether
        the caller had frozen objects of its own), or (False, False) when nothing was frozen: the caller's
        (``commands.build``: the modules) stay its to unfreeze. ``gc.get_freeze_count`` walks every frozen object
        (6 ms each time in an edit at 4,000 articles): asked here only.
        The stored model turned the collector off while it made the site (``storedmodel``); ``run`` turns it on."""
        if not (self.db.once and self.db.model.reread is not None):
            return False, False
        mine = gc.get_freeze_count() == 0
        gc.freeze()
        return mine, not mine

    def plan(self) -> None:
        """The last build's state, if it is this code's for this output, and the input table now."""
        self.last = self.db.last_state(self.environment)
        self.inputs = self.db.plan_inputs(self.last, self.changed)
        self.previous: dict[str, OutputFile] = self.last.outputs if self.last else {}
        # a command-line rebuild has its output folder looked at on another core meanwhile
        self.probe = start_probe(self.project.output, self.previous, fork=self.write and self.db.once)

    def load(self) -> None:
        """Load, review and assemble, with the database's memos."""
        builder, db = self.builder, self.db
        self.progress.stage("Loading content")
        flags = {k: getattr(builder, k) for k in FLAG_NAMES if hasattr(builder, k)}
        db.start_loading(self.inputs)
        try:
            load = db.model.loader(self.inputs, self.environment)  # the stored model's, or the whole load
            self.site, self.pages = load_and_assemble(
                self.project,
                self.problems,
                builder.strict,
                memo=db.memo,
                pack_bodies=db.pack_bodies,
                load=load,
                **flags,
            )
        finally:
            db.done_loading()
        self.site.config, self.search_note = search_available(self.site.config)  # pages link to the index
        db.loaded()
        if db.once:  # nothing reads the Markdown again but the link check, for a broken link's line
            forget_sources(self.site)
        self.statics = static_files(self.project)
        self.renderer = Renderer(self.site, self.project, self.statics)

    def fingerprint_pages(self) -> None:
        """Each page's fingerprint, and which pages keep the bytes of the last build (``reused``)."""
        project, previous = self.project, self.previous
        self.prints = Fingerprints(self.site, project, self.inputs, self.renderer.env, self.environment.code, self.db)
        outputs = {p.output for p in self.pages}
        self.touched = self.probe.intact(outputs, self.seen) if previous else set()  # (``state.output_intact``)
        early = getattr(self.builder, "early", None)  # serve: the pages a browser shows, rendered first
        self.in_place = bool(previous) and project.output.is_dir()  # not a whole new site
        wanted = early and self.in_place and self.write
        self.first = early(self.site, self.pages, self.renderer, self.stale) if wanted else {}
        last, of = self.prints.last_of, self.prints.of  # (a report's page whose element was carried: as recorded)
        for page in self.pages:
            if page.output not in self.fingerprint:
                self.fingerprint[page.output] = last(page, previous) or of(page)
        # A one-off build leaves an unchanged page in the output folder, unread (``SiteFiles``); a session
        # (serve) holds the bytes, so that its next rebuild reads nothing either.
        self.read_kept = self.db.session
        self.reused: dict[str, bytes | None] = {}  # None: kept in the output folder, not read
        for page in self.pages:
            if self._unchanged(page.output, self.fingerprint[page.output]):
                data = self._kept_bytes(page.output)
                if data is not None or not self.read_kept:
                    self.reused[page.output] = data
        self.same = set(self.reused)  # files whose bytes are the last build's: pages now, kept feeds later

    def stale(self, page) -> bool:
        """Whether ``page`` must be rendered again (its fingerprint, computed once, or its file changed)."""
        found = self.fingerprint.get(page.output)
        if found is None:
            found = self.fingerprint[page.output] = self.prints.of(page)
        return not self._unchanged(page.output, found)

    def _unchanged(self, rel: str, fingerprint: str) -> bool:
        old = self.previous.get(rel)
        return old is not None and old.fingerprint == fingerprint and rel not in self.touched

    def _kept_bytes(self, rel: str) -> bytes | None:
        """A session's bytes of a kept file (held, or read back); None for a one-off build or when unreadable."""
        if not self.read_kept:
            return None
        data = self.db.state_files.get(rel)
        if data is None:
            try:
                data = (self.project.output / rel).read_bytes()
            except OSError:
                return None
        return data

    def render(self) -> None:
        """Render the pages not kept; a cold build streams each into the staging folder as it is made."""
        project, previous = self.project, self.previous
        todo = [p for p in self.pages if p.output not in self.reused]
        self.known = {rel: (o.digest, o.size, o.mtime_ns) for rel, o in previous.items()}
        if self.write and not (previous and project.output.is_dir()):
            # A whole new site: each file goes straight into the folder that is swapped in at the end,
            # and only its digests stay in memory (``files`` reads a file back when asked).
            self.staging = Staging(project.output, self.known, bytes_hash, sha256=True)
        staging = self.staging
        self.progress.stage("Rendering pages", len(todo))
        sink = staging.write_text if staging is not None else None
        rest = [p for p in todo if p.output not in self.first] if self.first else todo
        rendered, self.failed = render_into(
            self.site, rest, self.renderer, project, self.jobs, self.progress, self.problems, sink
        )
        rendered.update(self.first)
        self.rendered = rendered
        self.files = files = staging.files if staging is not None else SiteFiles(project.output)
        for page in self.pages:  # page order, as a clean build has it
            if staging is not None and page.output in rendered:
                staging.note(page.output, rendered[page.output])
                continue
            data = rendered.get(page.output, self.reused.get(page.output))
            if data is not None:
                files[page.output] = data
            elif page.output in self.reused:
                files.keep(page.output)

    def outputs(self) -> None:
        """Feeds, sitemap, exports, search, copies and the manifest (last: it lists every file)."""
        self.progress.stage("Feeds, sitemap and search")
        site, files, staging = self.site, self.files, self.staging
        keeper = Keeper(
            self.prints.feed_key,
            ExportKeys(self.prints.global_digest, self.inputs, self.db.heads, self.project.root, self.previous),
            self.still_there,
            self.made_by,
            site_key=self.prints.global_digest,
            last_entries=self._last_entries(),
        )
        # the feeds' entries kept only for a later build in this process (not after ``briefgen build``)
        common = dict(keeper=keeper, sitemap_memo=self.db.sitemap, keep_entries=not self.db.once)
        if staging is None:
            made = extra_outputs(site, self.pages, self.renderer, files, self.problems, **common)
            for rel, data in made.items():
                if data is KEPT:
                    self.same.add(rel)
                    if not self.read_kept:
                        files.keep(rel)
                        continue
                    data = self.db.state_files.get(rel)  # serve holds every file's bytes
                    if data is None:
                        data = (self.project.output / rel).read_bytes()
                files[rel] = data
        else:  # each straight into the staging folder, as it is made
            extra_outputs(
                site, self.pages, self.renderer, files, self.problems, sink=giving_back(staging.put), **common
            )
        self.copies = site_copies(self.project, self.statics, files, self.problems)  # static and root/ files
        if staging is None:  # kept files as the last manifest lists them, if it is intact
            listed = last_manifest(self.project.output, self.previous)
            kept = {rel: listed[rel] for rel in self.same if rel in listed and files.kept(rel)}
            files[MANIFEST_NAME] = manifest_bytes(site.config.base_url, files, self.copies, kept, self.db.manifest)
        else:  # hashed as they were staged: nothing to read back
            files[MANIFEST_NAME] = manifest_bytes(
                site.config.base_url, {}, self.copies, staging.sha256, self.db.manifest
            )

    def _last_entries(self):
        """Where a feed made again takes the entries of reports carried from a last build with these flags here."""
        if not (self.in_place and self.last and self.environment.same_as(self.last.summary.get("environment"))):
            return None
        held = self.db.state_files if self.read_kept else None
        return last_entries(recorded_bytes(self.project.output, self.previous, held), self.prints.carried_paths)

    def still_there(self, rel: str, key: str) -> bool:
        """Whether the last build wrote ``rel`` from the same inputs, and it is as written."""
        old = self.previous.get(rel)
        return (
            self.in_place
            and old is not None
            and old.fingerprint == key
            and not output_intact(self.project.output, {rel: old})
        )

    def check_links(self) -> None:
        """Check the pages rendered now. Pages kept from the last build were checked then; once a file they
        could link to is gone (a deleted article, a new slug), every page is checked again, read back."""
        self.progress.stage("Checking links")
        files, copies = self.files, self.copies
        gone = any(
            rel not in files and rel not in copies and not rel.startswith(_SKIP_PREFIXES) for rel in self.previous
        )
        checked = self.pages if gone else [p for p in self.pages if p.output in self.rendered]
        if self.ahead is None or not self.ahead.finish(files, set(copies), self.problems):
            check_links_parallel(files, checked, self.problems, set(copies), self.jobs, remember=self.staging is None)
        if self.write:  # write=False (check): the errors are in the result, with the files, for check's own stages
            fail_if_errors(self.problems, self.builder.strict)

    def result(self) -> BuildResult:
        result = BuildResult(self.site, self.pages, self.files, self.copies, self.problems.sorted())
        result.rendered, result.reused = len(self.rendered), len(self.reused)
        result.renderer = self.renderer
        result.memo = self.db.memo
        result.reread = self.db.model.reread
        return result

    def write_out(self, result: BuildResult) -> None:
        """Swap the new site in, in one step; ``self.digests``: each file written, by its content hash."""
        self.progress.stage("Writing")
        staging, files, copies = self.staging, self.files, self.copies
        digests = self.digests = {}
        if staging is not None:
            digests.update(staging.digests)
        else:
            for rel in files:  # a kept file's bytes are the ones recorded; the others' hashed for the manifest
                old = self.previous.get(rel)
                same = rel in self.same and old is not None
                digests[rel] = old.digest if same else output_digest(self.db.manifest, files[rel])
        for rel, source in copies.items():
            digests[rel] = file_digest(source)
        if staging is not None:
            for rel, source in copies.items():
                staging.copy(rel, source, digests[rel])
            result.stats = staging.commit()
        else:  # a rebuild with a record of the output: unchanged files linked, not read
            listing = self.probe.listing()  # what the output folder holds, if the probe looked
            result.stats = write_site(
                self.project.output, files, copies, known=self.known, digests=digests, seen=self.seen, listing=listing
            )

    def record(self, result: BuildResult) -> None:
        """What this build read (the input table, the environment) and wrote, for the next one."""
        outputs = {}
        linked = result.stats.linked if result.stats is not None else {}  # as staged: not stat'ed again
        folder = str(self.project.output) + os.sep
        for rel, digest in self.digests.items():
            found = linked.get(rel)
            if found is None:
                try:
                    st = os.stat(folder + rel)
                except OSError:
                    continue
                found = (st.st_size, st.st_mtime_ns)
            made_from = self.fingerprint.get(rel) or self.made_by.get(rel)
            outputs[rel] = OutputFile(digest, found[0], found[1], made_from)
        summary = {
            "counts": dict(result.counts),
            "files": len(self.files),
            "warnings": [str(w) for w in result.warnings],
            "problems": [w.as_dict() for w in result.warnings],  # check repeats them when nothing changed
            "search_missing": self.search_note is not None,  # the next build runs if Pagefind is there by then
            # briefgen.content.schedule: a report due later needs a build then
            "next_due": next_due_text(self.site),
            "schedule": site_lines(self.site),
            # the clock and the flags (--pdf, --drafts...; serve records no changes): ``unchanged`` compares them
            "environment": self.environment.record(),
        }
        state = BuildState(self.environment.code, str(self.project.output), self.inputs, outputs, summary)
        # serve reuses these bytes; a streamed site is read back from the output folder instead
        self.db.record(state, self.files if self.staging is None else {})
