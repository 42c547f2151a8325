"""`briefgen build` ends its process without tearing the interpreter down (``cli._end_after``).

What that must not cost: anything the build prints when its output is a pipe (block-buffered, no
PYTHONUNBUFFERED), its exit status on success and on failure, and a profiler's report
(``python -m cProfile -m briefgen build`` writes its statistics only when Python exits as usual).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import copy_example

SUMMARY = re.compile(r"\d+ written, \d+ unchanged, \d+ removed")


def _build(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_a_build_on_a_pipe_prints_everything_it_says(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    first = _build("-m", "briefgen", "build", "-s", str(project), "-j1")
    assert first.returncode == 0, first.stderr
    assert SUMMARY.search(first.stdout), first.stdout  # printed last but for the schedule's lines
    article = sorted((project / "content" / "articles").glob("*.md"))[0]
    with article.open("a", encoding="utf-8") as f:
        f.write("\nCorrection 1: an earlier version of this article gave the wrong figure.\n")
    edit = _build("-m", "briefgen", "build", "-s", str(project), "-j1")
    assert edit.returncode == 0, edit.stderr
    assert SUMMARY.search(edit.stdout), edit.stdout


def test_a_failed_build_keeps_its_exit_status_and_its_problems(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    article = sorted((project / "content" / "articles").glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    proc = _build("-m", "briefgen", "build", "-s", str(project), "-j1")
    assert proc.returncode == 1
    assert f"content/articles/{article.name}:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "site").exists()


def test_under_a_profiler_python_exits_as_usual(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    stats = tmp_path / "build.prof"
    proc = _build("-m", "cProfile", "-o", str(stats), "-m", "briefgen", "build", "-s", str(project), "-j1")
    assert proc.returncode == 0, proc.stderr
    assert stats.is_file() and stats.stat().st_size > 0  # written by cProfile after the build returned
