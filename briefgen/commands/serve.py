"""`briefgen serve`: build, serve the site on 127.0.0.1, rebuild and reload on every save."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time

import click

from briefgen.commands._common import base_url_option, config_option, force_option, output_option, source_option
from briefgen.problems import Problem
from briefgen.project import Project


def _to_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@click.command()
@source_option
@output_option
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", "-p", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port)."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@click.option("--poll", is_flag=True, help="Poll for changes instead of using inotify (network drives, containers).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--drafts/--no-drafts", default=True, show_default=True, help="Show drafts and scheduled reports, with a banner."
)
@base_url_option
@force_option
def serve(source, output, config, host, port, open_browser, poll, strict, drafts, base_url, force) -> None:
    """Build the site, serve it and rebuild + reload open pages on every save."""
    from briefgen.commands._common import fail
    from briefgen.serve import PortBusy, Preview, is_loopback

    project = Project.at(source, output, config)
    problem = project.output_problem(force=force)
    if problem:
        fail([Problem(project.rel(project.output), None, *problem)])
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("briefgen.serve").addHandler(handler)
    logging.getLogger("watchdog").setLevel(logging.ERROR)  # its shutdown chatter is not the user's business
    if not is_loopback(host):
        click.secho(
            f"Warning: listening on {host}, not 127.0.0.1: anyone who can reach this machine on the network "
            "can read the preview. Use this only on a network you trust.",
            fg="yellow",
            err=True,
        )
    signal.signal(signal.SIGTERM, _to_keyboard_interrupt)
    preview = Preview(
        project,
        host=host,
        port=port,
        poll=poll,
        strict=strict,
        drafts=drafts,
        base_url=base_url,
        out=click.echo,
        err=lambda text: click.echo(text, err=True),
        force=force,
    )
    try:
        try:
            url = preview.start()
        except PortBusy as exc:
            click.echo(f"briefgen serve: {exc.strerror}", err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"briefgen serve: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
            sys.exit(1)
        click.echo(f"Watching {preview.watcher.describe()} ({preview.watcher.mode}).")
        click.secho(f"Serving {project.rel(project.output)}/ at {url}  (Ctrl-C to stop)", bold=True)
        if open_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean-up
        preview.stop()
    click.echo("Stopped.")


command = serve
