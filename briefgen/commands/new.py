"""`briefgen new`: a starter project, a new report or a new topic.

briefgen new DIR                         the example briefing, to learn from
briefgen new DIR --blank                 a project with no content
briefgen new article "Title" [--topic SLUG] [--date 2025-02-24T06:00]
briefgen new topic SLUG [--title "..."]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from briefgen.commands._common import source_option


@click.command()
@click.argument("what", metavar="DIR | article TITLE | topic SLUG")
@click.argument("name", required=False, metavar="")
@click.option("--blank", is_flag=True, help="A project with no content (not the Ukraine example).")
@click.option("--topic", "-t", default=None, help="new article: the topic it belongs to.")
@click.option("--date", "-d", default=None, help="new article: its date (default: now, in the site's time zone).")
@click.option("--title", default=None, help="new topic: its title (default: from the slug).")
@source_option
def new(what, name, blank, topic, date, title, source) -> None:
    """Create a project in DIR, or a report or topic in the project (drafts until you remove draft: true)."""
    from briefgen.commands.scaffold import ScaffoldError, new_article, new_topic
    from briefgen.project import Project

    if what in ("article", "topic") and name is not None:
        project = Project.at(source)
        if not project.config_path.is_file():
            click.echo(f"error: no briefgen.yaml in {project.root} (run this in a project, or pass --source)", err=True)
            sys.exit(1)
        try:
            path = new_article(project, name, topic, date) if what == "article" else new_topic(project, name, title)
        except ScaffoldError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"Created {project.rel(path)} (a draft: 'briefgen serve' shows it; remove draft: true to publish).")
        return
    if name is not None:
        raise click.UsageError('give one folder: briefgen new DIR, or briefgen new article "Title"')
    _project(Path(what), blank)


def _project(directory: Path, blank: bool) -> None:
    from briefgen.commands.scaffold import blank_project
    from briefgen.commands.starter import create_project

    try:
        (blank_project if blank else create_project)(directory)
    except FileExistsError as exc:
        click.echo(f"{directory}: {exc} (choose a new or empty folder)", err=True)
        sys.exit(1)
    click.echo(f"Created a briefgen project in {directory}/. Next: cd {directory} && briefgen new topic my-story")
    if not blank:
        click.echo("It holds the example briefing; 'briefgen new DIR --blank' starts with no content.")


command = new
