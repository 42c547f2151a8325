"""`briefgen check` is the build engine with writing turned off.

Real projects in temp folders and the real command line in a subprocess: check reports exactly the problems a
build reports (errors from the link check, warnings from the editors' review and from cached Markdown), reuses
the last build's cache and kept pages without writing a byte into the output folder or its change history, and
checks the external links of pages kept from the last build against a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from http_support import recording_server

CORPUS = Path(__file__).resolve().parent / "broken"
ARTICLE = """---
title: {title}
date: {date}
topics: [{topic}]
summary: {title}, in one line.
{extra}sources:
  - source: afp
---
{body}
"""
UNCLOSED = "<style>\n.x { color: red }\n"  # with allow_html: a warning from rendering the Markdown (cached with it)
MISSING = "../../topics/no-such-topic/"


def _project(tmp_path: Path, held_body: str = "A held article.\n\n" + UNCLOSED) -> Path:
    """The broken corpus's valid base, plus ``second.md`` (edited by the tests) and ``held.md`` (never edited)."""
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "markdown:\n  allow_html: true\n")
    _article(project, "second", "Talks resume", "talks", "The delegations met again.\n")
    _article(project, "held", "A held line", "strikes", held_body)
    return project


def _article(project: Path, name: str, title: str, topic: str, body: str, extra: str = "") -> Path:
    path = project / "content/articles" / f"{name}.md"
    date = "2025-02-24T09:00:00+02:00" if name != "held" else "2025-02-22T09:00:00+02:00"
    path.write_text(ARTICLE.format(title=title, date=date, topic=topic, body=body, extra=extra))
    return path


def _append(path: Path, text: str) -> int:
    """Append ``text`` (one line) to ``path``; returns its line number."""
    before = path.read_text()
    path.write_text(before + "\n" + text + "\n")
    return len(before.splitlines()) + 2


def _check_problems(*args: str) -> tuple[int, list[str]]:
    """Exit status and the problems of ``briefgen check --format json``, each as the CLI prints it."""
    proc = run_cli("check", *args, "--format", "json")
    doc = json.loads(proc.stdout)
    assert set(doc) == {"ok", "errors", "warnings", "problems"}, doc
    assert doc["ok"] == (proc.returncode == 0)
    lines = []
    for p in doc["problems"]:
        assert set(p) == {"path", "line", "message", "hint", "severity"}, p
        where = f"{p['path']}:{p['line']}" if p["line"] else p["path"]
        text = f"{where}: {p['message']}" + (f" ({p['hint']})" if p["hint"] else "")
        lines.append(("warning: " if p["severity"] == "warning" else "") + text)
    assert doc["errors"] + doc["warnings"] == len(lines)
    assert doc["warnings"] == sum(1 for line in lines if line.startswith("warning: "))
    return proc.returncode, lines


def _printed_problems(stderr: str) -> list[str]:
    """The problem lines of a build's or a text check's stderr (not the notes and the closing summary)."""
    skip = ("note: ", "Build failed:", "Check failed:", "Check passed:")
    return [line for line in stderr.splitlines() if line and not line.startswith(skip)]


def _snapshot(root: Path, skip=lambda rel: False) -> dict[str, tuple]:
    """Every entry under ``root`` (folders too): its kind, bytes and mtime; what check must leave as it is."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if skip(rel):
                continue
            st = path.lstat()
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
            found[rel] = (path.is_dir(), data, st.st_mtime_ns, st.st_ino)
    return found


def _cache_churn(rel: str) -> bool:
    """What check may write besides the output: the content cache (it keeps it up to date, as a build does) and
    the project's lock file. The build state (``state.json``) is not among them."""
    if rel in (".briefgen.lock", ".briefgen-cache"):
        return True
    return rel.startswith(".briefgen-cache/") and rel != ".briefgen-cache/state.json"


def test_check_reports_exactly_the_problems_a_build_reports(tmp_path: Path):
    project = _project(tmp_path)
    run_cli("build", "-s", str(project), check=True)  # a cache, a state and a site for check to reuse
    second = project / "content/articles/second.md"
    line = _append(second, f"See [a topic]({MISSING}) and [below](#aftermath).")

    status, checked = _check_problems("-s", str(project))
    text = run_cli("check", "-s", str(project))
    built = run_cli("build", "-s", str(project))
    assert status == 1 and text.returncode == 1 and built.returncode == 1, built.stderr
    assert checked == _printed_problems(built.stderr) == _printed_problems(text.stderr)
    assert f"content/articles/second.md:{line}: page /articles/second/ links to '{MISSING}'" in "\n".join(checked)
    assert "but that page has no #aftermath" in "\n".join(checked)
    assert any(p.startswith("warning: content/articles/held.md:") and "is never closed" in p for p in checked)

    second.write_text(second.read_text().replace(f"See [a topic]({MISSING}) and [below](#aftermath).", "Fixed."))
    status, checked = _check_problems("-s", str(project))
    strict = run_cli("check", "-s", str(project), "--strict")
    built = run_cli("build", "-s", str(project))
    assert status == 0 and built.returncode == 0, built.stderr
    assert checked and all(p.startswith("warning: ") for p in checked)
    assert checked == _printed_problems(built.stderr)
    assert strict.returncode == 1 and "Check failed: 0 error(s)" in strict.stderr
    assert run_cli("build", "-s", str(project), "--strict").returncode == 1, "build --strict agrees"

    # nothing changed since that build: check takes build's shortcut and repeats what the build found
    again = run_cli("check", "-s", str(project))
    assert "note: nothing changed since the last build" in again.stderr
    assert _printed_problems(again.stderr) == checked and _check_problems("-s", str(project)) == (0, checked)
    assert run_cli("check", "-s", str(project), "--strict").returncode == 1
    _append(second, "A new paragraph.")  # changed: found again, not repeated
    changed = run_cli("check", "-s", str(project))
    assert "nothing changed" not in changed.stderr and _printed_problems(changed.stderr) == checked


def test_check_writes_nothing_in_the_output_folder_and_records_no_change(tmp_path: Path):
    project = _project(tmp_path)
    run_cli("build", "-s", str(project), check=True)
    second = project / "content/articles/second.md"
    second.write_text(second.read_text().replace("Talks resume", "Talks resume in Istanbul"))  # a recorded change
    _article(project, "third", "A third report", "talks", "New.\n")
    before = _snapshot(project, _cache_churn)

    for args in ((), ("--no-cache",), ("--drafts",), ("--strict",)):
        proc = run_cli("check", "-s", str(project), *args)
        assert "Nothing was written." in proc.stderr or proc.returncode == 1, proc.stderr
        assert _snapshot(project, _cache_churn) == before, args
    history = (project / "site/changes/history.json").read_bytes()
    run_cli("build", "-s", str(project), check=True)
    assert (project / "site/changes/history.json").read_bytes() != history, "the edit was one a build records"


def test_check_with_no_cache_reads_and_writes_no_cache(tmp_path: Path):
    project = _project(tmp_path)
    run_cli("build", "-s", str(project), check=True)
    _append(project / "content/articles/second.md", f"See [a topic]({MISSING}).")
    before = _snapshot(project, lambda rel: rel == ".briefgen.lock")
    cold = _check_problems("-s", str(project), "--no-cache")
    assert _snapshot(project, lambda rel: rel == ".briefgen.lock") == before
    assert cold == _check_problems("-s", str(project)), "cold and cached, the same problems"
    assert cold[0] == 1


def test_check_without_an_output_folder_creates_none(tmp_path: Path):
    project = _project(tmp_path)
    status, problems = _check_problems("-s", str(project))
    assert status == 0 and problems and not (project / "site").exists()
    run_cli("build", "-s", str(project), check=True)
    shutil.rmtree(project / "site")  # the state still lists every page the last build wrote
    before = _snapshot(project, _cache_churn)
    assert _check_problems("-s", str(project)) == (status, problems)
    assert not (project / "site").exists() and _snapshot(project, _cache_churn) == before
    assert sorted(p.name for p in project.parent.iterdir()) == ["project"], "no staging folder beside it either"


@pytest.mark.parametrize("built_first", [False, True])
def test_check_leaves_a_folder_that_is_not_a_briefgen_site_as_it_is(tmp_path: Path, built_first: bool):
    project = _project(tmp_path)
    if built_first:  # the state lists pages that the folder now in site/ does not hold
        run_cli("build", "-s", str(project), check=True)
        shutil.rmtree(project / "site")
    site = project / "site"
    (site / "notes").mkdir(parents=True)
    (site / "index.html").write_text("<p>someone else's page</p>")
    (site / "notes/plan.txt").write_text("not briefgen's\n")
    (site / ".git").mkdir()
    (site / ".git/HEAD").write_text("ref: refs/heads/main\n")
    before = _snapshot(project, _cache_churn)
    proc = run_cli("check", "-s", str(project))
    assert proc.returncode == 0 and "Check passed" in proc.stderr, proc.stderr
    assert "refusing" not in proc.stderr
    assert _snapshot(project, _cache_churn) == before
    refused = run_cli("build", "-s", str(project))
    assert refused.returncode == 1 and "refusing to build" in refused.stderr, "a build still refuses it"


def test_check_after_an_edit_finds_the_new_broken_link_and_keeps_a_cached_warning(tmp_path: Path):
    project = _project(tmp_path)
    built = run_cli("build", "-s", str(project), check=True)
    [held_warning] = [p for p in _printed_problems(built.stderr) if "is never closed" in p]
    assert held_warning.startswith("warning: content/articles/held.md:")
    line = _append(project / "content/articles/second.md", f"Now see [a topic]({MISSING}).")

    status, problems = _check_problems("-s", str(project))
    assert status == 1
    assert [p for p in problems if not p.startswith("warning: ")] == [
        f"content/articles/second.md:{line}: page /articles/second/ links to '{MISSING}', which does not exist "
        "(check the link's target)"
    ]
    assert held_warning in problems, "the unchanged article's Markdown came from the cache, with its warning"


def _gone_or_fine(path: str, port: int) -> tuple[int, dict[str, str]]:
    return (404 if path.startswith("/gone") else 200), {}


@pytest.fixture
def server():
    with recording_server(_gone_or_fine) as srv:
        yield srv


def test_external_checks_the_links_of_pages_kept_from_the_last_build(tmp_path: Path, server):
    port = server.server_address[1]
    held_body = f"A held article, citing [a page](http://127.0.0.1:{port}/gone/held).\n"
    project = _project(tmp_path, held_body=held_body)
    line = (project / "content/articles/held.md").read_text().splitlines().index(held_body.strip()) + 1
    gone = (
        f"content/articles/held.md:{line}: external link 'http://127.0.0.1:{port}/gone/held' is broken: "
        "HTTP 404 Not Found (fix the address, or link to an archived copy)"
    )
    second = project / "content/articles/second.md"
    _append(second, f"And [another](http://127.0.0.1:{port}/fine/second).")
    run_cli("build", "-s", str(project), check=True)
    args = ("-s", str(project), "--external", "--external-private", "--timeout", "5")

    # second's page is rendered again (with an internal link that is broken too); held's is kept
    original = second.read_text()
    broken = _append(second, f"See [a topic]({MISSING}).")
    status, problems = _check_problems(*args)
    assert status == 1
    assert [p for p in problems if f":{port}/" in p] == [gone], problems
    assert f"content/articles/second.md:{broken}: page /articles/second/ links to '{MISSING}'" in "\n".join(problems)
    assert {path.split("/")[1] for path in server.paths} == {"gone", "fine"}

    second.write_text(original)
    run_cli("build", "-s", str(project), check=True)  # every page is now the last build's: none is rendered
    server.paths.clear()
    status, problems = _check_problems(*args)
    assert status == 1 and [p for p in problems if f":{port}/" in p] == [gone], problems
    assert [path.split("/")[1] for path in server.paths] in (["gone"], ["gone", "gone"]), "a good answer is kept"


def test_check_drafts_checks_the_preview_build_drafts_shows(tmp_path: Path):
    project = _project(tmp_path)
    draft = _article(project, "plan", "A draft", "talks", "Not yet.\n", extra="draft: true\n")
    line = _append(draft, f"See [a topic]({MISSING}).")
    run_cli("build", "-s", str(project), check=True)
    before = _snapshot(project, _cache_churn)

    status, normal = _check_problems("-s", str(project))
    assert status == 0 and not any("plan.md" in p for p in normal), "a normal check leaves drafts out, as build"
    status, preview = _check_problems("-s", str(project), "--drafts")
    assert status == 1
    assert f"content/articles/plan.md:{line}: page /articles/plan/ links to '{MISSING}'" in "\n".join(preview)
    assert _snapshot(project, _cache_churn) == before
    built = run_cli("build", "-s", str(project), "--drafts", "-o", str(tmp_path / "preview"))
    assert built.returncode == 1 and _printed_problems(built.stderr) == preview


def test_check_leaves_a_swap_cut_short_by_a_kill_for_the_next_build(tmp_path: Path):
    """A build killed just after it swapped the new site in leaves its journal and the old site beside the output;
    check reads around them and changes nothing there: finishing the swap is a build's job."""
    project = _project(tmp_path)
    run_cli("build", "-s", str(project), check=True)
    second = project / "content/articles/second.md"
    original = second.read_text()
    log = tmp_path / "points.log"
    # edit, back, then the logged edit, then back again: the logged build and the killed one each start
    # from the same site with the same spare tree beside it (the site before the last), so the same points
    for env in ({}, {"BRIEFGEN_FAULT_LOG": str(log)}):
        second.write_text(original + "\nAn edit.\n")
        run_cli("build", "-s", str(project), check=True, env=env)
        second.write_text(original)
        run_cli("build", "-s", str(project), check=True)
    points = log.read_text().splitlines()
    [swapped] = [int(p.split()[0]) for p in points if p.endswith(" swapped")]
    second.write_text(original + "\nAn edit.\n")
    killed = run_cli("build", "-s", str(project), env={"BRIEFGEN_FAULT_AT": str(swapped)})
    assert killed.returncode == -9, killed.stderr
    left = [p.name for p in tmp_path.iterdir() if p.name != "project"] + [
        p.name for p in project.iterdir() if p.name.startswith(".site")
    ]
    assert ".site.swap" in left, left
    before = _snapshot(tmp_path, lambda rel: _cache_churn(rel.removeprefix("project/")))

    assert _check_problems("-s", str(project))[0] == 0
    assert _snapshot(tmp_path, lambda rel: _cache_churn(rel.removeprefix("project/"))) == before
    finished = run_cli("build", "-s", str(project), check=True)
    assert "finished an interrupted swap" in finished.stderr
