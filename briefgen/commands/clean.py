"""`briefgen clean`: remove the build cache (and, with --site, the built site)."""

from __future__ import annotations

import shutil

import click

from briefgen.commands._common import config_option, output_option, source_option
from briefgen.project import Project


@click.command()
@source_option
@output_option
@config_option
@click.option("--site", "site_too", is_flag=True, help="Also remove the output folder (SOURCE/site or --output).")
def clean(source, output, config, site_too) -> None:
    """Remove SOURCE/.briefgen-cache/, so the next build starts cold."""
    from briefgen.cache import CACHE_DIR

    project = Project.at(source, output, config)
    removed = []
    cache = project.root / CACHE_DIR
    if cache.is_dir():
        shutil.rmtree(cache)
        removed.append(project.rel(cache) + "/")
    if site_too and project.output.exists():
        problem = project.output_problem()
        if problem:
            raise click.UsageError(f"refusing to remove {project.rel(project.output)}: {problem}")
        shutil.rmtree(project.output)
        removed.append(project.rel(project.output) + "/")
    click.echo(f"Removed {', '.join(removed)}." if removed else "Nothing to remove.")


command = clean
