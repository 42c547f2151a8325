"""`briefgen build`: content in, complete site out."""

from __future__ import annotations

import gc

import click

from briefgen.commands import nochange
from briefgen.commands._common import (
    base_url_option,
    config_option,
    fail,
    force_option,
    output_option,
    print_problems,
    source_option,
)
from briefgen.commands.nochange import nothing_to_do, report, unchanged_build
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
    asked = nochange.ASKED  # cli.main asked already, before click parsed these arguments: "build"
    listed = nochange.listed(project) if asked else []  # the input files as the shortcut listed them
    if not (no_cache or pdf or file_links or asked) and nothing_to_do(
        project, quiet, strict, started, source, drafts, base_url, listed
    ):
        return
    from briefgen.commands._progress import TerminalProgress, wanted
    from briefgen.engine.build import build as run_build

    if pdf:
        _need_weasyprint()
    progress = TerminalProgress() if wanted(quiet) else None
    _collect_from_here()
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
            listed=listed or None,
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


__all__ = ["build", "command", "report", "unchanged_build"]
command = build


def _need_weasyprint() -> None:
    """``--pdf`` without WeasyPrint: say so before building."""
    from briefgen.pages.pack import PDF_HINT, weasyprint_problem

    missing = weasyprint_problem()
    if missing:
        fail([Problem("--pdf", None, missing, PDF_HINT)])


def _collect_from_here() -> None:
    """Turn the cyclic garbage collector on again if ``cli.main`` turned it off while the pipeline was imported,
    leaving the modules' objects (never garbage) out of its passes for good (``gc.freeze``)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
