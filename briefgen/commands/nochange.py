"""`briefgen build` with nothing to build, answered before the command line's parser is even imported.

A rebuild with nothing changed is over in about a tenth of a second at 4,000 articles, and importing click
and parsing the arguments with it took a sixth of that (a short option such as ``-s`` is first looked up
as a long one, and the failed lookup imports difflib to suggest a close match). So ``cli.main`` hands the
arguments of a ``build`` here first: when they are only the plain options below, and the "nothing changed"
shortcut (``briefgen.engine.unchanged``) says building again would make the very site the last build
made, this prints what ``briefgen build`` prints then and the command ends; in every other case (another
option, a value click would refuse, something changed, any error) it returns False having printed nothing
of its own, and click parses the same arguments and runs the build as ever.

Nothing here imports click: the summary lines are written as ``click.echo`` writes them (one line, to
stdout or stderr), and ``commands.build`` prints them with the same functions.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from briefgen.problems import BuildError
from briefgen.project import Project

ASKED = False  # this process asked the shortcut already, for these very arguments, and the answer was "build"
_LISTED: tuple[Project, list] | None = None  # the input files the shortcut listed then (``listed``)


class _Declined(Exception):
    """The arguments are not only the plain options: click is to parse them."""


class _PlainOptions(argparse.ArgumentParser):
    """build's plain options, parsed by the standard library's argparse (2 ms to import, against click's 18 ms and
    difflib's); any error is declined rather than reported, and click then parses and reports as ever."""

    def __init__(self) -> None:
        super().__init__(prog="briefgen build", add_help=False, allow_abbrev=False, exit_on_error=False)
        for short, long in (("-s", "--source"), ("-o", "--output"), ("-c", "--config"), ("-j", "--jobs")):
            self.add_argument(short, long, default=argparse.SUPPRESS)
        self.add_argument("--base-url", dest="base_url", default=argparse.SUPPRESS)
        self.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)
        for flag in ("--strict", "--drafts", "--force"):
            self.add_argument(flag, action="store_true", default=argparse.SUPPRESS)

    def error(self, message: str):
        raise _Declined(message)


def echo(text: str, err: bool = False) -> None:
    """One line to stdout (or stderr), as ``click.echo`` writes it."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:  # a terminal that cannot show every character of a path or a title
        stream.flush()
        stream.buffer.write((text + "\n").encode(stream.encoding or "utf-8", "replace"))
    stream.flush()


def options(args: list[str]) -> dict | None:
    """``args`` (after ``build``) as {option: value}, or None unless they are only the plain options, with values
    click would take as they are (not empty, a folder that is not a file, a config that is not a folder, jobs >= 1)."""
    try:
        found, rest = _PlainOptions().parse_known_args(args)
    except (_Declined, argparse.ArgumentError):
        return None
    found = vars(found)
    if rest or any(v == "" or (isinstance(v, str) and v.startswith("-")) for v in found.values()):
        return None  # --pdf, --no-cache, --help, "--", a typo, an empty value, an option where a value goes...
    if "jobs" in found and not (found["jobs"].isascii() and found["jobs"].isdigit() and int(found["jobs"]) >= 1):
        return None
    if any(os.path.isfile(found[k]) for k in ("source", "output") if k in found):
        return None  # click refuses a file where a folder goes
    if "config" in found and os.path.isdir(found["config"]):
        return None
    return found


def quick_build(args: list[str]) -> bool:
    """Run ``briefgen build ARGS`` here if nothing changed since the last build (True: it is done)."""
    from briefgen.engine.lock import project_lock
    from briefgen.engine.swap import recover

    global ASKED, _LISTED
    started = time.perf_counter()
    found = options(args)
    if found is None:
        return False
    source = found.get("source")
    project = Project.at(source, found.get("output"), found.get("config"))
    try:
        with project_lock(project.root):
            for note in recover(project.output):  # a build killed mid-swap: finish or undo it, as the build does
                echo(f"note: {project.rel(project.output)}: {note}", err=True)
            flags = (found.get("quiet", False), found.get("strict", False), started, source)
            listed: list = []
            done = nothing_to_do(project, *flags, found.get("drafts", False), found.get("base_url"), listed)
    except (BuildError, OSError) as exc:  # as the build command reports them (a lock held too long elsewhere...)
        from briefgen.commands._common import fail
        from briefgen.engine.oserrors import os_problem

        fail(exc.problems if isinstance(exc, BuildError) else [os_problem(exc, project)])
    ASKED = not done  # the build that follows need not ask again (it would only find the same change later)
    _LISTED = (project, listed) if not done and listed else None
    return done


def listed(project: Project) -> list | None:
    """The input files (``inputs.input_stats``) as the shortcut listed them for ``project`` when it answered "build",
    once: the build that follows takes them instead of listing some 4,000 files again (0.02 s)."""
    global _LISTED
    found, _LISTED = _LISTED, None
    return found[1] if found is not None and found[0] == project else None


def nothing_to_do(
    project: Project,
    quiet: bool,
    strict: bool,
    started: float,
    source,
    drafts: bool = False,
    base_url=None,
    listed: list | None = None,
) -> bool:
    """Nothing changed since the last build: say so without loading the pipeline. ``listed`` gets the input files
    as they were compared (``engine.unchanged.nothing_changed``)."""
    last = unchanged_build(project, strict=strict, drafts=drafts, base_url=base_url, listed=listed)
    if last is None:
        return False
    if not quiet:
        for warning in last.summary.get("warnings", []):
            echo(warning, err=True)
        counts = last.summary.get("counts", {})
        pages = sum(counts.values())
        report(
            project,
            source,
            counts,
            0,
            pages,
            last.summary.get("files", 0) - pages,
            started,
            f"nothing changed since the last build: 0 written, {last.outputs} unchanged, 0 removed",
            len(last.summary.get("warnings", [])),
        )
        for line in last.summary.get("schedule", []):  # what is scheduled, as the last build said
            echo(line)
    return True


def unchanged_build(project: Project, *, strict: bool = False, drafts: bool = False, base_url=None, listed=None):
    """The last build (``briefgen.engine.unchanged.LastBuild``: its summary and how many files it wrote) when
    building again with these options would make the same site, else None: the "nothing changed" shortcut,
    which ``briefgen check`` takes too."""
    from briefgen.engine.environment import Environment
    from briefgen.engine.unchanged import nothing_changed

    # the run this would be: no --pdf and no --file-links (those always build); --drafts records no changes
    environment = Environment.current(drafts=drafts, base_url=base_url, record_changes=not drafts)
    try:
        last = nothing_changed(project, environment, listed)  # inputs, outputs, code, clock and flags as recorded
    except Exception:  # any doubt: build
        return None
    if last is None or (strict and last.summary.get("warnings")):
        return None
    if last.summary.get("search_missing"):  # built without Pagefind: build again, with search if it is there now
        return None
    if last.summary.get("next_due"):  # (the schedule module, and zoneinfo with it, only when something is due)
        from briefgen.content.schedule import due_since

        if due_since(last.summary):
            return None  # a scheduled report went live (or one was withdrawn) since
    return last


def report(
    project: Project,
    source,
    counts: dict,
    rendered: int,
    reused: int,
    others: int,
    started: float,
    writes: str,
    warnings: int,
) -> None:
    """The summary line of a build and where to find the site."""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    echo(
        f"Built {sum(counts.values())} pages ({kinds}; {rendered} rendered, {reused} reused) and {others} other files "
        f"in {time.perf_counter() - started:.2f} s; {writes}; {warnings} warning(s)."
    )
    out = project.rel(project.output)
    command = "briefgen serve" + (f" --source {source}" if source else "")
    if project.output != project.root / "site":  # --output: serve the same folder
        command += f" --output {out}"
    echo(f"The site is in {out}/. Preview it with: {command}, then open http://127.0.0.1:8000/")
