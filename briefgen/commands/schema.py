"""`briefgen schema`: JSON Schema of every content file, for editors."""

from __future__ import annotations

import click


@click.command()
def schema() -> None:
    """Print the JSON Schema of every content file (for editor completion)."""
    import json

    from briefgen.content.schema import json_schemas

    click.echo(json.dumps(json_schemas(), indent=2, sort_keys=True))


command = schema
