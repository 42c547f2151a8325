"""`briefgen check`: every problem in the project, without writing the site.

``check`` is the build engine with writing turned off: it runs
``Builder.rebuild(write=False)``, the very stages, cache and incremental
reuse of ``briefgen build``, so check and build can never disagree. Pages
whose inputs did not change since the last build are not rendered again: the
output folder still holds their bytes, which are read only when something
asks (a link check after a page went away, ``--external``). Nothing is
written to the output folder and no change is recorded in its history; the
content cache in ``.briefgen-cache/`` is kept up to date, as a build does.
When nothing changed since the last build (``build``'s own shortcut, which
needs only stats), check repeats the problems that build recorded, as a
build would, without loading anything.
With ``--external`` it also asks the web whether cited pages still answer.
``--format json`` prints one JSON object for editors and CI.
"""

from __future__ import annotations

import json
import sys

import click

from briefgen.commands._common import config_option, output_option, print_problems, source_option
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
    drafts: bool = False,
    notes: list[str] | None = None,
) -> list[Problem]:
    """Build ``project`` without writing it, then (``external``) ask about cited pages; every problem, sorted.

    ``jobs`` is the number of external requests at once (pages render on every core, as in a build);
    ``use_cache=False`` is a cold run: neither ``.briefgen-cache/`` nor the external link cache is read or
    written. Notes about the cache (not the content) are appended to ``notes``.
    """
    from briefgen.engine.lock import project_lock
    from briefgen.engine.oserrors import os_problem

    notes = notes if notes is not None else []
    try:
        with project_lock(project.root):
            last = _unchanged(project, drafts) if use_cache and not external else None
            if last is not None:
                notes.append("nothing changed since the last build: these are the problems it found")
                return last
            from briefgen.engine.build import Builder  # (the pipeline: imported only when it runs)

            builder = Builder(project, record_changes=False, use_cache=use_cache, once=True, drafts=drafts)
            result = builder.rebuild(write=False)
    except BuildError as exc:  # the content could not be loaded: nothing to render or link-check
        return exc.problems
    except OSError as exc:  # the disk, not the content (an unreadable page kept from the last build...)
        return [os_problem(exc, project)]
    notes.extend(result.notes)
    if not (external and all(page.output in result.files for page in result.pages)):  # (every page rendered)
        return result.problems  # sorted as the build sorts them
    from briefgen.checks.external_links import check_external  # (urllib and friends: only when asked)

    problems = Problems()
    problems.extend(result.problems)
    try:
        check_external(
            project,
            result.files,  # pages kept from the last build are read from the output folder
            result.pages,
            result.site.config.base_url,
            problems,
            jobs=jobs,
            timeout=timeout,
            use_cache=use_cache,
            private=private,
        )
    except OSError as exc:
        problems.items.append(os_problem(exc, project))
    return problems.sorted()


def _unchanged(project: Project, drafts: bool) -> list[Problem] | None:
    """The problems the last build recorded, when building again would make the same site (``build``'s
    "nothing changed" shortcut: only stats and hashes, nothing loaded); None when they must be found again."""
    from briefgen.commands.nochange import unchanged_build

    last = unchanged_build(project, drafts=drafts)
    recorded = last.summary.get("problems") if last is not None else None
    if not isinstance(recorded, list):  # no shortcut, or a state from before problems were recorded
        return None
    found = []
    for item in recorded:  # the cache is data, checked on load; still, only the shape a Problem has
        if not (isinstance(item, dict) and set(item) == set(_FIELDS) and item["severity"] in ("error", "warning")):
            return None
        if not all(isinstance(item[k], types) for k, types in _FIELDS.items()):
            return None
        found.append(Problem(**item))
    return found


_FIELDS = {"path": str, "line": (int, type(None)), "message": str, "hint": (str, type(None)), "severity": str}


@click.command()
@source_option
@output_option
@config_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any problem).")
@click.option("--drafts", is_flag=True, help="Check a preview: also drafts and scheduled reports, as build --drafts.")
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
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write .briefgen-cache/: check everything cold and ask again about external links.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
def check(source, output, config, strict, drafts, external, external_private, jobs, timeout, no_cache, fmt) -> None:
    """Check content, references and links, as a build would; write nothing. Exit 1 on errors."""
    project = Project.at(source, output, config)
    notes: list[str] = []
    problems = run_check(
        project,
        external=external,
        jobs=jobs,
        timeout=timeout,
        use_cache=not no_cache,
        private=external_private,
        drafts=drafts,
        notes=notes,
    )
    for note in notes:
        click.echo(f"note: {note}", err=True)
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
