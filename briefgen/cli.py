"""The command line: thin commands over the shared stages.

Exit status: 0 success, 1 content or config errors, 2 usage errors (click).
A user's mistake is printed as ``path:line: message (hint)``, never a traceback.
"""

from __future__ import annotations

import gc
import os
import sys

# Each verb lives in briefgen/commands/<verb>.py and exposes ``command``.
COMMANDS = ("build", "check", "serve", "publish", "clean", "new", "schema")


def main() -> None:
    """``briefgen``: a ``build`` with nothing to build is answered before click is imported
    (``briefgen.commands.nochange``); everything else, and a build that has work to do, goes to click."""
    if sys.argv[1:2] == ["build"]:
        # Importing the pipeline makes some 400,000 objects and frees next to none: the collector ran about a
        # hundred times over them, 0.03 s of a one-article edit. ``commands.build`` turns it on again.
        gc.disable()
    if sys.argv[1:2] == ["build"] and "_BRIEFGEN_COMPLETE" not in os.environ:  # (not shell completion)
        from briefgen.commands.nochange import quick_build

        if quick_build(sys.argv[2:]):
            return
    if sys.argv[1:2] == ["build"]:
        _end_after(verbs())
    verbs()()


def _end_after(group) -> None:
    """Run a build and end the process at once, its output flushed, without tearing the interpreter down.

    After a build the process holds the whole site (millions of objects at 4,000 articles); freeing them one by
    one at exit cost 0.12-0.18 s of CPU, a tenth of a one-article edit. Every file the build writes is closed
    and renamed into place before it returns, so nothing is left to flush but stdout and stderr. A profiler or
    tracer (``python -m cProfile``, coverage) and an exit status that is not a number get Python's own exit."""
    try:
        group()
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    else:
        code = 0
    if not isinstance(code, int) or sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: Python reports it at exit as it always does
        raise SystemExit(code) from None
    os._exit(code)


def verbs():
    """The click group of the verbs, each imported when it is asked for: ``briefgen build`` loads neither serve
    nor publish (a rebuild with nothing changed is over in a tenth of a second, so their imports would show)."""
    import importlib

    import click

    from briefgen import __version__

    class Verbs(click.Group):
        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted(name for name in COMMANDS if self.get_command(ctx, name) is not None)

        def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
            if name not in COMMANDS:
                return None
            module_name = f"briefgen.commands.{name}"
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    return None  # a verb this checkout does not have
                raise
            return module.command

    @click.group(name="briefgen", cls=Verbs, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="briefgen")
    def group() -> None:
        """briefgen: turn running stories in Markdown + YAML into a static briefing site."""

    return group


if __name__ == "__main__":  # pragma: no cover
    main()
