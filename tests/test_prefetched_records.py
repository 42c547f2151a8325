"""A cold build on several cores validates the articles and makes their records while it parses their front
matter (``engine.preparse``); the parent then takes each article from its record. What it stores, writes and
reports must be what a build on one core (where the parent does it all, in-line) stores, writes and reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO, run_cli
from engine_support import differing, tree

from briefgen.content.load import Loader
from briefgen.engine.build import build
from briefgen.engine.cachedata import CACHE_DIR
from briefgen.engine.parallel import can_fork
from briefgen.project import Project

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402

N = 120  # above the prefetch's threshold (64 misses) and parallel's (32 items a worker)


def _stores(project: Path) -> dict[str, bytes]:
    """The front-matter, articles and Markdown stores' files (no path or time in them: comparable as bytes)."""
    folder = project / CACHE_DIR
    return {
        p.name: p.read_bytes()
        for p in folder.glob("*.json")
        if p.name.startswith(("front-matter-", "articles-", "markdown-"))
    }


def test_a_cold_build_on_two_cores_stores_and_writes_what_one_core_does(tmp_path: Path):
    one = make_corpus(N, tmp_path / "one", seed=5)
    two = make_corpus(N, tmp_path / "two", seed=5)
    run_cli("build", "-q", "--jobs", "1", "-s", str(one), check=True)
    run_cli("build", "-q", "--jobs", "2", "-s", str(two), check=True)
    stored = _stores(one)
    assert any(name.startswith("articles-") for name in stored)
    assert _stores(two) == stored
    assert differing(tree(one / "site"), tree(two / "site")) == []


def _parent_parses_nothing(project: str) -> None:
    """In a new process: a cold build on two cores parses and validates no article in the parent."""
    parsed: list[str] = []
    real = Loader._parse_article

    def counting(self, rel, name, text):
        parsed.append(rel)
        return real(self, rel, name, text)

    Loader._parse_article = counting
    assert can_fork(), "a new process may fork"
    build(Project.at(project, None, None), jobs=2)
    assert parsed == [], parsed  # not one article parsed and validated in the parent
    assert any((Path(project) / CACHE_DIR).glob("articles-*.json"))


def test_the_parent_takes_every_sound_article_from_its_prefetched_record(tmp_path: Path):
    # In a new, single-threaded process: pytest's own may hold a thread another test left, and then no build forks.
    project = make_corpus(N, tmp_path / "corpus", seed=6)
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_prefetched_records as t; "
        f"t._parent_parses_nothing({str(project)!r})"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_broken_articles_are_reported_as_on_one_core(tmp_path: Path):
    project = make_corpus(N, tmp_path / "corpus", seed=7)
    articles = sorted((project / "content" / "articles").glob("*.md"))
    text = articles[10].read_text(encoding="utf-8")
    articles[10].write_text(text.replace("title:", "title: [unclosed", 1), encoding="utf-8")  # invalid YAML
    text = articles[50].read_text(encoding="utf-8")
    articles[50].write_text(text.replace("\nsummary:", "\nsumary:", 1), encoding="utf-8")  # fails validation
    text = articles[90].read_text(encoding="utf-8")
    articles[90].write_text(text.replace("people: [", "people: [nobody-known, ", 1), encoding="utf-8")  # links badly
    one = run_cli("build", "--jobs", "1", "-s", str(project), "-o", str(tmp_path / "one"))
    two = run_cli("build", "--jobs", "2", "-s", str(project), "-o", str(tmp_path / "two"))
    assert one.returncode == two.returncode == 1
    assert articles[10].name in one.stderr and articles[50].name in one.stderr
    assert two.stderr.replace(str(tmp_path / "two"), "OUT") == one.stderr.replace(str(tmp_path / "one"), "OUT")
