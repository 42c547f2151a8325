"""A cold build checks its pages' links while it makes its other files (``engine.linksahead``), and reports exactly
what the plain check after them reports (``pipeline.check_links_parallel``): the same problems, messages, lines,
in the same order.

Real files in temporary folders: pages staged by ``write.Staging`` and the files made after them (a feed, an
export with ids), checked by the real worker process; and the real command line on a generated corpus whose
articles link to a page that is not there, to a missing #anchor on another page, to a feed and an export that
are not made, into a static copy and a root file, built cold on two cores with and without the early check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO

from briefgen.engine import linksahead
from briefgen.engine.inputs import bytes_hash
from briefgen.engine.pipeline import LINKCHECK_PARALLEL_MIN, check_links_parallel
from briefgen.engine.write import Staging
from briefgen.pages.page import Page
from briefgen.problems import Problems

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402

PAGES = LINKCHECK_PARALLEL_MIN + 60
# Odd pages that link where the even page of their source does: page 1 beside page 0, in the same call of
# ``check_links`` (reported once); on two cores, page 15 in the quarter of the first chunk after page 14's, and
# page 347 in the chunk after page 346's (each reported by both pages).
SHARED = (1, 15, 347)


def _page(i: int) -> Page:
    """Article page ``i``; two pages in turn share a source file (as a topic's pages and its pack do)."""
    body = (
        f"Intro.\n\nSee [gone](../missing{i}/) and [shared](../shared-gone/).\n\n[feed](../../topics/none/feed.xml)\n"
    )
    article = SimpleNamespace(body_md=body, body_line=5)
    return Page("article", f"articles/a{i}/", "article.html", f"A{i}", "", {"article": article}, source=f"a{i // 2}.md")


def _html(i: int) -> bytes:
    """Page ``i``: links to pages, anchors, files made later, static copies, the search bundle; some broken."""
    n = PAGES
    links = [
        f"../a{(i + 1) % n}/",
        f"../a{(i + 1) % n}/#h{(i + 1) % n}",
        "#main",
        "../../feed.xml",
        "../../topics/t/feed.xml",
        "../../exports/e.html#sec",
        "../../static/logo.svg",
        "../../static/logo.svg#frag",
        "../../pagefind/pagefind.js",
        "../../.briefgen-manifest.json",
    ]
    if i % 7 == 0:
        links.append(f"../missing{i}/")  # a page that is not there
    if i % 11 == 0:
        links += [f"../a{(i + 3) % n}/#nope", "#gone"]  # an anchor missing on another page, and on this one
    if i % 13 == 0:
        links.append("../../topics/none/feed.xml")  # a feed that is not made
    if i % 17 == 0:
        links += ["../../feed.xml#x", "../../feed.xml#y", "../../exports/e.html#nosec"]  # on files made later
    if i % 19 == 0:
        links += ["../../static/missing.svg", "../../exports/none.json"]  # a copy and an export that are not made
    if i % 2 == 0 or i in SHARED:
        links.append("../shared-gone/")  # from each source; from both pages of two: reported once per chunk
    anchors = "".join(f'<a href="{link}">x</a>' for link in links)
    return f'<html><body><main id="main"><h2 id="h{i}">A{i}</h2>{anchors}</main></body></html>'.encode()


def _outputs(staging: Staging) -> dict[str, Path]:
    """What the build makes after the pages: a feed, a topic's feed, an export with ids, the manifest; and the
    copies (their names)."""
    staging.put("feed.xml", b'<?xml version="1.0"?><feed><entry id="x"/></feed>')
    staging.put("topics/t/feed.xml", b"<feed/>")
    staging.put("exports/e.html", b'<h2 id="sec">x</h2>')
    staging.put(".briefgen-manifest.json", b"{}")
    return {"static/logo.svg": Path("logo.svg")}


def _staged(tmp: Path) -> tuple[Staging, list[Page]]:
    staging = Staging(tmp / "site", {}, bytes_hash, sha256=True)
    pages = [_page(i) for i in range(PAGES)]
    pages.append(Page("notfound", "404.html", "404.html", "Not found"))
    for i, page in enumerate(pages):
        staging.put(page.output, _html(i) if page.kind != "notfound" else b'<a href="nowhere/">x</a>')
    return staging, pages


def _same_problems_as_the_plain_check(tmp: str, chunked: bool = False) -> None:
    staging, pages = _staged(Path(tmp))
    premature = Problems()  # the plain check run before the other files are made: what must not be reported
    check_links_parallel(staging.files, pages, premature, set(), 2, remember=False)
    ahead = linksahead.LinksAhead(staging, pages, 2)
    assert ahead.workers, "a worker was started"
    copies = _outputs(staging)
    early = Problems()
    assert ahead.finish(staging.files, set(copies), early)
    plain = Problems()
    check_links_parallel(staging.files, pages, plain, set(copies), 2, remember=False)
    staging.discard()

    assert early.items == plain.items, "the same problems, in the same order"
    messages = [f"{p.path}:{p.line}: {p.message}" for p in plain.items]
    assert "a0.md:7: page /articles/a0/ links to '../missing0/', which does not exist" in messages
    assert "a0.md:7: page /articles/a0/ links to '../shared-gone/', which does not exist" in messages
    assert "a0.md:None: page /articles/a0/ links to '../a3/#nope', but that page has no #nope" in messages
    assert "a0.md:None: page /articles/a0/ links to '#gone', but that page has no #gone" in messages
    assert "a0.md:9: page /articles/a0/ links to '../../topics/none/feed.xml', which does not exist" in messages
    assert "a0.md:None: page /articles/a0/ links to '../../feed.xml#y', but that page has no #y" in messages
    assert "a0.md:None: page /articles/a0/ links to '../../exports/e.html#nosec', but that page has no #nosec" in (
        messages
    )
    assert "a0.md:None: page /articles/a0/ links to '../../static/missing.svg', which does not exist" in messages
    assert not any(
        "e.html#sec'" in m or "feed.xml#x" in m or "logo.svg" in m or "pagefind" in m or "manifest" in m
        for m in messages
    )
    assert not any("nowhere" in m for m in messages), "the 404 page is not checked"
    assert not any("/a1/ links to '../shared-gone/'" in m for m in messages), "a0.md's other page reported it"
    for source in ("a7.md", "a173.md"):
        reports = [m for m in messages if m.startswith(f"{source}:7:") and "shared-gone" in m]
        assert len(reports) == (2 if chunked else 1), "each call of check_links reports it once"
    assert early.items != premature.items, "judged before the feeds and exports were made, some verdicts differ"


def _in_a_new_process(scenario: str, tmp: Path, *args) -> None:
    """``scenario(tmp)`` in a new process: there ``check_links_parallel`` checks in chunks (``map_chunks`` forks),
    and a broken link of one source is reported once per chunk."""
    from engine_support import in_a_new_process

    in_a_new_process("test_links_ahead", scenario, str(tmp), *args)


def test_the_early_check_reports_what_the_plain_check_reports_in_chunks(tmp_path: Path):
    _in_a_new_process("_same_problems_as_the_plain_check", tmp_path, True)


def test_the_early_check_reports_what_the_plain_check_reports_in_line(tmp_path: Path):
    """With a second thread alive nothing forks (``parallel.can_fork``): the plain check checks every page in one
    call, and reports a broken link once per source."""
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        _same_problems_as_the_plain_check(str(tmp_path))
    finally:
        stop.set()
        thread.join()


def test_a_page_replaced_after_the_check_began_is_checked_the_plain_way(tmp_path: Path):
    staging, pages = _staged(tmp_path)
    ahead = linksahead.LinksAhead(staging, pages, 2)
    staging.put(pages[1].output, b'<a href="../nothing-here/">x</a>')  # a file made later took a page's place
    problems = Problems()
    assert not ahead.finish(staging.files, set(), problems), "the caller checks the plain way"
    assert problems.items == []
    assert not ahead.workers
    staging.discard()


def test_a_cancelled_worker_is_ended_and_a_failed_one_leaves_the_pages_to_the_plain_check(tmp_path: Path, monkeypatch):
    staging, pages = _staged(tmp_path)
    ahead = linksahead.LinksAhead(staging, pages, 3)
    workers = [worker for worker, _out in ahead.workers]
    assert len(workers) == 2
    ahead.cancel()
    assert all(worker.poll() is not None for worker in workers) and not ahead.workers
    monkeypatch.setattr(linksahead, "COMMAND", "import sys; sys.exit('the worker broke')")
    ahead = linksahead.LinksAhead(staging, pages, 2)
    problems = Problems()
    assert not ahead.finish(staging.files, set(), problems), "the caller checks the plain way"
    assert problems.items == [] and not ahead.workers
    staging.discard()


def test_each_piece_is_taken_once_from_either_end(tmp_path: Path):
    """``Claims``: one process takes pieces from the front while another takes them from the back, each once."""
    from briefgen.checks.linkworker import Claims

    counter = tmp_path / "counter"
    counter.write_bytes(bytes(16))
    count = 400
    code = (
        "import os, sys; from briefgen.checks.linkworker import Claims; c = Claims(int(sys.argv[1]), int(sys.argv[2]))\n"
        "out = []\nwhile (i := c.take(front=False)) is not None: out.append(i)\nprint(out)"
    )
    fd = os.open(counter, os.O_RDWR)
    try:
        worker = subprocess.Popen(
            [sys.executable, "-c", code, str(fd), str(count)], stdout=subprocess.PIPE, text=True, pass_fds=(fd,)
        )
        claims, mine = Claims(fd, count), []
        while (index := claims.take(front=True)) is not None:
            mine.append(index)
        theirs = json.loads(worker.communicate(timeout=60)[0])
    finally:
        os.close(fd)
    assert sorted(mine + theirs) == list(range(count))
    assert mine == sorted(mine) and theirs == sorted(theirs, reverse=True)
    assert not mine or not theirs or max(mine) < min(theirs)


# --- the command line on a generated corpus ---------------------------------------------------------------

BUILD = "import sys; sys.argv = ['briefgen', *sys.argv[1:]]; from briefgen.cli import main; main()"
PLAIN = "import briefgen.engine.linksahead as a; a.start = lambda rebuild: None; "
# the early check, and a note of whether it reported (True) or left the pages to the plain check (False)
EARLY = (
    "import os, briefgen.engine.linksahead as a; finish = a.LinksAhead.finish\n"
    "def noted(self, *args):\n    done = finish(self, *args)\n"
    "    open(os.environ['NOTE'], 'a').write(f'{done}\\n')\n    return done\n"
    "a.LinksAhead.finish = noted; "
)


def _corpus(tmp: Path, broken: bool) -> tuple[Path, list[str]]:
    """A corpus of enough pages, whose articles link to the files of the site, to anchors, and (``broken``) to
    files and anchors that are not there; its article files."""
    project = make_corpus(180, tmp / "corpus", seed=3)
    (project / "root").mkdir()
    (project / "root" / "extra.txt").write_text("a root file, copied as it is\n")
    articles = sorted((project / "content" / "articles").glob("*.md"))
    other = articles[5].stem
    good = (
        f"\n\nSee [the feed](../../feed.xml), [the topic's](../../topics/{_topic(articles[0])}/feed.xml), "
        f"[its export](../../topics/{_topic(articles[0])}/briefing.json), [a root file](../../extra.txt), "
        f"[the icon](../../static/favicon.svg), [its page](../{other}/#content).\n"
    )
    bad = [
        "\n\nSee [a story](../../articles/no-such-story/).\n",
        f"\n\nSee [its claims](../{other}/#no-such-anchor).\n",
        "\n\nSee [a feed](../../topics/no-such-topic/feed.xml) and [an export](../../topics/x/briefing.json).\n",
        "\n\nSee [a picture](../../static/no-such.svg) and [an anchor](../../feed.xml#entry).\n",
    ]
    for i, path in enumerate(articles[10:14]):
        path.write_text(path.read_text() + good + (bad[i] if broken else ""))
    return project, [p.name for p in articles[10:14]]


def _topic(article: Path) -> str:
    line = next(x for x in article.read_text().splitlines() if x.startswith("topics:"))
    return line.split("[", 1)[1].split(",")[0].split("]")[0].strip()


def _build(project: Path, out: Path, prelude: str, note: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", NOTE=str(note), PYTHONPATH=str(REPO))
    command = [sys.executable, "-c", prelude + BUILD, "build", "--jobs", "2", "-s", str(project), "-o", str(out)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("broken", [False, True])
def test_a_cold_build_reports_what_it_did_before_and_writes_the_same_site(tmp_path: Path, broken: bool):
    from engine_support import tree

    project, names = _corpus(tmp_path, broken)
    note = tmp_path / "note"
    early = _build(project, tmp_path / "early", EARLY, note)
    plain = _build(project, tmp_path / "plain", PLAIN, tmp_path / "unused")
    assert note.read_text() == "True\n", "the early check ran, and reported"
    assert (early.returncode, early.stderr) == (plain.returncode, plain.stderr)
    assert "warning: content/topics/" in plain.stderr, "warnings, with their lines, are reported as before"
    if not broken:
        assert plain.returncode == 0, plain.stderr
        assert tree(tmp_path / "early") == tree(tmp_path / "plain")
        return
    assert plain.returncode == 1
    errors = [line for line in plain.stderr.splitlines() if "links to" in line]
    assert len(errors) == 7, plain.stderr  # the missing anchor twice: the topic's pack shows the article too
    assert sum("/pack/ links to" in e and "#no-such-anchor" in e for e in errors) == 1
    expected = [
        (names[0], "'../../articles/no-such-story/', which does not exist"),
        (names[1], "#no-such-anchor', but that page has no #no-such-anchor"),
        (names[2], "'../../topics/no-such-topic/feed.xml', which does not exist"),
        (names[2], "'../../topics/x/briefing.json', which does not exist"),
        (names[3], "'../../static/no-such.svg', which does not exist"),
        (names[3], "'../../feed.xml#entry', but that page has no #entry"),
    ]
    for name, what in expected:
        line = len((project / "content" / "articles" / name).read_text().splitlines())
        assert any(f"{name}:{line}: page " in e and what in e for e in errors), (name, line, what, errors)
    assert not (tmp_path / "early").exists() and not (tmp_path / "plain").exists(), "no site written"


def test_a_module_planted_in_the_folder_the_build_runs_in_never_runs_in_the_worker(tmp_path: Path):
    """The worker is a new Python: run where the project is, it must not import the project's own ``json.py``
    (Python puts the current folder first on the path of ``-c``; ``-I`` leaves it out)."""
    project, _ = _corpus(tmp_path, False)
    ran = tmp_path / "ran"
    for name in ("json", "struct", "ctypes", "typing"):  # modules the worker imports
        (project / f"{name}.py").write_text(f"open({str(ran)!r}, 'a').write('{name}\\n')\n")
    note = tmp_path / "note"
    env = dict(os.environ, NO_COLOR="1", NOTE=str(note), PYTHONPATH=str(REPO))
    command = [sys.executable, "-P", "-c", EARLY + BUILD, "build", "--jobs", "2", "-o", str(tmp_path / "site")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=project)
    assert done.returncode == 0, done.stderr
    assert not ran.exists(), f"a planted module ran: {ran.read_text()}"
    assert note.read_text() == "True\n", "the early check ran, and reported"
