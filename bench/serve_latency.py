#!/usr/bin/env python3
"""Time from saving an article to the reload event reaching an open page, under `briefgen serve`.

    python bench/serve_latency.py [--edits 20] [--articles 2000] [--keep DIR]

For the example project and for a generated project of ``--articles`` articles
(``bench/make_corpus.py``), this starts the real ``briefgen serve`` in a
subprocess on 127.0.0.1, connects to its reload channel as a page would, then
saves one article ``--edits`` times (a new title each time, written in place)
and measures from just before each write to the arrival of the first
``built`` event for that article's page, which the channel says is open (as
the injected script does for a page in a browser). A second channel has the
article's first topic page open (issue 19: "any open page, topic page
included"); the time its own ``built`` event arrived after the save is
reported too. In the generated project the newest article is edited, so its
topic's first page lists it. It prints the median and
spread of that, the time until the whole rebuild was written, and the
rebuild time the server itself reported. Not a test: figures depend on the
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
        env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "serve", "--source", str(project), "--port", "0"],
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

    A thread reads the events as they arrive, so that waiting for the next one can time out.
    """

    def __init__(self, port: int, page: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", f"{EVENTS}?page={quote(page, safe='')}")
        self.resp = self.conn.getresponse()
        self.events: queue.Queue = queue.Queue()
        self.arrived: list[tuple[float, str, dict]] = []  # (when, event, data) of every event, for a second page
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
                    self.events.put((event, json.loads("".join(data))))
                    self.arrived.append((time.perf_counter(), event, json.loads("".join(data))))
                    event, data = "message", []

    def next(self) -> tuple[str, dict]:
        return self.events.get(timeout=120)

    def drain(self, quiet: float) -> list[tuple[str, dict]]:
        """The events that arrive until none has for ``quiet`` seconds."""
        found = []
        with contextlib.suppress(queue.Empty):
            while True:
                found.append(self.events.get(timeout=quiet))
        return found


def rebuilt_lines(server: Server) -> list[int]:
    return [int(m.group(1)) for line in list(server.lines) if (m := re.search(r"Rebuilt in (\d+) ms", line))]


def measure(project: Path, article: Path, edits: int) -> dict:
    server = Server(project)
    try:
        page = f"articles/{article.stem}/index.html"
        channel = Channel(server.port, page)  # the writer has the article open
        assert channel.next()[0] == "hello"
        text = article.read_text(encoding="utf-8")
        topic = re.search(r"^topics: \[?\s*([\w-]+)", text, re.M)
        other = f"topics/{topic.group(1)}/index.html" if topic else None  # the article's topic page, open too
        side = Channel(server.port, other) if other else None
        latencies, whole, again, others = [], [], 0, []
        for i in range(edits):
            time.sleep(0.5)  # a writer's pause between saves; the previous rebuild's idle work may still run
            new = re.sub(r"^title: .*$", f'title: "Benchmark edit number {i}"', text, count=1, flags=re.M)
            started = time.perf_counter()
            article.write_text(new, encoding="utf-8")
            while True:
                name, data = channel.next()
                if name == "built" and page in data["changed"]:  # not the rest of the previous rebuild
                    break
                if name == "failed":
                    raise SystemExit(f"the edit broke the build: {data['problems'][:3]}")
            latencies.append(time.perf_counter() - started)
            while len(rebuilt_lines(server)) < i + 1:  # the whole rebuild (every affected page) is written
                time.sleep(0.005)
            whole.append(time.perf_counter() - started)
            if side is not None:  # when the topic page's own reload event came, if the edit changed it
                came = [t for t, n, d in list(side.arrived) if t >= started and n == "built" and other in d["changed"]]
                if came:
                    others.append(min(came) - started)
            # the page reloads once more if the whole rebuild wrote it again (it differed from the first render)
            again += any(n == "built" and page in d["changed"] for n, d in channel.drain(0.2))
        rebuilds = rebuilt_lines(server)
        return {
            "median_ms": statistics.median(latencies) * 1000,
            "min_ms": min(latencies) * 1000,
            "max_ms": max(latencies) * 1000,
            "whole_median_ms": statistics.median(whole) * 1000,
            "rebuild_median_ms": statistics.median(rebuilds) if rebuilds else None,
            "again": again,
            "topic_page": other,
            "topic_median_ms": statistics.median(others) * 1000 if others else None,
            "topic_max_ms": max(others) * 1000 if others else None,
            "topic_reloads": len(others),
            "startup_s": server.startup,
            "pages": next((m.group(1) for line in server.lines if (m := re.search(r"Built (\d+) pages", line))), "?"),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--articles", type=int, default=2000, help="size of the generated project")
    parser.add_argument("--keep", type=Path, help="build the projects here instead of a temporary folder")
    parser.add_argument("--example-only", action="store_true", help="skip the generated project")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="briefgen-serve-bench-"))
    try:
        runs = []
        example = example_project(base / "example")
        runs.append(
            ("example", measure(example, next(iter(sorted((example / "content/articles").glob("*.md")))), args.edits))
        )
        if not args.example_only:
            corpus = corpus_project(args.articles, base / f"corpus-{args.articles}")
            articles = sorted((corpus / "content/articles").glob("*.md"))
            # the newest article: its topic's first page lists it, so the edit changes that page too
            runs.append((f"{args.articles} articles", measure(corpus, articles[-1], args.edits)))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"save -> reload event of the open article page, one-article edit, {args.edits} edits")
    print("(whole: until every affected page is written; rebuild: the server's own figure for Builder.rebuild)")
    print("(again: edits after which the open page reloaded a second time, the whole rebuild having rendered")
    print(" it differently from the first render)")
    print(f"{'project':<16}{'pages':>7}{'median':>10}{'min':>9}{'max':>9}{'whole':>10}{'rebuild':>10}{'again':>7}")
    for name, r in runs:
        rebuild = f"{r['rebuild_median_ms']:.0f} ms" if r["rebuild_median_ms"] is not None else "?"
        print(
            f"{name:<16}{r['pages']:>7}{r['median_ms']:>7.0f} ms{r['min_ms']:>6.0f} ms{r['max_ms']:>6.0f} ms"
            f"{r['whole_median_ms']:>7.0f} ms{rebuild:>10}{r['again']:>7}"
        )
    print("the article's topic page, open in a second tab (issue 19: any open page):")
    for name, r in runs:
        if r["topic_median_ms"] is None:
            print(f"{name:<16} {r['topic_page']}: no reload event for it in {args.edits} edits")
        else:
            print(
                f"{name:<16} {r['topic_page']}: median {r['topic_median_ms']:.0f} ms, max {r['topic_max_ms']:.0f} ms "
                f"({r['topic_reloads']} of {args.edits} edits)"
            )


if __name__ == "__main__":
    main()
