"""What every command shares: the project options and the one way problems are printed."""

from __future__ import annotations

import sys

import click

from briefgen.problems import Problem

source_option = click.option(
    "--source",
    "-s",
    type=click.Path(file_okay=False),
    default=None,
    help="Project folder (default: the current folder).",
)
config_option = click.option(
    "--config", "-c", type=click.Path(dir_okay=False), default=None, help="Config file (default: SOURCE/briefgen.yaml)."
)
output_option = click.option(
    "--output", "-o", type=click.Path(file_okay=False), default=None, help="Output folder (default: SOURCE/site)."
)
force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace an output folder that is not a briefgen site (its .git and other dot-entries are kept).",
)


base_url_option = click.option(
    "--base-url",
    metavar="URL",
    default=None,
    help="The site's address for this run, in place of base_url in briefgen.yaml (e.g. a preview deploy).",
)


def print_problems(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(str(p), err=True)


def fail(problems: list[Problem]) -> None:
    print_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    click.secho(
        f"Build failed: {errors} error(s), {warnings} warning(s). The previous site was left as it was.",
        fg="red",
        err=True,
    )
    sys.exit(1)
