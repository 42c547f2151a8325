#!/usr/bin/env python3
"""Time briefgen against Hugo, Eleventy and Pelican on the same generated corpus.

    python bench/run.py                       # N = 1000 4000 16000, tmpfs and disk, 3 runs
    python bench/run.py --sizes 4000 --media tmpfs --runs 5 --tools briefgen hugo

For each size and medium it writes the corpus (``make_corpus.py``), the same
articles as a Hugo, Eleventy and Pelican project (``adapters.py``), then per
tool measures, as medians of ``--runs`` runs:

* cold: output folder and every cache removed first;
* no-change: the same command again, nothing touched;
* one-edit: one article's body changed (a different article each run);
* peak RSS: the largest sum of the resident memory of the tool's whole
  process tree, sampled every 10 ms with psutil (the cold runs' maximum).

It installs what is missing first: Debian's ``hugo`` with apt-get, Eleventy
from npm into ``~/.cache/briefgen-bench/node``, Pelican, Markdown and psutil
from PyPI. Results go to ``bench/out/results.json`` and a Markdown table on
stdout. Not part of the test suite: timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import adapters  # noqa: E402
from make_corpus import make_corpus  # noqa: E402

NODE_DIR = Path.home() / ".cache" / "briefgen-bench" / "node"
ELEVENTY = NODE_DIR / "node_modules" / ".bin" / "eleventy"
TOOLS = ("briefgen", "hugo", "eleventy", "pelican")
EXTRA_TOOLS = ("briefgen-j1",)


# --- installing the competition -----------------------------------------------------


def ensure_tools(tools: list[str]) -> None:
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    try:
        import psutil  # noqa: F401
    except ImportError:
        subprocess.run(pip + ["psutil"], check=True)
    if "hugo" in tools and not shutil.which("hugo"):
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            sudo + ["apt-get", "install", "-y", "-qq", "hugo"],
            check=True,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
    if "eleventy" in tools and not ELEVENTY.exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        if not (NODE_DIR / "package.json").exists():
            (NODE_DIR / "package.json").write_text('{"name": "briefgen-bench", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "@11ty/eleventy@3"], cwd=NODE_DIR, check=True)
    if "pelican" in tools and not shutil.which("pelican"):
        subprocess.run(pip + ["pelican", "markdown"], check=True)


def versions() -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    from briefgen import __version__

    return {
        "briefgen": __version__,
        "hugo": out(["hugo", "version"]).split()[1] if shutil.which("hugo") else "-",
        "eleventy": out([str(ELEVENTY), "--version"]) if ELEVENTY.exists() else "-",
        "pelican": out(["pelican", "--version"]) if shutil.which("pelican") else "-",
        "cores": str(os.cpu_count()),
    }


# --- one timed run -------------------------------------------------------------------


ENV: dict[str, str] = dict(os.environ)


def snapshot_code(dest: Path) -> None:
    """Run briefgen from a copy of its code taken now: edits made while the bench runs don't count."""
    repo = HERE.parent
    shutil.copytree(repo / "briefgen", dest / "briefgen", ignore=shutil.ignore_patterns("__pycache__"))
    if (repo / "templates").is_dir():
        shutil.copytree(repo / "templates", dest / "templates")
    ENV["PYTHONPATH"] = str(dest)


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS and peak PSS of the process tree in MiB).

    RSS counts memory shared between processes (a forked worker's inherited
    pages) once per process; PSS splits it between them, so it is the fairer
    sum for tools that fork. PSS is sampled every 100 ms (reading it costs more).
    """
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    peak = peak_pss = 0
    tick = 0
    try:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = total_pss = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                tree = []
            for p in tree:
                try:
                    total += p.memory_info().rss
                    if tick % 10 == 0:
                        total_pss += p.memory_full_info().pss
                except (psutil.Error, AttributeError):
                    pass
            peak = max(peak, total)
            peak_pss = max(peak_pss, total_pss)
            tick += 1
            time.sleep(0.01)
    except psutil.Error:
        pass
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return seconds, peak / 2**20, peak_pss / 2**20


class Tool:
    name = ""

    def __init__(self, corpus: Path, work: Path):
        self.corpus = corpus
        self.work = work
        self.out = work / f"{self.name}-out"

    def prepare(self) -> Path: ...
    def command(self) -> list[str]: ...
    def caches(self) -> list[Path]:
        return []

    def article(self, name: str) -> Path: ...

    def clean(self) -> None:
        for path in [self.out, *self.caches()]:
            shutil.rmtree(path, ignore_errors=True)


class Briefgen(Tool):
    name = "briefgen"

    def prepare(self) -> Path:
        self.src = self.work / "briefgen"
        if self.src.exists():
            shutil.rmtree(self.src)
        shutil.copytree(self.corpus, self.src)
        return self.src

    def command(self) -> list[str]:
        return [sys.executable, "-m", "briefgen", "build", "-q", "-s", str(self.src), "-o", str(self.out)]

    def caches(self) -> list[Path]:
        return [self.src / ".briefgen-cache"]

    def article(self, name: str) -> Path:
        return self.src / "content" / "articles" / name


class BriefgenOneProcess(Briefgen):
    """briefgen with --jobs 1: the memory of one process, the speed of one core."""

    name = "briefgen-j1"

    def prepare(self) -> Path:
        self.src = self.work / "briefgen-j1"
        if self.src.exists():
            shutil.rmtree(self.src)
        shutil.copytree(self.corpus, self.src)
        return self.src

    def command(self) -> list[str]:
        return super().command() + ["--jobs", "1"]


class Hugo(Tool):
    name = "hugo"

    def prepare(self) -> Path:
        self.src = adapters.to_hugo(self.corpus, self.work / "hugo")
        return self.src

    def command(self) -> list[str]:
        return ["hugo", "--quiet", "-s", str(self.src), "-d", str(self.out)]

    def caches(self) -> list[Path]:
        return [self.src / "resources"]

    def article(self, name: str) -> Path:
        return self.src / "content" / "articles" / name


class Eleventy(Tool):
    name = "eleventy"

    def prepare(self) -> Path:
        self.src = adapters.to_eleventy(self.corpus, self.work / "eleventy")
        return self.src

    def command(self) -> list[str]:
        return [str(ELEVENTY), "--quiet", f"--output={self.out}"]

    def caches(self) -> list[Path]:
        return [self.src / ".cache"]

    def article(self, name: str) -> Path:
        return self.src / "articles" / name


class Pelican(Tool):
    name = "pelican"

    def prepare(self) -> Path:
        self.src = adapters.to_pelican(self.corpus, self.work / "pelican", cache=True)
        return self.src

    def command(self) -> list[str]:
        return ["pelican", "-q", "-s", "pelicanconf.py", "-o", str(self.out), "content"]

    def caches(self) -> list[Path]:
        return [self.src / "cache"]

    def article(self, name: str) -> Path:
        return self.src / "content" / name


TOOL_CLASSES = {t.name: t for t in (Briefgen, BriefgenOneProcess, Hugo, Eleventy, Pelican)}


def edit(path: Path, n: int) -> None:
    """Change one article's body: what a desk does most often."""
    with path.open("a") as f:
        f.write(f"\nCorrection {n}: an earlier version of this article gave the wrong figure.\n")


def measure(tool: Tool, runs: int, article_names: list[str]) -> dict:
    cwd = tool.prepare()
    cold, nochange, oneedit, rss, pss = [], [], [], [], []
    for i in range(runs):
        tool.clean()
        seconds, peak, peak_pss = timed(tool.command(), cwd)
        cold.append(seconds)
        rss.append(peak)
        pss.append(peak_pss)
        nochange.append(timed(tool.command(), cwd)[0])
        edit(tool.article(article_names[(i * 7919) % len(article_names)]), i)
        seconds, peak, peak_pss = timed(tool.command(), cwd)
        oneedit.append(seconds)
        rss.append(peak)
        pss.append(peak_pss)
    return {
        "cold": statistics.median(cold),
        "nochange": statistics.median(nochange),
        "oneedit": statistics.median(oneedit),
        "rss": max(rss),
        "pss": max(pss),
        "runs": runs,
        "raw": {"cold": cold, "nochange": nochange, "oneedit": oneedit, "rss": rss, "pss": pss},
    }


# --- the table ----------------------------------------------------------------------


def table(results: list[dict]) -> str:
    lines = [
        "| N | output | tool | cold (s) | no-change (s) | one edit (s) | peak RSS (MiB) | peak PSS (MiB) | runs | load avg |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = {t: i for i, t in enumerate(TOOLS + EXTRA_TOOLS)}
    for r in sorted(results, key=lambda r: (r["medium"], r["n"], order[r["tool"]])):
        lines.append(
            f"| {r['n']:,} | {r['medium']} | {r['tool']} | {r['cold']:.2f} | {r['nochange']:.2f} | "
            f"{r['oneedit']:.2f} | {r['rss']:.0f} | {_mib(r.get('pss'))} | {r['runs']} | {r.get('load', 0):.1f} |"
        )
    return "\n".join(lines)


def _mib(value: float | None) -> str:
    return f"{value:.0f}" if value else "-"


def targets(results: list[dict]) -> str:
    """The issue's targets at N = 4,000 (and 16,000 vs 4,000), per medium."""
    out = []
    by = {(r["n"], r["medium"], r["tool"]): r for r in results}
    for medium in sorted({r["medium"] for r in results}):
        b = by.get((4000, medium, "briefgen"))
        if not b:
            continue
        out.append(f"Targets at N = 4,000 on {medium}:")
        hugo, eleventy = by.get((4000, medium, "hugo")), by.get((4000, medium, "eleventy"))

        def verdict(ok: bool) -> str:
            return "met" if ok else "NOT met"

        if hugo:
            ratio = b["cold"] / hugo["cold"]
            out.append(
                f"- cold {b['cold']:.2f} s = {ratio:.2f}x Hugo ({hugo['cold']:.2f} s): target <= 1.5x {verdict(ratio <= 1.5)}"
            )
        if eleventy:
            ratio = b["cold"] / eleventy["cold"]
            out.append(
                f"- cold = {ratio:.2f}x Eleventy ({eleventy['cold']:.2f} s): target <= 0.5x {verdict(ratio <= 0.5)}"
            )
        out.append(f"- no-change rebuild {b['nochange']:.2f} s: target <= 0.5 s {verdict(b['nochange'] <= 0.5)}")
        out.append(f"- one-edit rebuild {b['oneedit']:.2f} s: target <= 0.8 s {verdict(b['oneedit'] <= 0.8)}")
        out.append(
            f"- peak RSS {b['rss']:.0f} MiB (PSS {b.get('pss', 0):.0f}): target <= 250 MiB {verdict(b['rss'] <= 250)}"
        )
        big = by.get((16000, medium, "briefgen"))
        if big:
            ratio = big["cold"] / b["cold"]
            out.append(
                f"- N = 16,000 cold {big['cold']:.2f} s = {ratio:.2f}x N = 4,000: target <= 4.5x {verdict(ratio <= 4.5)}"
            )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--media", nargs="+", default=["tmpfs", "disk"], choices=["tmpfs", "disk"])
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS + EXTRA_TOOLS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-install", action="store_true", help="use only what is installed")
    parser.add_argument("--keep", action="store_true", help="merge into bench/out/results.json instead of replacing it")
    args = parser.parse_args()

    if not args.no_install:
        ensure_tools(args.tools)
    code = Path(tempfile.mkdtemp(prefix="briefgen-bench-code-"))
    snapshot_code(code)
    info = versions()
    print("versions:", json.dumps(info), flush=True)
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    results: list[dict] = []
    if args.keep and (out_dir / "results.json").exists():  # add to (or replace in) an earlier run's table
        results = json.loads((out_dir / "results.json").read_text())["results"]
    for medium in args.media:
        base = Path("/dev/shm") if medium == "tmpfs" and Path("/dev/shm").is_dir() else out_dir
        for n in args.sizes:
            work = Path(tempfile.mkdtemp(prefix=f"briefgen-bench-{n}-", dir=base))
            try:
                corpus = make_corpus(n, work / "corpus", args.seed)
                names = sorted(p.name for p in (corpus / "content" / "articles").glob("*.md"))
                for name in args.tools:
                    tool = TOOL_CLASSES[name](corpus, work)
                    try:
                        r = measure(tool, args.runs, names)
                    except RuntimeError as exc:
                        print(f"{name} N={n} {medium}: {exc}", file=sys.stderr)
                        continue
                    r.update(n=n, medium=medium, tool=name, load=os.getloadavg()[0])
                    results = [x for x in results if (x["n"], x["medium"], x["tool"]) != (n, medium, name)]
                    results.append(r)
                    print(
                        f"{medium} N={n} {name}: cold {r['cold']:.2f} s, no-change {r['nochange']:.2f} s, "
                        f"one-edit {r['oneedit']:.2f} s, peak RSS {r['rss']:.0f} MiB, PSS {r['pss']:.0f} MiB",
                        flush=True,
                    )
                    (out_dir / "results.json").write_text(json.dumps({"versions": info, "results": results}, indent=1))
            finally:
                shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(code, ignore_errors=True)
    print()
    print(table(results))
    print()
    print(targets(results))


if __name__ == "__main__":
    main()
