"""The command line: thin commands over the shared stages.

Exit status: 0 success, 1 content or config errors, 2 usage errors (click).
A user's mistake is printed as ``path:line: message (hint)``, never a traceback.
"""

from __future__ import annotations

import importlib

import click

from briefgen import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefgen")
def main() -> None:
    """briefgen: turn running stories in Markdown + YAML into a static briefing site."""


# Each verb lives in briefgen/commands/<verb>.py and exposes ``command``.
COMMANDS = ("build", "check", "serve", "publish", "clean", "new", "schema")


def _register() -> None:
    for name in COMMANDS:
        module_name = f"briefgen.commands.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        main.add_command(module.command, name)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
