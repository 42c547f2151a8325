"""An edit's few pages rendered heaviest first by the parent and one forked worker (``engine.weighed``): the
site must be byte for byte what one core makes, and what a clean build makes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, run_cli
from engine_support import differing, tree

from briefgen.engine import weighed
from briefgen.engine.parallel import WORKER_LOG

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402

N = 120


def _edit(project: Path) -> None:
    article = sorted((project / "content" / "articles").glob("*.md"))[7]
    with article.open("a", encoding="utf-8") as f:
        f.write("\nCorrection: the figure was revised.\n")


def _build_weighed(project: str) -> None:
    """In a new process (single-threaded: it may fork): an incremental build on two cores, every page weighed."""
    from briefgen.engine.build import build
    from briefgen.engine.parallel import can_fork
    from briefgen.project import Project

    assert can_fork(), "a new process may fork"
    weighed.MIN_WEIGHT = weighed.HEAVY = 0  # any few pages are worth a worker
    build(Project.at(project, None, None), jobs=2)


def test_heaviest_first_orders_by_the_last_size_and_keeps_light_edits_in_line():
    class P:
        def __init__(self, output):
            self.output = output

    pages = [P("a"), P("b"), P("c")]
    sizes = {"a": ("", 10), "b": ("", 30_000_000), "c": ("", 5_000_000)}
    assert weighed.heaviest_first(pages, sizes, 1) is None  # one core
    assert weighed.heaviest_first(pages, {"a": ("", 10)}, 2) is None  # too little to pay for a fork
    assert weighed.heaviest_first(pages, {}, 2) is None  # no last build
    order = weighed.heaviest_first(pages, sizes, 2)
    assert order is None or order == [1, 2, 0]  # None where this process may not fork


def test_an_edit_rendered_on_two_processes_is_what_one_core_and_a_clean_build_make(tmp_path: Path):
    one = make_corpus(N, tmp_path / "one", seed=8)
    two = make_corpus(N, tmp_path / "two", seed=8)
    clean = make_corpus(N, tmp_path / "clean", seed=8)
    run_cli("build", "-q", "--jobs", "1", "-s", str(one), check=True)
    run_cli("build", "-q", "--jobs", "1", "-s", str(two), check=True)
    for project in (one, two, clean):
        _edit(project)
    run_cli("build", "-q", "--jobs", "1", "-s", str(one), check=True)
    run_cli("build", "-q", "--jobs", "1", "-s", str(clean), check=True)
    log = tmp_path / "workers.log"
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_weighed as t; "
        f"t._build_weighed({str(two)!r})"
    )
    env = dict(os.environ, **{WORKER_LOG: str(log)})
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert log.exists() and log.read_text().strip(), "a forked worker rendered some of the pages"
    expected = tree(clean / "site")
    assert differing(tree(one / "site"), expected) == []
    assert differing(tree(two / "site"), expected) == []
