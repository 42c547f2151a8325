"""The build as ``Builder.rebuild`` runs it: cached, parallel and incremental.

Same stages, same order, same bytes as the plain functions in ``build``
(``load_and_assemble``, ``render_site``, ``check_links``, ``write_site``);
what this adds wraps them from outside:

* the content-hash cache (``briefgen.engine.cache``) around loading and Markdown;
* pages rendered, and their links checked, on ``jobs`` cores (``briefgen.engine.parallel``);
* only pages whose fingerprint changed are rendered (``briefgen.engine.incremental``);
  the others keep the bytes already in the output, and the write stage
  compares with the hashes recorded last time instead of reading old files;
* a build with no record of the output (a cold one) streams each file into
  the staging folder as it is made (``write.Staging``, in the worker that
  rendered it) and keeps only digests: the link check, search and PDFs read
  pages back from there, and the folder is swapped in only if all passed;
  a rebuild stages its files once they are all made and checked (``write_site``),
  linking the unchanged ones unread. Either way the output changes in one step.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import jinja2

from briefgen.checks.linkcheck import _SKIP_PREFIXES
from briefgen.engine.parallel import map_chunks

_TEMPLATE_ERRORS = (jinja2.TemplateError, TypeError, AttributeError, ValueError, KeyError)
LINKCHECK_PARALLEL_MIN = 400  # pages; fewer are checked in-line


class Progress:
    """Stage callbacks for a progress display; the default shows nothing."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


def render_pages(site, pages, renderer, project, jobs: int, progress: Progress, sink=None) -> list[tuple]:
    """[(output, bytes or None, problem-where or None)] for ``pages``, in order.

    With ``sink``, each page's bytes go to ``sink(output, bytes)`` where they were rendered (in the
    worker), and its answer (small: a digest, not the page) takes the place of the bytes.
    """
    from briefgen.outputs.outputs import head_for
    from briefgen.render.render import template_problem

    def work(start: int, stop: int) -> list[tuple]:
        out = []
        for page in pages[start:stop]:
            try:
                data = renderer.render(page, head_for(site, page, renderer))
                out.append((page.output, data if sink is None else sink(page.output, data), None))
            except Exception as exc:  # a user's template override is content too: report, don't crash
                if not isinstance(exc, _TEMPLATE_ERRORS):
                    raise
                out.append((page.output, None, template_problem(exc, project)))
        return out

    return map_chunks(work, len(pages), jobs, progress.advance)


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
    from briefgen.checks.linkcheck import check_links
    from briefgen.problems import Problems

    if jobs == 1 or len(pages) < LINKCHECK_PARALLEL_MIN:
        check_links(files, pages, problems, statics, remember)
        return

    def work(start: int, stop: int) -> list:
        local = Problems()
        check_links(files, pages[start:stop], local, statics, remember)
        return local.items

    problems.items.extend(map_chunks(work, len(pages), jobs))


def run(builder, changed: set[str] | None, write: bool):
    """One (re)build for ``builder``; returns a ``BuildResult`` (see ``build.Builder.rebuild``)."""
    from briefgen.content.images import CACHE as IMAGES
    from briefgen.content.load import known_digests
    from briefgen.engine.build import BuildResult, _fail_if_errors, load_and_assemble
    from briefgen.engine.cache import code_fingerprint
    from briefgen.engine.incremental import (
        BuildState,
        Fingerprints,
        OutputFile,
        build_environment,
        bytes_digest,
        file_digest,
        load_state,
        output_intact,
        scan_inputs,
    )
    from briefgen.engine.write import SiteFiles, Staging, write_site
    from briefgen.outputs.kept import KEPT, Keeper
    from briefgen.outputs.manifest import MANIFEST_NAME, manifest_bytes
    from briefgen.outputs.outputs import extra_outputs
    from briefgen.outputs.rootfiles import site_copies
    from briefgen.outputs.search import available as search_available
    from briefgen.pages.pack import keep_bodies
    from briefgen.problems import Problems
    from briefgen.render.render import Renderer, static_files

    started = time.perf_counter()
    project, jobs, progress = builder.project, builder.jobs, builder.progress
    if write:  # check (write=False) only reads the output folder, whatever it holds: nothing to refuse
        builder.check_output()
    code = code_fingerprint()
    state: BuildState | None = builder.state
    if state is None and builder.use_cache:
        state = load_state(project, code)
    if state is not None and (state.code != code or state.output != str(project.output)):
        state = None
    inputs = scan_inputs(project, state.inputs if state else None, changed)

    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)  # a build allocates millions of small objects and frees few
    staging = None
    try:
        problems = Problems()
        progress.stage("Loading content")
        options = {
            k: getattr(builder, k)
            for k in ("record_changes", "pdf", "file_links", "drafts", "base_url")
            if hasattr(builder, k)
        }
        input_digests = {rel: info.digest for rel, info in inputs.items()}
        IMAGES[0] = builder.cache.dir / "images" if builder.use_cache else None  # resized copies, by content hash
        builder.cache.start()
        try:
            with known_digests(input_digests, not builder.once):  # unchanged files: parsed once
                site, pages = load_and_assemble(project, problems, builder.strict, memo=builder.cache, **options)
        finally:
            builder.cache.finish()
        site.config, search_note = search_available(site.config)  # before rendering: pages link to the index
        if builder.once:
            builder.cache.release()
        keep_bodies(not builder.once)  # a pack's rewritten reports, for the next render of the pack
        statics = static_files(project)
        renderer = Renderer(site, project, statics)
        prints = Fingerprints(site, project, inputs, renderer.env, code)
        previous = state.outputs if state else {}
        touched = output_intact(project.output, previous, {p.output for p in pages}) if previous else set()
        fingerprint: dict[str, str] = {}

        def stale(page) -> bool:
            """Whether ``page`` must be rendered again (its fingerprint, computed once, or its file changed)."""
            found = fingerprint.get(page.output)
            if found is None:
                found = fingerprint[page.output] = prints.of(page)
            old = previous.get(page.output)
            return old is None or old.fingerprint != found or page.output in touched

        early = getattr(builder, "early", None)  # serve: the pages a browser shows, rendered and written first
        in_place = bool(previous) and project.output.is_dir()  # not a whole new site (see below)
        first = early(site, pages, renderer, stale) if early is not None and in_place and write else {}
        for page in pages:
            if page.output not in fingerprint:
                fingerprint[page.output] = prints.of(page)
        memory = getattr(builder, "state_files", None) or {}
        # A one-off build leaves an unchanged page in the output folder, unread (``SiteFiles``); a session
        # (serve) holds the bytes, so that its next rebuild reads nothing either.
        read_kept = builder.cache.session
        reused: dict[str, bytes | None] = {}  # None: kept in the output folder, not read
        for page in pages:
            old = previous.get(page.output)
            if old is None or old.fingerprint != fingerprint[page.output] or page.output in touched:
                continue
            data = memory.get(page.output) if read_kept else None
            if data is None and read_kept:
                try:
                    data = (project.output / page.output).read_bytes()
                except OSError:
                    continue
            reused[page.output] = data
        same = set(reused)  # files whose bytes are the last build's: pages now, kept feeds and exports later
        todo = [p for p in pages if p.output not in reused]
        known = {rel: (o.digest, o.size, o.mtime_ns) for rel, o in previous.items()}
        if write and not (previous and project.output.is_dir()):
            # A whole new site: each file goes straight into the folder that is swapped in at the end,
            # and only its digests stay in memory (``files`` reads a file back when asked).
            staging = Staging(project.output, known, bytes_digest, sha256=True)

        progress.stage("Rendering pages", len(todo))
        sink = staging.write if staging is not None else None
        rest = [p for p in todo if p.output not in first] if first else todo
        rendered, failed = render_into(site, rest, renderer, project, jobs, progress, problems, sink)
        rendered.update(first)
        files = staging.files if staging is not None else SiteFiles(project.output)
        for page in pages:  # page order, as a clean build has it
            if staging is not None and page.output in rendered:
                staging.note(page.output, rendered[page.output])
                continue
            data = rendered.get(page.output, reused.get(page.output))
            if data is not None:
                files[page.output] = data
            elif page.output in reused:
                files.keep(page.output)
        copies: dict[str, Path] = {}
        made_by: dict[str, str] = {}  # feed or export -> its fingerprint (briefgen.outputs.kept)

        def still_there(rel: str, key: str) -> bool:
            """Whether the last build wrote ``rel`` from the same inputs, and it is as written."""
            old = previous.get(rel)
            return (
                in_place
                and old is not None
                and old.fingerprint == key
                and not output_intact(project.output, {rel: old})
            )

        if not failed:
            progress.stage("Feeds, sitemap and search")
            keeper = Keeper(prints.feed_key, lambda p: fingerprint[p.output], still_there, made_by)
            if staging is None:
                for rel, data in extra_outputs(site, pages, renderer, files, problems, keeper=keeper).items():
                    if data is KEPT:
                        same.add(rel)
                        if not read_kept:
                            files.keep(rel)
                            continue
                        data = memory.get(rel)  # serve holds every file's bytes
                        if data is None:
                            data = (project.output / rel).read_bytes()
                    files[rel] = data
            else:  # each straight into the staging folder, as it is made
                extra_outputs(site, pages, renderer, files, problems, sink=staging.put, keeper=keeper)
            copies = site_copies(project, statics, files, problems)  # static files and root/'s files
            if staging is None:  # kept files as the last manifest lists them, if it is intact
                listed = _last_manifest(project.output, previous)
                kept = {rel: listed[rel] for rel in same if rel in listed and files.kept(rel)}
                files[MANIFEST_NAME] = manifest_bytes(site.config.base_url, files, copies, kept)
            else:  # hashed as they were staged: nothing to read back
                files[MANIFEST_NAME] = manifest_bytes(site.config.base_url, {}, copies, staging.sha256)
        progress.stage("Checking links")
        # Pages kept from the last build were checked then; once a file they could link to is gone (a
        # deleted article, a new slug), every page is checked again, the kept ones read back from the output.
        gone = any(rel not in files and rel not in copies and not rel.startswith(_SKIP_PREFIXES) for rel in previous)
        checked = pages if gone else [p for p in pages if p.output in rendered]
        check_links_parallel(files, checked, problems, set(copies), jobs, remember=staging is None)
        if write:  # write=False (check): the errors are in the result, with the files, for check's own stages
            _fail_if_errors(problems, builder.strict)

        result = BuildResult(site, pages, files, copies, problems.sorted())
        result.rendered, result.reused = len(rendered), len(reused)
        result.renderer = renderer
        result.notes = list(builder.cache.notes) + ([search_note] if search_note else [])
        builder.cache.notes.clear()
        if write:
            progress.stage("Writing")
            digests = {}
            if staging is not None:
                digests.update(staging.digests)
            else:
                for rel in files:
                    old = previous.get(rel)
                    # a kept file's bytes are the ones recorded: no need to read or hash them again
                    digests[rel] = old.digest if rel in same and old is not None else bytes_digest(files[rel])
            for rel, source in copies.items():
                digests[rel] = file_digest(source)
            if staging is not None:
                for rel, source in copies.items():
                    staging.copy(rel, source, digests[rel])
                result.stats = staging.commit()
            else:  # a rebuild with a record of the output: unchanged files linked, not read
                result.stats = write_site(project.output, files, copies, known=known, digests=digests)
            outputs = {}
            for rel, digest in digests.items():
                try:
                    st = os.stat(project.output / rel)
                except OSError:
                    continue
                outputs[rel] = OutputFile(digest, st.st_size, st.st_mtime_ns, fingerprint.get(rel) or made_by.get(rel))
            summary = {
                "counts": dict(result.counts),
                "files": len(files),
                "warnings": [str(w) for w in result.warnings],
                "problems": [w.as_dict() for w in result.warnings],  # check repeats them when nothing changed
                "pdf": getattr(builder, "pdf", False),
                "file_links": getattr(builder, "file_links", False),  # build --file-links: the next build runs
                "search_missing": search_note is not None,  # the next build runs if Pagefind is there by then
                # False after a serve rebuild: the next build must run to record what changed (briefgen.briefing.changes)
                "recorded": getattr(builder, "record_changes", True),
                # briefgen.content.schedule: a preview's site is not a normal build's; a report due later needs a build then
                "drafts": getattr(builder, "drafts", False),
                "base_url": getattr(builder, "base_url", None),
                "next_due": _next_due(site),
                "schedule": site_lines(site),
                "environment": build_environment(),  # briefgen.engine.incremental.nothing_changed compares it
            }
            new_state = BuildState(code, str(project.output), inputs, outputs, summary)
            # serve reuses these bytes; a streamed site is read back from the output folder instead
            builder.state, builder.state_files = new_state, files if staging is None else {}
            builder.unsaved_state = new_state
        if not builder.persist_later:
            builder.persist()
    except BaseException:
        if staging is not None:
            staging.discard()  # a failed build leaves the old site as it was
        raise
    finally:
        gc.set_threshold(*thresholds)
    result.seconds = time.perf_counter() - started
    return result


def site_lines(site) -> list[str]:
    from briefgen.content.schedule import site_lines as lines

    return lines(site)


def _next_due(site) -> str | None:
    due = getattr(getattr(site, "schedule", None), "next_due", None)
    return due.isoformat() if due is not None else None


def _last_manifest(output: Path, previous: dict) -> dict[str, str]:
    """path -> SHA-256 from the manifest the last build wrote, if it is still as written; else {}."""
    from briefgen.engine.incremental import output_intact
    from briefgen.outputs.manifest import MANIFEST_NAME, read_manifest

    if MANIFEST_NAME not in previous or output_intact(output, {MANIFEST_NAME: previous[MANIFEST_NAME]}):
        return {}
    try:
        return read_manifest((output / MANIFEST_NAME).read_bytes())
    except OSError:
        return {}
