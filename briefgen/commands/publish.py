"""`briefgen publish`: build, check, then put the site where readers get it.

Targets come from the command line or from ``publish:`` in briefgen.yaml
(``git``, ``branch``, ``dir``, ``max_deletes``, ``message``); paths in the
config are relative to the project folder. Nothing is published when the
build or its link check fails. See ``briefgen.publish`` for how each target
is updated safely.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from briefgen.commands._common import base_url_option, config_option, output_option, print_problems, source_option
from briefgen.problems import BuildError
from briefgen.project import Project


@click.command()
@click.option(
    "--git",
    "git_remote",
    metavar="REMOTE",
    default=None,
    help="Git remote (URL, path or remote name) to push the site to.",
)
@click.option("--branch", "-b", default=None, help="Branch that receives the site (default: gh-pages).")
@click.option("--dir", "dir_target", metavar="PATH", default=None, help="Folder to sync the site into.")
@click.option("--message", "-m", default=None, help="Commit message for --git.")
@click.option("--dry-run", "-n", is_flag=True, help="Print what would be added, changed and deleted; change nothing.")
@click.option(
    "--max-deletes", type=click.IntRange(min=0), default=None, help="Refuse to delete more files (default 25)."
)
@click.option("--force", is_flag=True, help="Publish even if more than --max-deletes files would be deleted.")
@source_option
@output_option
@config_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@base_url_option
def publish(
    git_remote, branch, dir_target, message, dry_run, max_deletes, force, source, output, config, strict, base_url
) -> None:
    """Build the site, check it, and publish it with --git REMOTE and/or --dir PATH."""
    from briefgen.build import build
    from briefgen.publish import PublishError, dir_problem, publish_dir, publish_git

    started = time.perf_counter()
    project = Project.at(source, output, config)

    def refuse_unsafe(folder: Path) -> None:
        problem = dir_problem(
            folder,
            {"the project": project.root},
            {"content/": project.content_dir, "templates/": project.templates_dir, "the built site": project.output},
        )
        if problem:
            click.secho(
                f"error: refusing to publish to {folder}: {problem} (choose a folder of its own)", fg="red", err=True
            )
            sys.exit(1)

    if dir_target:
        refuse_unsafe(Path(dir_target))  # before building: a wrong target needs no build to be refused
    try:
        result = build(project, strict=strict, base_url=base_url)
    except BuildError as exc:
        print_problems(exc.problems)
        click.secho(
            "Refusing to publish: the build or its link check failed. Nothing was published.", fg="red", err=True
        )
        sys.exit(1)
    print_problems(result.warnings)
    settings = result.site.config.publish
    remote = git_remote or settings.git
    folder = Path(dir_target) if dir_target else (project.root / settings.dir if settings.dir else None)
    if not remote and folder is None:
        raise click.UsageError(
            "nothing to publish to: give --git REMOTE or --dir PATH, or set publish: git/dir in briefgen.yaml"
        )
    limit = settings.max_deletes if max_deletes is None else max_deletes
    plans = []
    try:
        if folder is not None:
            refuse_unsafe(folder)
            plans.append(publish_dir(project.output, folder, dry_run=dry_run, max_deletes=limit, force=force))
        if remote:
            base = Path.cwd() if git_remote else project.root
            plans.append(
                publish_git(
                    project.output,
                    remote,
                    branch or settings.branch,
                    message or settings.message,
                    dry_run=dry_run,
                    max_deletes=limit,
                    force=force,
                    base=base,
                    repo=project.root,
                )
            )
    except PublishError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
    seconds = time.perf_counter() - started
    for plan in plans:
        if dry_run:
            click.echo(f"Dry run: publishing to {plan.target} would do this ({plan.summary()}):")
            for line in plan.lines():
                click.echo(f"  {line}")
            if plan.refusal:
                click.secho(f"error: {plan.refusal}", fg="red", err=True)
        elif plan.empty:
            click.echo(f"{plan.target} is up to date ({plan.unchanged} files); nothing published.")
        else:
            commit = f" in commit {plan.commit[:12]}" if plan.commit else ""
            click.echo(f"Published to {plan.target}{commit}: {plan.summary()}.")
    if not dry_run:
        click.echo(f"Done in {seconds:.2f} s.")
    elif any(plan.refusal for plan in plans):
        sys.exit(1)


command = publish
