"""The command line: thin commands over the shared stages.

Exit status: 0 success, 1 content or config errors, 2 usage errors (click).
A user's mistake is printed as ``path:line: message (hint)``, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from briefgen import __version__
from briefgen.problems import BuildError, Problem
from briefgen.project import Project

source_option = click.option("--source", "-s", type=click.Path(file_okay=False), default=None,
                             help="Project folder (default: the current folder).")
config_option = click.option("--config", "-c", type=click.Path(dir_okay=False), default=None,
                             help="Config file (default: SOURCE/briefgen.yaml).")
output_option = click.option("--output", "-o", type=click.Path(file_okay=False), default=None,
                             help="Output folder (default: SOURCE/site).")


def print_problems(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(str(p), err=True)


def fail(problems: list[Problem]) -> None:
    print_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    click.secho(f"Build failed: {errors} error(s), {warnings} warning(s). The previous site was left as it was.",
                fg="red", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefgen")
def main() -> None:
    """briefgen: turn running stories in Markdown + YAML into a static briefing site."""


@main.command()
@source_option
@output_option
@config_option
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def build(source, output, config, quiet, strict) -> None:
    """Build the site into SOURCE/site (or --output)."""
    from briefgen.build import build as run_build

    project = Project.at(source, output, config)
    try:
        result = run_build(project, strict=strict)
    except BuildError as exc:
        fail(exc.problems)
    if not quiet:
        print_problems(result.warnings)
        counts = result.counts
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        stats = result.stats
        click.echo(
            f"Built {sum(counts.values())} pages ({kinds}) and {len(result.files) - len(result.pages)} other files "
            f"in {result.seconds:.2f} s; {stats.changed} written, {stats.unchanged} unchanged, {stats.removed} removed; "
            f"{len(result.warnings)} warning(s)."
        )
        out = project.rel(project.output)
        click.echo(f"The site is in {out}/. Preview it with: briefgen serve" + (f" --source {source}" if source else ""))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def new(directory) -> None:
    """Create a starter project in DIRECTORY (the example briefing)."""
    from briefgen.starter import create_project

    try:
        create_project(Path(directory))
    except FileExistsError as exc:
        click.echo(f"{directory}: {exc} (choose a new or empty folder)", err=True)
        sys.exit(1)
    click.echo(f"Created a briefgen project in {directory}/. Next: cd {directory} && briefgen build")


@main.command()
def schema() -> None:
    """Print the JSON Schema of every content file (for editor completion)."""
    from briefgen.schema import json_schemas

    click.echo(json.dumps(json_schemas(), indent=2, sort_keys=True))


if __name__ == "__main__":  # pragma: no cover
    main()
