"""`briefgen new DIR`: a starter project."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
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


command = new
