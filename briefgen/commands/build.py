"""`briefgen build`: content in, complete site out."""

from __future__ import annotations

import click

from briefgen.commands._common import config_option, fail, output_option, print_problems, source_option
from briefgen.problems import BuildError, Problem
from briefgen.project import Project


@click.command()
@source_option
@output_option
@config_option
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--pdf", is_flag=True, help="Also write each topic's briefing pack as PDF (needs WeasyPrint).")
def build(source, output, config, quiet, strict, pdf) -> None:
    """Build the site into SOURCE/site (or --output)."""
    from briefgen.build import build as run_build

    project = Project.at(source, output, config)
    if pdf:
        from briefgen.pack import PDF_HINT, weasyprint_problem

        missing = weasyprint_problem()
        if missing:
            fail([Problem("--pdf", None, missing, PDF_HINT)])
    try:
        result = run_build(project, strict=strict, pdf=pdf)
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
        click.echo(
            f"The site is in {out}/. Preview it with: briefgen serve" + (f" --source {source}" if source else "")
        )


command = build
