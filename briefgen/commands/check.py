"""`briefgen check`: every problem in the project, without writing the site.

The same stages as ``build`` (load, assemble, render in memory, link check),
so check and build can never disagree; only the write is left out. With
``--external`` it also asks the web whether cited pages still answer.
``--format json`` prints one JSON object for editors and CI.
"""

from __future__ import annotations

import json
import sys

import click

from briefgen.commands._common import config_option, print_problems, source_option
from briefgen.problems import BuildError, Problem, Problems
from briefgen.project import Project


def run_check(
    project: Project,
    *,
    external: bool = False,
    jobs: int = 8,
    timeout: float = 10.0,
    use_cache: bool = True,
    private: bool = False,
) -> list[Problem]:
    """Load, assemble, render and link-check ``project``; return every problem found, sorted."""
    from briefgen.checks.linkcheck import check_links
    from briefgen.engine.build import load_and_assemble, render_site

    problems = Problems()
    try:
        site, pages = load_and_assemble(project, problems)
    except BuildError as exc:
        return exc.problems
    files, copies = render_site(site, pages, project, problems)
    if problems.errors:  # a broken template: links on half-rendered pages mean nothing
        return problems.sorted()
    check_links(files, pages, problems, set(copies))
    if external:
        from briefgen.checks.external_links import check_external

        check_external(
            project,
            files,
            pages,
            site.config.base_url,
            problems,
            jobs=jobs,
            timeout=timeout,
            use_cache=use_cache,
            private=private,
        )
    return problems.sorted()


@click.command()
@source_option
@config_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any problem).")
@click.option("--external", is_flag=True, help="Also check that external links answer (uses the network).")
@click.option(
    "--external-private",
    is_flag=True,
    help="With --external, also request loopback, link-local and private addresses (skipped by default).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=8, show_default=True, help="External requests at once."
)
@click.option(
    "--timeout", type=click.FloatRange(0.1, 120), default=10.0, show_default=True, help="Seconds per external request."
)
@click.option("--no-cache", is_flag=True, help="Ask again about external links that were good recently.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
def check(source, config, strict, external, external_private, jobs, timeout, no_cache, fmt) -> None:
    """Check content, references and links; write nothing. Exit 1 on errors."""
    project = Project.at(source, None, config)
    problems = run_check(
        project, external=external, jobs=jobs, timeout=timeout, use_cache=not no_cache, private=external_private
    )
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    failed = bool(errors) or (strict and bool(warnings))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "ok": not failed,
                    "errors": len(errors),
                    "warnings": len(warnings),
                    "problems": [p.as_dict() for p in problems],
                },
                indent=2,
            )
        )
    else:
        print_problems(problems)
        summary = f"{len(errors)} error(s), {len(warnings)} warning(s)"
        if failed:
            click.secho(f"Check failed: {summary}.", fg="red", err=True)
        else:
            click.echo(f"Check passed: {summary}. Nothing was written.", err=True)
    if failed:
        sys.exit(1)


command = check
