"""`briefgen build`: content in, complete site out."""

from __future__ import annotations

import click

from briefgen.commands._common import (
    base_url_option,
    config_option,
    fail,
    force_option,
    output_option,
    print_problems,
    source_option,
)
from briefgen.problems import BuildError, Problem
from briefgen.project import Project


@click.command()
@source_option
@output_option
@config_option
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--pdf", is_flag=True, help="Also write each topic's briefing pack as PDF (needs WeasyPrint).")
@click.option(
    "--file-links",
    is_flag=True,
    help="End every internal link in index.html, so the site works opened from the disk (links: files).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that render in parallel (default: one per core; 1 = this process only).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .briefgen-cache/ (a full, cold build).")
@click.option("--drafts", is_flag=True, help="Also show drafts and scheduled reports, with a banner (a preview).")
@base_url_option
@force_option
def build(source, output, config, quiet, strict, pdf, file_links, jobs, no_cache, drafts, base_url, force) -> None:
    """Build the site into SOURCE/site (or --output)."""
    import time

    from briefgen.engine.lock import project_lock
    from briefgen.engine.oserrors import os_problem

    started = time.perf_counter()
    project = Project.at(source, output, config)
    try:
        with project_lock(project.root):
            _build(project, source, quiet, strict, pdf, file_links, jobs, no_cache, drafts, base_url, force, started)
    except BuildError as exc:
        fail(exc.problems)
    except OSError as exc:  # the disk, not the content: one located line, the previous site as it was
        fail([os_problem(exc, project)])


def _build(
    project: Project, source, quiet, strict, pdf, file_links, jobs, no_cache, drafts, base_url, force, started: float
) -> None:
    from briefgen.engine.swap import recover

    for note in recover(project.output):  # a build killed mid-swap: finish or undo it before anything reads
        click.echo(f"note: {project.rel(project.output)}: {note}", err=True)
    if (
        not no_cache
        and not pdf
        and not file_links
        and _nothing_to_do(project, quiet, strict, started, source, drafts, base_url)
    ):
        return
    from briefgen.commands._progress import TerminalProgress, wanted
    from briefgen.engine.build import build as run_build

    if pdf:
        from briefgen.pages.pack import PDF_HINT, weasyprint_problem

        missing = weasyprint_problem()
        if missing:
            fail([Problem("--pdf", None, missing, PDF_HINT)])
    progress = TerminalProgress() if wanted(quiet) else None
    try:
        result = run_build(
            project,
            strict=strict,
            pdf=pdf,
            jobs=jobs,
            use_cache=not no_cache,
            progress=progress,
            file_links=file_links,
            drafts=drafts,
            base_url=base_url,
            force=force,
        )
    finally:
        if progress:
            progress.close()
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if not quiet:
        print_problems(result.warnings)
        stats = result.stats
        report(
            project,
            source,
            dict(result.counts),
            result.rendered,
            result.reused,
            len(result.files) - len(result.pages),
            started,
            f"{stats.changed} written, {stats.unchanged} unchanged, {stats.removed} removed",
            len(result.warnings),
        )
        from briefgen.content.schedule import site_lines

        for line in site_lines(result.site):
            click.echo(line)


def _nothing_to_do(
    project: Project, quiet: bool, strict: bool, started: float, source, drafts: bool = False, base_url=None
) -> bool:
    """Nothing changed since the last build: say so without loading the pipeline."""
    last = unchanged_build(project, strict=strict, drafts=drafts, base_url=base_url)
    if last is None:
        return False
    if not quiet:
        for warning in last.summary.get("warnings", []):
            click.echo(warning, err=True)
        counts = last.summary.get("counts", {})
        pages = sum(counts.values())
        report(
            project,
            source,
            counts,
            0,
            pages,
            last.summary.get("files", 0) - pages,
            started,
            f"nothing changed since the last build: 0 written, {last.outputs} unchanged, 0 removed",
            len(last.summary.get("warnings", [])),
        )
        for line in last.summary.get("schedule", []):  # what is scheduled, as the last build said
            click.echo(line)
    return True


def unchanged_build(project: Project, *, strict: bool = False, drafts: bool = False, base_url=None):
    """The last build (``briefgen.engine.unchanged.LastBuild``: its summary and how many files it wrote) when
    building again with these options would make the same site, else None: the "nothing changed" shortcut,
    which ``briefgen check`` takes too."""
    from briefgen.engine.environment import Environment
    from briefgen.engine.unchanged import nothing_changed

    # the run this would be: no --pdf and no --file-links (those always build); --drafts records no changes
    environment = Environment.current(drafts=drafts, base_url=base_url, record_changes=not drafts)
    try:
        last = nothing_changed(project, environment)  # inputs, outputs, code, clock and flags as recorded
    except Exception:  # any doubt: build
        return None
    if last is None or (strict and last.summary.get("warnings")):
        return None
    if last.summary.get("search_missing"):  # built without Pagefind: build again, with search if it is there now
        return None
    if last.summary.get("next_due"):  # (the schedule module, and zoneinfo with it, only when something is due)
        from briefgen.content.schedule import due_since

        if due_since(last.summary):
            return None  # a scheduled report went live (or one was withdrawn) since
    return last


def report(
    project: Project,
    source,
    counts: dict,
    rendered: int,
    reused: int,
    others: int,
    started: float,
    writes: str,
    warnings: int,
) -> None:
    """The summary line of a build and where to find the site."""
    import time

    kinds = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    click.echo(
        f"Built {sum(counts.values())} pages ({kinds}; {rendered} rendered, {reused} reused) and {others} other files "
        f"in {time.perf_counter() - started:.2f} s; {writes}; {warnings} warning(s)."
    )
    out = project.rel(project.output)
    command = "briefgen serve" + (f" --source {source}" if source else "")
    if project.output != project.root / "site":  # --output: serve the same folder
        command += f" --output {out}"
    click.echo(f"The site is in {out}/. Preview it with: {command}, then open http://127.0.0.1:8000/")


command = build
