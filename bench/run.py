#!/usr/bin/env python3
"""Time briefgen against Hugo, Eleventy and Pelican on the same generated corpus.

    python bench/run.py                       # N = 1000 4000 16000, tmpfs and disk, 3 runs
    python bench/run.py --sizes 4000 --media tmpfs --runs 5 --tools briefgen hugo
    python bench/run.py --sizes 16000 64000 --runs 1 --tools briefgen --media tmpfs --modes pipe --jobs 2 --keep

For each size and medium it writes the corpus (``make_corpus.py``), the same
articles as a Hugo, an Eleventy and a Pelican project (``adapters.py``), then per
tool measures, as medians of ``--runs`` runs:

* cold: output folder and every cache removed first;
* no-change: the same command again, nothing touched;
* one-edit: one article's body changed (a different article each run);
* CPU seconds (user + system) of the tool's whole process tree for each of those,
  which the other work on a shared machine disturbs less than wall time;
* peak RSS and peak PSS: the largest sums over the tool's whole process tree,
  sampled every 10 ms (PSS every 50 ms), over the cold and one-edit runs.

briefgen runs twice in each step (``--modes``): with its output on a
pseudo-terminal opened by this script (``pty``: ``isatty()`` is true and the
progress bar is drawn; no ``script`` or shell process joins the measured tree)
and on a pipe (``pipe``: no bar), taking turns. Issue 19's targets use the
slower of the two. A run is killed if the machine's free memory falls under
2 GiB (``MEMORY_FLOOR``), and reported as stopped with its peak.

It installs what is missing first: Debian's ``hugo`` with apt-get, Eleventy
from npm into ``~/.cache/briefgen-bench/node``, Pelican, Markdown and psutil
from PyPI. Results go to ``bench/out/results.json`` and a Markdown table on
stdout. Not part of the test suite: timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import json
import os
import re
import resource
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import adapters  # noqa: E402
from make_corpus import make_corpus  # noqa: E402

NODE_DIR = Path.home() / ".cache" / "briefgen-bench" / "node"
ELEVENTY = NODE_DIR / "node_modules" / ".bin" / "eleventy"
TOOLS = ("briefgen", "hugo", "eleventy", "pelican")
EXTRA_TOOLS = ("briefgen-j1",)
MODES = ("pty", "pipe")  # briefgen with its output on a pseudo-terminal (progress bar drawn), and on a pipe
MEMORY_FLOOR = 2 << 30  # a run is stopped when the machine has less than this available


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
            found = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=ENV)
            return found.stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    return {
        "briefgen": out([sys.executable, "-c", "import briefgen; print(briefgen.__version__)"]),
        "hugo": out(["hugo", "version"]).split()[1] if shutil.which("hugo") else "-",
        "eleventy": out([str(ELEVENTY), "--version"]) if ELEVENTY.exists() else "-",
        "pelican": out(["pelican", "--version"]) if shutil.which("pelican") else "-",
        "cores": str(os.cpu_count()),
    }


# --- one timed run -------------------------------------------------------------------


ENV: dict[str, str] = dict(os.environ)


def snapshot_code(dest: Path) -> None:
    """Run briefgen from a copy of its code taken now: edits made while the bench runs don't count.

    The copy is byte-compiled, as ``pip install`` leaves a package: with PYTHONDONTWRITEBYTECODE set (as in
    many CI and sandbox shells) every run would compile each module it imports again, some 12 ms of a
    no-change build's CPU at 4,000 articles that no installed briefgen pays."""
    repo = HERE.parent
    shutil.copytree(repo / "briefgen", dest / "briefgen", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(str(dest / "briefgen"), quiet=1)
    if (repo / "templates").is_dir():
        shutil.copytree(repo / "templates", dest / "templates")
    ENV["PYTHONPATH"] = str(dest)


@dataclass
class Run:
    """One timed command: wall seconds, CPU seconds of the tree, peak memory of the tree (MiB)."""

    seconds: float
    cpu: float
    rss: float
    pss: float
    stopped: str = ""  # why the bench stopped it (memory), with the last thing it printed
    redraws: int = 0  # lines of a progress bar erased and drawn again (a terminal run's bar)


def _children_cpu() -> float:
    """User + system seconds of every child (and their reaped descendants) this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pss(pid: int) -> int:
    """Proportional set size of one process in bytes, from /proc/PID/smaps_rollup (cheaper than smaps)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _drain(fd: int, tail: bytearray, seen: list[int]) -> None:
    """Read a child's output until it closes (a pty's or a pipe's buffer must not fill).

    Keeps the last 4 KB, and counts in ``seen`` the redraws of a progress bar (rich hides the cursor
    and rewrites the line: ``ESC[2K``, erase line), so a terminal run can show that the bar was drawn.
    """
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the pty's last writer has gone
            break
        if not chunk:
            break
        seen[0] += chunk.count(b"\x1b[2K")
        tail += chunk
        del tail[:-4096]
    os.close(fd)


def _pty(columns: int = 120, rows: int = 40) -> tuple[int, int]:
    """A pseudo-terminal (master, slave) of a real terminal's size, so rich draws its bar as it would there."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return master, slave


def timed(cmd: list[str], cwd: Path, terminal: bool = False, env: dict | None = None) -> Run:
    """Run ``cmd`` with its output on a pseudo-terminal (``terminal``) or a pipe; measure it.

    With ``terminal`` the command's stdin, stdout and stderr are the slave side of a pty opened here
    (``os.openpty``), so ``isatty()`` is true and briefgen draws its progress bar, and no wrapper
    process (``script``, a shell) sits in the tree: the process tree measured is the tool's own.
    RSS counts memory shared between processes (a forked worker's inherited pages) once per process;
    PSS splits it between them, so it is the fairer sum for tools that fork. RSS is sampled every
    10 ms, PSS every 50 ms (reading it costs more). CPU is user + system of the tool and every
    descendant it waited for (``getrusage(RUSAGE_CHILDREN)`` before and after).
    If the machine's available memory falls under ``MEMORY_FLOOR`` the tree is killed and the run
    reported as stopped, with the peak reached and the last thing the tool printed.
    """
    import psutil

    env = dict(env or ENV)
    if terminal:
        env.pop("CI", None)
        env["TERM"] = "xterm-256color"
        read_fd, slave = _pty()
        streams = {"stdin": slave, "stdout": slave, "stderr": slave}
    else:
        read_fd, slave = os.pipe()
        streams = {"stdin": subprocess.DEVNULL, "stdout": slave, "stderr": slave}
    tail = bytearray()
    seen = [0]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True, **streams)
    os.close(slave)
    reader = threading.Thread(target=_drain, args=(read_fd, tail, seen), daemon=True)
    reader.start()
    peak = peak_pss = 0
    tick = 0
    stopped = ""
    try:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                tree = []
            total = 0
            for p in tree:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, total)
            if tick % 5 == 0:
                peak_pss = max(peak_pss, sum(_pss(p.pid) for p in tree))
                if psutil.virtual_memory().available < MEMORY_FLOOR:
                    stopped = (
                        f"stopped after {time.perf_counter() - started:.1f} s: under {MEMORY_FLOOR >> 30} GiB free"
                    )
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
            tick += 1
            time.sleep(0.01)
    except psutil.Error:
        pass
    proc.wait()
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    reader.join(timeout=5)
    out = _plain(bytes(tail))
    if stopped:
        return Run(seconds, cpu, peak / 2**20, peak_pss / 2**20, f"{stopped}; last output: {out[-300:]!r}", seen[0])
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
    return Run(seconds, cpu, peak / 2**20, peak_pss / 2**20, redraws=seen[0])


def _plain(data: bytes) -> str:
    """A terminal's output without its escape sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", data.decode(errors="replace"))


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

    jobs: int | None = None  # --jobs; None: briefgen's default, one process per core

    def command(self) -> list[str]:
        # not --quiet: that turns the progress bar off, and the terminal run is there to draw it
        jobs = ["--jobs", str(self.jobs)] if self.jobs else []
        return [sys.executable, "-m", "briefgen", "build", "-s", str(self.src), "-o", str(self.out), *jobs]

    def caches(self) -> list[Path]:
        return [self.src / ".briefgen-cache"]

    def article(self, name: str) -> Path:
        return self.src / "content" / "articles" / name

    def inventory(self) -> dict:
        """What a build leaves behind, for extrapolating to larger N: files, bytes, the largest, the cache."""
        sizes = [p.stat().st_size for p in self.out.rglob("*") if p.is_file()]
        cache = self.src / ".briefgen-cache"
        cached = [p.stat().st_size for p in cache.rglob("*") if p.is_file()] if cache.is_dir() else []
        state = cache / "state.json"
        biggest = sorted(self.out.rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0)[-3:]
        return {
            "files": len(sizes),
            "inodes": sum(1 for _ in self.out.rglob("*")) + 1,
            "bytes": sum(sizes),
            "largest": {str(p.relative_to(self.out)): p.stat().st_size for p in biggest},
            "feed_bytes": sum(p.stat().st_size for p in self.out.rglob("*.xml")),
            "cache_files": len(cached),
            "cache_bytes": sum(cached),
            "state_bytes": state.stat().st_size if state.exists() else 0,
        }


class BriefgenOneProcess(Briefgen):
    """briefgen with --jobs 1: the memory of one process, the speed of one core."""

    name = "briefgen-j1"

    def prepare(self) -> Path:
        self.src = self.work / "briefgen-j1"
        if self.src.exists():
            shutil.rmtree(self.src)
        shutil.copytree(self.corpus, self.src)
        return self.src

    jobs = 1


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


def _summary(runs: int, cold: list[Run], nochange: list[Run], oneedit: list[Run]) -> dict:
    built = cold + oneedit
    stopped = [r.stopped for r in cold + nochange + oneedit if r.stopped]
    return {
        "cold": statistics.median(r.seconds for r in cold),
        "nochange": statistics.median(r.seconds for r in nochange) if nochange else None,
        "oneedit": statistics.median(r.seconds for r in oneedit) if oneedit else None,
        "cpu_cold": statistics.median(r.cpu for r in cold),
        "cpu_nochange": statistics.median(r.cpu for r in nochange) if nochange else None,
        "cpu_oneedit": statistics.median(r.cpu for r in oneedit) if oneedit else None,
        "rss": max(r.rss for r in built),
        "pss": max(r.pss for r in built),
        "runs": runs,
        "stopped": stopped[0] if stopped else "",
        "redraws": [r.redraws for r in cold + nochange + oneedit],  # progress bar lines drawn, per run
        "raw": {
            "cold": [r.seconds for r in cold],
            "nochange": [r.seconds for r in nochange],
            "oneedit": [r.seconds for r in oneedit],
            "cpu_cold": [r.cpu for r in cold],
            "cpu_nochange": [r.cpu for r in nochange],
            "cpu_oneedit": [r.cpu for r in oneedit],
            "rss": [r.rss for r in built],
            "pss": [r.pss for r in built],
        },
    }


def measure(tool: Tool, runs: int, article_names: list[str], modes: tuple[str, ...] = ("pipe",)) -> dict[str, dict]:
    """{mode: figures}: cold, no-change and one-edit runs of ``tool`` for each output mode, interleaved.

    The modes take turns inside each run (and swap who goes first from one run to the next), so a change
    in the machine's load touches both alike. Every mode gets its own cold build (output and caches
    removed), its own no-change build and its own edit: of the same article as the other modes in that run
    (each appends its own line), of another article in the next run.
    """
    cwd = tool.prepare()
    got = {m: ([], [], []) for m in modes}
    edits = 0

    def run(mode: str) -> Run:
        return timed(tool.command(), cwd, terminal=mode == "pty")

    for i in range(runs):
        order = modes if i % 2 == 0 else tuple(reversed(modes))
        for mode in order:
            tool.clean()
            got[mode][0].append(run(mode))
            if got[mode][0][-1].stopped:
                return {m: _summary(runs, *got[m]) for m in modes if got[m][0]}
        for mode in order:
            got[mode][1].append(run(mode))
        # one article a run, edited by each mode in turn: an edit's cost depends on the article (the size of
        # its topics), so two modes given different articles would differ by their articles, not by the mode
        name = article_names[(i * 7919) % len(article_names)]
        for mode in order:
            edit(tool.article(name), edits)
            edits += 1
            got[mode][2].append(run(mode))
    summary = {m: _summary(runs, *got[m]) for m in modes}
    if isinstance(tool, Briefgen):  # after an edit: the output and cache of a built site
        for figures in summary.values():
            figures["inventory"] = tool.inventory()
    return summary


# --- the table ----------------------------------------------------------------------


def _key(r: dict) -> tuple:
    return (r["n"], r["medium"], r["tool"], r.get("mode", "pipe"))


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(results: list[dict]) -> str:
    lines = [
        "| N | output | tool | to | cold (s) | no-change (s) | one edit (s) | CPU cold / no-change / edit (s) "
        "| peak RSS (MiB) | peak PSS (MiB) | runs | load avg |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = {t: i for i, t in enumerate(TOOLS + EXTRA_TOOLS)}
    for r in sorted(results, key=lambda r: (r["medium"], r["n"], order[r["tool"]], r.get("mode", "pipe"))):
        cpu = " / ".join(_s(r.get(k)) for k in ("cpu_cold", "cpu_nochange", "cpu_oneedit"))
        lines.append(
            f"| {r['n']:,} | {r['medium']} | {r['tool']} | {r.get('mode', 'pipe')} | {_s(r['cold'])} | "
            f"{_s(r['nochange'])} | {_s(r['oneedit'])} | {cpu} | {r['rss']:.0f} | {_mib(r.get('pss'))} | "
            f"{r['runs']} | {r.get('load_start', 0):.1f}-{r.get('load', 0):.1f} |"
        )
        if r.get("stopped"):
            lines.append(f"|  |  |  |  | {r['stopped']} |  |  |  |  |  |  |  |")
    return "\n".join(lines)


def _mib(value: float | None) -> str:
    return f"{value:.0f}" if value else "-"


def slower(results: list[dict], n: int, medium: str, tool: str = "briefgen") -> dict | None:
    """The tool's figures at ``n``, each the worse of its terminal and non-terminal runs (issue 19 uses that)."""
    rows = [r for r in results if r["n"] == n and r["medium"] == medium and r["tool"] == tool]
    if not rows:
        return None
    worst = {}
    for k in ("cold", "nochange", "oneedit", "rss", "pss", "cpu_cold", "cpu_nochange", "cpu_oneedit"):
        values = [r[k] for r in rows if r.get(k) is not None]
        worst[k] = max(values) if values else None
        worst[k + "_from"] = max(rows, key=lambda r: r.get(k) or 0).get("mode", "pipe")
    return worst


def targets(results: list[dict]) -> str:
    """Issue 19's targets at N = 4,000 (16,000 and 64,000 against the size before), per medium."""
    out = []
    for medium in sorted({r["medium"] for r in results}):
        b = slower(results, 4000, medium)
        if not b:
            continue

        def verdict(ok: bool) -> str:
            return "met" if ok else "NOT met"

        out.append(f"Targets at N = 4,000 on {medium} (briefgen: the slower of pty and pipe for each):")
        hugo = slower(results, 4000, medium, "hugo")
        if hugo:
            ratio = b["cold"] / hugo["cold"]
            out.append(
                f"- cold {b['cold']:.2f} s ({b['cold_from']}) = {ratio:.2f}x Hugo ({hugo['cold']:.2f} s): "
                f"target <= 1.5x {verdict(ratio <= 1.5)}"
            )
        if b["nochange"] is not None:
            out.append(
                f"- no-change rebuild {b['nochange']:.2f} s ({b['nochange_from']}): "
                f"target <= 0.15 s {verdict(b['nochange'] <= 0.15)}"
            )
        if b["oneedit"] is not None:
            out.append(
                f"- one-edit rebuild {b['oneedit']:.2f} s ({b['oneedit_from']}): "
                f"target <= 0.8 s {verdict(b['oneedit'] <= 0.8)}"
            )
        out.append(f"- peak PSS {b['pss']:.0f} MiB (RSS {b['rss']:.0f}): target <= 250 MiB {verdict(b['pss'] <= 250)}")
        for small, big, target in ((4000, 16000, 4.2), (16000, 64000, 4.2)):
            a, z = slower(results, small, medium), slower(results, big, medium)
            if a and z:
                ratio = z["cold"] / a["cold"]
                out.append(
                    f"- N = {big:,} cold {z['cold']:.2f} s = {ratio:.2f}x N = {small:,}: "
                    f"target <= {target}x {verdict(ratio <= target)}"
                )
        z = slower(results, 64000, medium)
        if z:
            out.append(f"- N = 64,000 peak PSS {z['pss']:.0f} MiB: target <= 3 GiB {verdict(z['pss'] <= 3072)}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--media", nargs="+", default=["tmpfs", "disk"], choices=["tmpfs", "disk"])
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS + EXTRA_TOOLS)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES, help="briefgen's output: pty, pipe")
    parser.add_argument("--jobs", type=int, help="briefgen's --jobs (default: its own, one per core)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-install", action="store_true", help="use only what is installed")
    parser.add_argument("--keep", action="store_true", help="merge into the results file instead of replacing it")
    parser.add_argument("--results", type=Path, default=HERE / "out" / "results.json", help="where the figures go")
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
    if args.keep and args.results.exists():  # add to (or replace in) an earlier run's table
        results = json.loads(args.results.read_text())["results"]
    try:
        for medium in args.media:
            for n in args.sizes:
                results = bench_size(args, n, medium, out_dir, info, results)
    finally:
        shutil.rmtree(code, ignore_errors=True)
    print()
    print(table(results))
    print()
    print(targets(results))


def bench_size(args, n: int, medium: str, out_dir: Path, info: dict, results: list[dict]) -> list[dict]:
    """Every tool at one size on one medium; the corpus and every output deleted afterwards."""
    base = Path("/dev/shm") if medium == "tmpfs" and Path("/dev/shm").is_dir() else out_dir
    work = Path(tempfile.mkdtemp(prefix=f"briefgen-bench-{n}-", dir=base))
    try:
        corpus = make_corpus(n, work / "corpus", args.seed)
        names = sorted(p.name for p in (corpus / "content" / "articles").glob("*.md"))
        for name in args.tools:
            tool = TOOL_CLASSES[name](corpus, work)
            if args.jobs and isinstance(tool, Briefgen) and tool.jobs is None:
                tool.jobs = args.jobs
            modes = tuple(args.modes) if isinstance(tool, Briefgen) else ("pipe",)
            load_start = os.getloadavg()[0]
            try:
                by_mode = measure(tool, args.runs, names, modes)
            except RuntimeError as exc:
                print(f"{name} N={n} {medium}: {exc}", file=sys.stderr)
                continue
            for mode, r in by_mode.items():
                r.update(n=n, medium=medium, tool=name, mode=mode, load_start=load_start, load=os.getloadavg()[0])
                results = [x for x in results if _key(x) != _key(r)]
                results.append(r)
                print(
                    f"{medium} N={n} {name} ({mode}): cold {_s(r['cold'])} s, no-change {_s(r['nochange'])} s, "
                    f"one-edit {_s(r['oneedit'])} s, CPU {_s(r['cpu_cold'])} / {_s(r['cpu_nochange'])} / "
                    f"{_s(r['cpu_oneedit'])} s, peak RSS {r['rss']:.0f} MiB, PSS {r['pss']:.0f} MiB"
                    + (f"; {r['stopped']}" if r["stopped"] else ""),
                    flush=True,
                )
            args.results.write_text(json.dumps({"versions": info, "results": results}, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
