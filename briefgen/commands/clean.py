"""`briefgen clean`: remove the build cache (and, with --site, the built site)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from briefgen.commands._common import config_option, force_option, output_option, print_problems, source_option
from briefgen.problems import BuildError, Problem
from briefgen.project import Project


@click.command()
@source_option
@output_option
@config_option
@click.option("--site", "site_too", is_flag=True, help="Also remove the output folder (SOURCE/site or --output).")
@force_option
def clean(source, output, config, site_too, force) -> None:
    """Remove SOURCE/.briefgen-cache/ and the spare tree beside the output, so the next build starts cold."""
    from briefgen.engine.lock import project_lock
    from briefgen.engine.oserrors import os_problem

    project = Project.at(source, output, config)
    try:
        with project_lock(project.root):
            removed = _clean(project, site_too, force)
    except BuildError as exc:
        print_problems(exc.problems)
        sys.exit(1)
    except OSError as exc:
        print_problems([os_problem(exc, project)])
        sys.exit(1)
    click.echo(f"Removed {', '.join(removed)}." if removed else "Nothing to remove.")


def _clean(project: Project, site_too: bool, force: bool) -> list[str]:
    from briefgen.engine import spare
    from briefgen.engine.cachedata import CACHE_DIR
    from briefgen.engine.swap import recover, spare_path

    removed = []
    cache = project.root / CACHE_DIR
    if cache.is_symlink():  # the link is the project's; where it points is not: never remove that
        os.unlink(cache)
        removed.append(project.rel(cache) + " (a link; what it points to is left as it was)")
    elif cache.is_dir():
        shutil.rmtree(cache)
        removed.append(project.rel(cache) + "/")
    recover(project.output)  # a build killed mid-swap leaves nothing behind
    if spare.drop(project.output):  # the site before last, which the next build would stage into
        removed.append(project.rel(spare_path(project.output)) + "/")
    if site_too and os.path.lexists(project.output):
        problem = project.output_problem(force=force, doing="remove it")
        if problem:
            raise BuildError([Problem(project.rel(project.output), None, *problem)])
        kept = remove_site(project.output)
        what = project.rel(project.output) + "/"
        removed.append(what + (f" (kept: {', '.join(kept)})" if kept else ""))
    return removed


def remove_site(output: Path) -> list[str]:
    """Remove what briefgen wrote in ``output``: everything but the dot-entries it did not write
    (a ``.git`` checkout...), and the folder itself when nothing is kept. Returns what was kept."""
    from briefgen.engine.listing import existing_files, kept_entries

    if output.is_symlink() or not output.is_dir():
        os.unlink(output)  # a link to a site elsewhere: the link goes, the site stays
        return []
    files, dots = existing_files(output)
    keep = kept_entries(output, dots, set(), set())
    for rel in sorted(files) + sorted(dots - set(keep)):
        path = output / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            os.unlink(path)
    _prune(output)
    return keep


def _prune(folder: Path) -> None:
    """Remove the empty folders under ``folder`` (and it), never walking into a dot-folder."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
            _prune(Path(entry.path))
    if not any(os.scandir(folder)):
        os.rmdir(folder)


command = clean
