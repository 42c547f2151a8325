"""`briefgen publish`: build, check, then put the site where readers get it.

Targets come from the command line or from ``publish:`` in briefgen.yaml
(``git``, ``branch``, ``dir``, ``max_deletes``, ``max_report_share``,
``message``; ``s3``, ``endpoint_url``, ``invalidate``, ``headers``); paths in
the config are relative to the project folder.
Nothing is published when the build or its link check fails. ``--dry-run``
builds into a temporary folder without the cache (the change history is read
from the site, not written), so it changes nothing anywhere. See
``briefgen.publish.plan``, ``briefgen.publish.git`` and ``briefgen.publish.s3`` for
how each target is updated safely.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import click

from briefgen.commands._common import base_url_option, config_option, output_option, print_problems, source_option
from briefgen.problems import BuildError
from briefgen.project import Project


def _build_lock(project: Project):
    """Publish holds the project's build lock from the build to the last push or upload (briefgen.engine.lock)."""
    from briefgen.engine.lock import project_lock

    return project_lock(project.root, command="briefgen publish")


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
@click.option(
    "--s3", "s3_target", metavar="s3://BUCKET[/PREFIX]", default=None, help="Bucket (and prefix) to upload to."
)
@click.option("--endpoint-url", default=None, help="Endpoint of an S3-compatible service (R2, MinIO) for --s3.")
@click.option(
    "--invalidate",
    metavar="DISTRIBUTION_ID",
    default=None,
    help="CloudFront distribution in which --s3 invalidates the changed paths.",
)
@click.option(
    "--dry-run", "-n", is_flag=True, help="Print what would be added, changed and deleted; change nothing anywhere."
)
@click.option(
    "--max-deletes", type=click.IntRange(min=0), default=None, help="Refuse to delete more files (default 25)."
)
@click.option(
    "--max-report-share",
    metavar="PERCENT",
    type=click.FloatRange(0, 100),
    default=None,
    help="Refuse to delete more than this share of the published reports (default 20).",
)
@click.option(
    "--force", is_flag=True, help="Publish past the deletion limits and onto a branch that is not a published site."
)
@source_option
@output_option
@config_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@base_url_option
def publish(
    git_remote,
    branch,
    dir_target,
    message,
    s3_target,
    endpoint_url,
    invalidate,
    dry_run,
    max_deletes,
    max_report_share,
    force,
    source,
    output,
    config,
    strict,
    base_url,
) -> None:
    """Build the site, check it, and publish it with --git REMOTE, --dir PATH and/or --s3 s3://BUCKET."""
    started = time.perf_counter()
    project = Project.at(source, output, config)
    options = {
        "git_remote": git_remote,
        "branch": branch,
        "dir_target": dir_target,
        "message": message,
        "s3_target": s3_target,
        "endpoint_url": endpoint_url,
        "invalidate": invalidate,
        "dry_run": dry_run,
        "max_deletes": max_deletes,
        "max_report_share": max_report_share,
        "force": force,
    }
    if git_remote and git_remote.startswith("-"):  # before building: refused whatever else happens
        _fail(f"refusing the remote {git_remote!r}: it starts with '-', which git would read as an option")
    if dir_target:
        _refuse_unsafe(project, Path(dir_target))  # before building: a wrong target needs no build to be refused
    try:
        with _build_lock(project):
            plans = _build_and_publish(project, strict, base_url, dry_run, options)
    except BuildError as exc:  # another run holds the lock: say who, publish nothing
        print_problems(exc.problems)
        sys.exit(1)
    _report(plans, dry_run, time.perf_counter() - started)


def _build_and_publish(project: Project, strict: bool, base_url, dry_run: bool, options: dict) -> list:
    """Build (a dry run: into a temporary folder, without the cache), then publish or plan every target."""
    if not dry_run:
        return _publish(project, project.output, _build(project, strict, base_url=base_url), options)
    with tempfile.TemporaryDirectory(prefix="briefgen-dry-run-") as scratch:
        # the real site, cache and change history are only read: the plan is a real publish's plan
        built = dataclasses.replace(project, output=Path(scratch) / "site", history_from=project.output)
        result = _build(built, strict, use_cache=False, base_url=base_url)
        return _publish(project, built.output, result, options)


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def _refuse_unsafe(project: Project, folder: Path) -> None:
    from briefgen.outputs.rootfiles import root_dir
    from briefgen.publish.plan import dir_problem

    problem = dir_problem(
        folder,
        {"the project": project.root},
        {
            "content/": project.content_dir,
            "templates/": project.templates_dir,
            "root/": root_dir(project),
            "the built site": project.output,
        },
    )
    if problem:
        _fail(f"refusing to publish to {folder}: {problem} (choose a folder of its own)")


def _build(project: Project, strict: bool, use_cache: bool = True, base_url: str | None = None):
    from briefgen.engine.build import build

    try:
        result = build(project, strict=strict, use_cache=use_cache, base_url=base_url)
    except BuildError as exc:
        print_problems(exc.problems)
        click.secho(
            "Refusing to publish: the build or its link check failed. Nothing was published.", fg="red", err=True
        )
        sys.exit(1)
    print_problems(result.warnings)
    return result


def _publish(project: Project, site: Path, result, options: dict) -> list:
    """Carry out (or, in a dry run, plan) every target; ``options`` are the command's."""
    from briefgen.publish.git import publish_git
    from briefgen.publish.plan import PublishError, publish_dir

    settings = result.site.config.publish
    remote = options["git_remote"] or settings.git
    dir_target = options["dir_target"]
    folder = Path(dir_target) if dir_target else (project.root / settings.dir if settings.dir else None)
    bucket = options["s3_target"] or settings.s3
    if not remote and folder is None and not bucket:
        raise click.UsageError(
            "nothing to publish to: give --git REMOTE, --dir PATH or --s3 s3://BUCKET, "
            "or set publish: git/dir/s3 in briefgen.yaml"
        )
    if not bucket and (options["endpoint_url"] or options["invalidate"]):
        raise click.UsageError("--endpoint-url and --invalidate go with --s3 s3://BUCKET (or publish: s3:)")
    limits = {
        "dry_run": options["dry_run"],
        "force": options["force"],
        "max_deletes": settings.max_deletes if options["max_deletes"] is None else options["max_deletes"],
        "max_report_share": (
            settings.max_report_share if options["max_report_share"] is None else options["max_report_share"]
        ),
    }
    plans = []
    try:
        if folder is not None:
            _refuse_unsafe(project, folder)
            plans.append(publish_dir(site, folder, **limits))
        if remote:
            base = Path.cwd() if options["git_remote"] else project.root
            branch, message = options["branch"] or settings.branch, options["message"] or settings.message
            plans.append(publish_git(site, remote, branch, message, base=base, repo=project.root, **limits))
        if bucket:
            plans.append(_publish_s3(site, result.site.config, bucket, options, limits))
    except PublishError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(
            f"{exc.filename or 'publish'}: {exc.strerror or exc} (publishing stopped there; fix it and publish again)"
        )
    return plans


def _report(plans: list, dry_run: bool, seconds: float) -> None:
    from briefgen.outputs.rootfiles import lost_host_files

    for plan in plans:
        if dry_run:
            click.echo(f"Dry run: publishing to {plan.target} would do this ({plan.summary()}):")
            for line in plan.lines():
                click.echo(f"  {line}")
        elif plan.empty:
            click.echo(f"{plan.target} is up to date ({plan.unchanged} files); nothing published.")
        else:
            commit = f" in commit {plan.commit[:12]}" if plan.commit else ""
            click.echo(f"Published to {plan.target}{commit}: {plan.summary()}.")
        lost = lost_host_files(plan.deleted)
        if lost:
            click.echo(
                f"note: {'publishing deletes' if dry_run else 'deleted'} {', '.join(lost)} from {plan.target}, "
                f"which the project does not ship; to keep {'them' if len(lost) > 1 else 'it'}, put "
                f"{' and '.join('root/' + p for p in lost)} in the project (docs/publish.md, root files)",
                err=True,
            )
        if not dry_run and getattr(plan, "foreign", None):
            click.echo(f"Left alone {len(plan.foreign)} objects briefgen did not write (--force deletes them):")
            for path in plan.foreign:
                click.echo(f"  {path}")
        if dry_run and plan.refusal:
            click.secho(f"error: {plan.refusal}", fg="red", err=True)
    if not dry_run:
        click.echo(f"Done in {seconds:.2f} s.")
    elif any(plan.refusal for plan in plans):
        sys.exit(1)


def _publish_s3(site: Path, config, bucket: str, options: dict, limits: dict):
    """The --s3 target (``briefgen.publish.s3``), with settings from the command line or briefgen.yaml."""
    from briefgen.publish.s3 import Rule, publish_s3

    settings = config.publish
    return publish_s3(
        site,
        bucket,
        endpoint_url=options["endpoint_url"] or settings.endpoint_url,
        rules=[Rule(r.match, r.cache_control, r.content_type) for r in settings.headers],
        invalidate=options["invalidate"] or settings.invalidate,
        base_url=config.base_url,
        **limits,
    )


command = publish
