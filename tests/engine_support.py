"""Helpers for the engine tests: the command line on a pseudo-terminal, output trees, clean reference builds."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import run_cli


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (nothing tolerated: change history and manifest included)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(rel for rel in a.keys() | b.keys() if a.get(rel) != b.get(rel))


def on_terminal(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The real command line under ``script``: stdin, stdout and stderr are a pseudo-terminal, as for a user
    (``CI`` unset, so the progress bar is drawn)."""
    command = shlex.join([sys.executable, "-m", "briefgen", *args])
    full = {k: v for k, v in os.environ.items() if k != "CI"}
    full.update(TERM="xterm", PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run(
        ["script", "-qec", command, "/dev/null"], env=full, capture_output=True, text=True, timeout=600
    )


def clean_reference(project: Path, before: Path | None, dest: Path, env: dict[str, str] | None = None) -> Path:
    """A build with no cache into ``dest``, started from a copy of ``before`` (the output as it was before the
    incremental build being judged), so that both read the same change history."""
    if dest.exists():
        shutil.rmtree(dest)
    if before is not None and before.exists():
        shutil.copytree(before, dest)
    run_cli("build", "-q", "--no-cache", "--jobs", "1", "-s", str(project), "-o", str(dest), check=True, env=env)
    return dest


ARTICLE = """---
title: "{title}"
date: {date}
topics: [{topic}]
summary: "{title}, in one line."
sources:
  - source: {source}
    url: https://example.org/{slug_hint}
{extra}---

{body}
"""


def write_article(path: Path, title: str, topic: str, source: str, body: str, date: str, extra: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        ARTICLE.format(title=title, date=date, topic=topic, source=source, slug_hint=path.stem, extra=extra, body=body)
    )


def in_a_new_process(module: str, scenario: str, *args) -> None:
    """``scenario(*args)`` of the test module ``module`` in a new, single-threaded Python process, where forking is
    allowed (``parallel.can_fork``): there the parallel paths run as they do in a build."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import {module} as t; "
        f"from briefgen.engine import parallel; assert parallel.can_fork(), 'a new process may fork'; "
        f"t.{scenario}(*{args!r})"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def edit_first_figure(articles: Path) -> None:
    """The first figure of the first article (in ``articles``) that has one: another value (4321)."""
    for path in sorted(articles.glob("*.md")):
        text = path.read_text()
        at = text.find("\n    value: ")
        if at != -1 and text.find("\n---", 4) > at:
            end = text.index("\n", at + 1)
            path.write_text(text[:at] + "\n    value: 4321" + text[end:])
            return
    raise AssertionError("the example has no figure to edit")
