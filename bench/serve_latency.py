#!/usr/bin/env python3
"""Time from saving an article to the reload event reaching each open page, under `briefgen serve`.

    python bench/serve_latency.py [--edits 20] [--articles 2000] [--corpus DIR] [--keep DIR]

For the example project and for a generated project of ``--articles`` articles
(``bench/make_corpus.py``; ``--corpus`` takes one already made), this starts
the real ``briefgen serve`` in a subprocess on 127.0.0.1 and opens three
reload connections as browser tabs would: the newest article's page, its first
topic's page and the home page (both list it). It then saves that article
``--edits`` times (a new title each time, written in place) and measures, for
each page, from just before each write to the arrival of the first ``built``
event naming it. It prints the median and spread per page, the time until the
whole rebuild was written, the rebuild time the server itself reported, and
how often a page reloaded a second time. Not a test: figures depend on the
machine.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
EVENTS = "/__briefgen/events"


def example_project(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "briefgen.yaml", dest / "briefgen.yaml")
    shutil.copytree(REPO / "content", dest / "content")
    return dest


def corpus_project(n: int, dest: Path) -> Path:
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "make_corpus.py"), str(n), str(dest)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return dest


class Server:
    """`briefgen serve --port 0` in a subprocess; collects what it prints."""

    def __init__(self, project: Path):
        # The briefgen measured is this checkout's: ``-m`` puts the working folder first on the path, so the
        # server runs in the project (no briefgen there) with this repository ahead of any installed copy.
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1", PYTHONPATH=path)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "serve", "--source", str(project), "--port", "0"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.port = None
        started = time.monotonic()
        for line in self.proc.stdout:
            self.lines.append(line)
            match = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
            if match:
                self.port = int(match.group(1))
                break
        if self.port is None:
            raise SystemExit("briefgen serve did not start:\n" + "".join(self.lines))
        self.startup = time.monotonic() - started
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Channel:
    """The reload connection of a page that shows ``page`` (its file in the output folder), as a browser has it.

    A thread reads the events as they arrive and notes when each did, so that several pages can be timed
    at once and waiting for the next event can time out.
    """

    def __init__(self, port: int, page: str):
        self.page = page
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", f"{EVENTS}?page={quote(page, safe='')}")
        self.resp = self.conn.getresponse()
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event, data = "message", []
        with contextlib.suppress(OSError, ValueError):
            while True:
                line = self.resp.fp.readline().decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    self.events.put((time.perf_counter(), event, json.loads("".join(data))))
                    event, data = "message", []

    def next(self) -> tuple[float, str, dict]:
        return self.events.get(timeout=120)

    def reloaded(self) -> float:
        """When the next ``built`` event naming this page arrived."""
        while True:
            at, name, data = self.next()
            if name == "built" and self.page in data["changed"]:  # not the rest of the previous rebuild
                return at
            if name == "failed":
                raise SystemExit(f"the edit broke the build: {data['problems'][:3]}")

    def drain(self, quiet: float) -> list[tuple[float, str, dict]]:
        """The events that arrive until none has for ``quiet`` seconds."""
        found = []
        with contextlib.suppress(queue.Empty):
            while True:
                found.append(self.events.get(timeout=quiet))
        return found


def rebuilt_lines(server: Server) -> list[int]:
    return [int(m.group(1)) for line in list(server.lines) if (m := re.search(r"Rebuilt in (\d+) ms", line))]


def newest_article(project: Path) -> tuple[Path, str]:
    """The newest article (so the home page lists it) and its first topic: the pages a writer may have open."""
    found = []
    for path in (project / "content/articles").glob("*.md"):
        head = path.read_text(encoding="utf-8").split("\n---", 1)[0]
        date = re.search(r"^date: *(\S+)", head, re.M)
        topics = re.search(r"^topics: *\[([^],]+)", head, re.M)
        if date and topics:
            found.append((date.group(1), path.name, path, topics.group(1).strip()))
    _date, _name, path, topic = max(found)
    return path, topic


def measure(project: Path, edits: int) -> dict:
    """Open the newest article's page, its first topic's page and the home page; edit its title ``edits`` times."""
    article, topic = newest_article(project)
    text = article.read_text(encoding="utf-8")
    server = Server(project)
    try:
        pages = {
            "article": f"articles/{article.stem}/index.html",
            "topic": f"topics/{topic}/index.html",
            "home": "index.html",
        }
        channels = {kind: Channel(server.port, page) for kind, page in pages.items()}
        for channel in channels.values():
            assert channel.next()[1] == "hello"
        latencies: dict[str, list[float]] = {kind: [] for kind in pages}
        whole, again = [], 0
        for i in range(edits):
            time.sleep(0.5)  # a writer's pause between saves; the previous rebuild's idle work may still run
            new = re.sub(r"^title: .*$", f'title: "Benchmark edit number {i}"', text, count=1, flags=re.M)
            started = time.perf_counter()
            article.write_text(new, encoding="utf-8")
            for kind, channel in channels.items():
                latencies[kind].append(channel.reloaded() - started)
            while len(rebuilt_lines(server)) < i + 1:  # the whole rebuild (every affected page) is written
                time.sleep(0.005)
            whole.append(time.perf_counter() - started)
            # a page reloads once more if the whole rebuild wrote it again (it differed from the first render)
            for channel in channels.values():
                again += any(n == "built" and channel.page in d["changed"] for _at, n, d in channel.drain(0.2))
        rebuilds = rebuilt_lines(server)
        out = {kind: (statistics.median(xs) * 1000, min(xs) * 1000, max(xs) * 1000) for kind, xs in latencies.items()}
        out.update(
            whole_median_ms=statistics.median(whole) * 1000,
            rebuild_median_ms=statistics.median(rebuilds) if rebuilds else None,
            again=again,
            startup_s=server.startup,
            pages=next((m.group(1) for line in server.lines if (m := re.search(r"Built (\d+) pages", line))), "?"),
        )
        return out
    finally:
        server.stop()
        article.write_text(text, encoding="utf-8")  # a --corpus project as it was


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--articles", type=int, default=2000, help="size of the generated project")
    parser.add_argument("--keep", type=Path, help="build the projects here instead of a temporary folder")
    parser.add_argument("--example-only", action="store_true", help="skip the generated project")
    parser.add_argument("--corpus", type=Path, help="a project already made by make_corpus.py (it is edited)")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="briefgen-serve-bench-"))
    try:
        runs = [("example", measure(example_project(base / "example"), args.edits))]
        if not args.example_only:
            corpus = args.corpus or corpus_project(args.articles, base / f"corpus-{args.articles}")
            runs.append((f"{args.articles} articles", measure(corpus, args.edits)))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"save -> reload event of each open page (median, min-max), one-article edit, {args.edits} edits")
    print("(the newest article's own page, its first topic's page and the home page, all open at once)")
    print("(whole: until every affected page is written; rebuild: the server's own figure for Builder.rebuild)")
    print("(again: reloads of an open page after its first one, the whole rebuild having rendered it")
    print(" differently from the first render; summed over the three pages)")
    head = "".join(f"{kind:>22}" for kind in ("article", "topic", "home"))
    print(f"{'project':<16}{'pages':>7}{head}{'whole':>10}{'rebuild':>10}{'again':>7}")
    for name, r in runs:
        rebuild = f"{r['rebuild_median_ms']:.0f} ms" if r["rebuild_median_ms"] is not None else "?"
        cells = "".join(
            f"{f'{r[k][0]:.0f} ({r[k][1]:.0f}-{r[k][2]:.0f}) ms':>22}" for k in ("article", "topic", "home")
        )
        print(f"{name:<16}{r['pages']:>7}{cells}{r['whole_median_ms']:>7.0f} ms{rebuild:>10}{r['again']:>7}")


if __name__ == "__main__":
    main()
