#!/usr/bin/env python3
"""Where a cold build's time goes: a cProfile of ``briefgen build --jobs 1 --no-cache``, grouped by kind of work.

    python bench/profile.py                       # N = 4,000, seed 7, in a folder on /dev/shm
    python bench/profile.py --articles 1000 --top 5 --save /dev/shm/cold.prof

It writes the corpus with ``make_corpus.py`` (deterministic for ``--seed``), then builds it twice, each
time in a new process running the briefgen next to this folder (``PYTHONPATH``, not an installed one):

1. without the profiler, timing each stage the build announces (loading, rendering, feeds, link check,
   writing): the real wall time of each, to read the profile against;
2. under cProfile (``python -m cProfile -m briefgen build -q --jobs 1 --no-cache``), the same cold build
   (output and cache removed), as the CLI runs it, imports included.

Every function's own time is then put in one group (Markdown, Jinja page rendering, loading and YAML,
linking, briefings and assembling, feeds, exports, link check, writing...): a function of a module that
belongs to a group counts there; any other (a library's helper, a builtin such as ``re.sub`` or ``dict.get``)
is shared among the groups of its callers in proportion to the time each call took (the profile's own
caller table, as gprof does). So the groups add up to the whole profile. cProfile slows pure-Python
code (markdown-it-py, Jinja, pydantic's Python side) far more than C or Rust, so its shares are the
proportions under the profiler; the stage times of step 1 are the unprofiled truth.

Run it before and after a change on the same machine, with the same ``--articles`` and ``--seed``, and
compare the groups. Not a test: it prints figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# This file is named like the standard library's ``profile``, which ``cProfile`` imports: take this
# folder off the path before importing it, and put the briefgen of this checkout first.
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402


def _make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_corpus


# (group, module path prefixes relative to site-packages or the repo); first match wins.
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    (
        "Markdown bodies (parse, sanitise)",
        (
            "briefgen/content/markdown",
            "briefgen/content/imagehtml",
            "markdown_it/",
            "markdown_it_pyrs/",
            "mdit_py_plugins/",
            "nh3/",
            "linkify_it/",
        ),
    ),
    (
        "loading: YAML front matter, validation",
        (
            "briefgen/content/yamlsource",
            "briefgen/content/load",
            "briefgen/content/validate",
            "briefgen/content/schema",
            "briefgen/content/images",
            "briefgen/content/schedule",
            "briefgen/content/clock",
            "yaml/",
            "pydantic/",
            "pydantic_core/",
        ),
    ),
    ("linking the model", ("briefgen/content/link", "briefgen/content/model")),
    ("briefings, review, assembling pages", ("briefgen/briefing/", "briefgen/pages/assemble")),
    ("briefing packs (bodies rewritten)", ("briefgen/pages/pack",)),
    (
        "Jinja compiling the templates",
        (
            "jinja2/lexer",
            "jinja2/parser",
            "jinja2/compiler",
            "jinja2/nodes",
            "jinja2/optimizer",
            "jinja2/visitor",
            "jinja2/idtracking",
            "jinja2/meta",
        ),
    ),
    (
        "Jinja page rendering",
        (
            "briefgen/render/",
            "briefgen/outputs/metadata",
            "jinja2/",
            "markupsafe/",
            "templates/",
        ),
    ),
    ("feeds (Atom)", ("briefgen/outputs/feeds", "briefgen/outputs/changefeeds")),
    ("exports (JSON)", ("briefgen/outputs/exports",)),
    (
        "sitemap, search, manifest, root files",
        (
            "briefgen/outputs/sitemap",
            "briefgen/outputs/search",
            "briefgen/outputs/manifest",
            "briefgen/outputs/rootfiles",
        ),
    ),
    ("link check", ("briefgen/checks/linkcheck",)),
    ("fingerprints, state", ("briefgen/engine/incremental", "briefgen/outputs/kept")),
    ("cache", ("briefgen/engine/cache", "briefgen/engine/cachedata")),
    ("writing the output", ("briefgen/engine/write", "briefgen/engine/swap", "briefgen/atomicfile")),
    ("imports", ("<frozen importlib", "importlib/")),
    (
        "orchestration (engine, CLI)",
        (
            "briefgen/engine/",
            "briefgen/commands/",
            "briefgen/cli",
            "briefgen/outputs/outputs",
            "briefgen/project",
            "click/",
        ),
    ),
]
INHERIT = None  # a function with no group of its own: its time goes to its callers' groups


def group_of(filename: str) -> str | None:
    """The group a function's own time belongs to, by the file it is defined in (None: its callers')."""
    path = filename.replace(os.sep, "/")
    if path == "~" or path.startswith("<built-in") or path.startswith("<string>"):
        return INHERIT
    if path.startswith("<frozen importlib"):
        return "imports"
    for group, prefixes in GROUPS:
        for prefix in prefixes:
            if prefix.startswith("<"):
                continue
            if f"/{prefix}" in path or path.startswith(prefix):
                return group
    if path.endswith((".html", ".xml", ".j2")) or "<template>" in path:
        return "Jinja page rendering"  # compiled templates: the template's file name
    return INHERIT


def grouped(stats: pstats.Stats) -> dict[str, float]:
    """{group: seconds of own time}: every function's own time, in its group or shared among its callers'."""
    table = (
        stats.stats
    )  # {func: (cc, nc, tt, ct, callers)}; func = (file, line, name); callers {func: (cc, nc, tt, ct)}
    shares: dict[tuple, dict[str, float]] = {}
    busy: set[tuple] = set()

    def share(func: tuple) -> dict[str, float]:
        if func in shares:
            return shares[func]
        own = group_of(func[0])
        if own is not None:
            shares[func] = {own: 1.0}
            return shares[func]
        if func in busy:  # a cycle through functions without a group: no answer from this path
            return {}
        busy.add(func)
        callers = table[func][4] if func in table else {}
        weights = {c: v[3] or v[2] for c, v in callers.items()}
        total = sum(weights.values())
        mix: dict[str, float] = {}
        if total > 0:
            for caller, weight in weights.items():
                for group, part in share(caller).items():
                    mix[group] = mix.get(group, 0.0) + part * weight / total
        busy.discard(func)
        if not mix:
            mix = {"other (no group above it)": 1.0}
        else:
            norm = sum(mix.values())
            mix = {g: v / norm for g, v in mix.items()}
        shares[func] = mix
        return mix

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    out: dict[str, float] = {}
    for func, (_cc, _nc, tt, _ct, _callers) in table.items():
        for group, part in share(func).items():
            out[group] = out.get(group, 0.0) + tt * part
    return out


class StageClock:
    """The build's progress callbacks, timed: wall seconds per announced stage."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []
        self.name = "start-up (imports, lock, state)"
        self.since = time.perf_counter()

    def stage(self, name: str, total: int | None = None) -> None:
        now = time.perf_counter()
        self.stages.append((self.name, now - self.since))
        self.name, self.since = name, now

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> list[tuple[str, float]]:
        self.stage("")
        return self.stages


def clean(src: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(src / ".briefgen-cache", ignore_errors=True)


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    return env


def timed_stages(src: Path, out: Path) -> tuple[float, list[tuple[str, float]]]:
    """An unprofiled cold build in a new process, one process, no cache; (wall seconds, [(stage, seconds)])."""
    clean(src, out)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--stages-of", str(src), str(out)],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    return seconds, [tuple(x) for x in json.loads(done.stdout.strip().splitlines()[-1])]


def _stages_of(src: str, out: str) -> None:
    """In the child: the cold build with its stages timed, printed as JSON."""
    clock = StageClock()
    from briefgen.engine.build import build
    from briefgen.project import Project

    build(Project.at(src, out, None), jobs=1, use_cache=False, progress=clock)
    print(json.dumps(clock.close()))


def profiled(src: Path, out: Path, save: Path) -> tuple[float, pstats.Stats]:
    """The cold build as the CLI runs it, in a new process under cProfile; (wall seconds, stats)."""
    clean(src, out)
    args = ["build", "-q", "--jobs", "1", "--no-cache", "-s", str(src), "-o", str(out)]
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(save), "-m", "briefgen", *args], env=_env(), check=True)
    return time.perf_counter() - started, pstats.Stats(str(save))


def report(n: int, plain: float, stages, seconds: float, groups: dict[str, float], top: int) -> str:
    total = sum(groups.values())
    lines = [
        f"N = {n:,}, cold build, --jobs 1 --no-cache, 1-minute load {os.getloadavg()[0]:.1f}",
        "",
        f"Unprofiled: {plain:.2f} s wall. Stages as the build announces them:",
        "",
        "| stage | wall (s) | share |",
        "|---|---:|---:|",
    ]
    for name, secs in stages:
        lines.append(f"| {name} | {secs:.2f} | {secs / plain:.0%} |")
    lines += [
        "",
        f"cProfile: {seconds:.2f} s wall, {total:.2f} s of own time in {len(groups)} groups:",
        "",
        "| rank | cost | profiled (s) | share |",
        "|---:|---|---:|---:|",
    ]
    ranked = sorted(groups.items(), key=lambda kv: -kv[1])
    for i, (group, secs) in enumerate(ranked, 1):
        mark = f"**{i}**" if i <= top else str(i)
        lines.append(f"| {mark} | {group} | {secs:.2f} | {secs / total:.1%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=3, help="how many groups to mark as the largest costs")
    parser.add_argument("--save", type=Path, help="also write the raw profile here (pstats format)")
    parser.add_argument("--functions", type=int, default=0, help="also print the N functions with most own time")
    parser.add_argument("--stages-of", nargs=2, help=argparse.SUPPRESS)  # the child of timed_stages
    args = parser.parse_args()
    if args.stages_of:
        return _stages_of(*args.stages_of)

    print(f"briefgen from {REPO / 'briefgen'}", flush=True)
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    work = Path(tempfile.mkdtemp(prefix="briefgen-profile-", dir=base))
    try:
        src = _make_corpus()(args.articles, work / "project", args.seed)
        out = work / "site"
        plain, stages = timed_stages(src, out)
        seconds, stats = profiled(src, out, args.save or work / "cold.prof")
        print(report(args.articles, plain, stages, seconds, grouped(stats), args.top))
        if args.functions:
            print()
            stats.sort_stats("tottime").print_stats(args.functions)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
