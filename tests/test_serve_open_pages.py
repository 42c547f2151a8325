"""End to end: a real `briefgen serve` process on 127.0.0.1, real reload connections (Server-Sent Events over
HTTP) from the pages a writer has open, and a save of one article.

Every open page that shows the article (here its topic's page, the home page and the article's own page) is
written and told to reload, each as soon as it is rendered and the article's own first, before the build loads
the site: the event that announces the rest of the rebuild comes after them on the same channel. Once the server is stopped, the output folder is byte for
byte what `briefgen build --no-cache --drafts` makes of the same project (a preview shows drafts and records
no change history, as `build --drafts` does), once the preview's search index has caught up.
"""

from __future__ import annotations

import gzip
import json
import re
import signal
import time
from pathlib import Path

import pytest
from conftest import run_cli
from serve_support import ARTICLE, ARTICLE_PAGE, TOPIC_PAGE, EventStream, Running, make_project
from test_serve import _read_until, _serve

HOME = "index.html"
NEW_TITLE = "Air force counts 301 Russian drones"


def search_caught_up(site: Path) -> None:
    """Wait until the search index the manifest lists has the new title: the preview indexes after the reload."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            listed = json.loads((site / ".briefgen-manifest.json").read_text(encoding="utf-8"))["files"]
            fragments = [gzip.decompress((site / n).read_bytes()) for n in listed if n.startswith("pagefind/fragment/")]
        except (OSError, ValueError):
            fragments = []  # read while the index was being replaced: ask again
        if any(NEW_TITLE.encode() in data for data in fragments):
            return
        time.sleep(0.1)
    raise AssertionError("the search index never caught up with the edit")


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def served(tmp_path: Path):
    project = make_project(tmp_path / "project")
    proc = _serve(project, "--port", "0")
    try:
        printed = _read_until(proc, r"Serving .* at http://127\.0\.0\.1:\d+/", timeout=120)
        yield project, proc, int(re.search(r"127\.0\.0\.1:(\d+)/", printed).group(1))
    finally:
        proc.kill()
        proc.wait(10)


def test_open_pages_showing_a_saved_article_reload_first_and_the_site_ends_as_a_clean_build(served):
    project, proc, port = served
    streams = {page: EventStream(port, page=page) for page in (TOPIC_PAGE, HOME, ARTICLE_PAGE)}
    for stream in streams.values():
        assert stream.next("hello", timeout=60)
    path = project / ARTICLE
    text = path.read_text(encoding="utf-8")
    for old, new in (
        ("title: Air force counts 267 Russian drones", f"title: {NEW_TITLE}"),
        ("value: 267", "value: 301"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")

    topic = streams[TOPIC_PAGE]
    _, first = topic.next("built", timeout=120)
    assert first["changed"] == [ARTICLE_PAGE], "the article's own page first, before the site is loaded"
    _, second = topic.next("built", timeout=120)
    _, third = topic.next("built", timeout=120)
    assert sorted(second["changed"] + third["changed"]) == sorted([TOPIC_PAGE, HOME]), "then each other open page"
    _, rest = topic.next("built", timeout=120)
    assert rest["version"] > third["version"], "the rest of the rebuild is announced after the open pages"
    assert "topics/drone-strikes/pack/index.html" in rest["changed"]
    assert not {TOPIC_PAGE, HOME, ARTICLE_PAGE} & set(rest["changed"]), "written once: the rebuild agreed"
    for page in (TOPIC_PAGE, HOME, ARTICLE_PAGE):
        assert NEW_TITLE.encode() in (project / "site" / page).read_bytes(), page
    for stream in streams.values():
        stream.close()
    search_caught_up(project / "site")  # Pagefind runs once the saves pause (docs/serve.md); `build` before it writes
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    run_cli("build", "--source", str(project), "--output", str(project / "clean"), "--no-cache", "--drafts", check=True)
    served_files, clean = files_of(project / "site"), files_of(project / "clean")
    assert sorted(k for k in served_files.keys() | clean.keys() if served_files.get(k) != clean.get(k)) == []


def test_open_pages_are_written_before_the_site_is_loaded_and_only_from_the_last_good_site(tmp_path: Path):
    """A link to a heading another article lacks fails the build while it loads the site, before the rebuild's
    own open-pages-first step: the topic page reloading (and then being put back) proves it was written ahead.
    After a build that failed on another file, the last good site is not what is on disk: nothing is
    rendered ahead from it until a build succeeds again."""
    project = make_project(tmp_path / "project")
    running = Running(project)
    try:
        stream = running.events(page=TOPIC_PAGE)
        stream.next("hello")
        before = (project / "site" / TOPIC_PAGE).read_bytes()
        path = project / ARTICLE
        text = path.read_text(encoding="utf-8")
        retitled = text.replace("title: Air force counts 267", "title: Air force counts 302", 1)
        path.write_text(retitled + "\nSee [the other](2025-02-23-drone-attack-regions-hit.md#no-such-heading).\n")
        _, ahead = stream.next()
        assert ahead["changed"] == [TOPIC_PAGE], "written ahead, before loading the site failed"
        _, back = stream.next()
        assert back["changed"] == [TOPIC_PAGE], "and put back"
        name, failed = stream.next()
        assert name == "failed" and any("no-such-heading" in p["message"] for p in failed["problems"])
        assert (project / "site" / TOPIC_PAGE).read_bytes() == before

        people = project / "content/people.yaml"
        good = people.read_text(encoding="utf-8")
        path.write_text(retitled, encoding="utf-8")  # the link fixed: only this file differs from the last good site
        assert stream.next()[1]["changed"] == [TOPIC_PAGE]
        assert b"Air force counts 302" in (project / "site" / TOPIC_PAGE).read_bytes()
        stream.next("built")  # the rest of the rebuild
        people.write_text(good + "\n  broken: [\n", encoding="utf-8")
        assert stream.next()[0] == "failed"
        path.write_text(text.replace("title: Air force counts 267", "title: Air force counts 303", 1))
        assert stream.next()[0] == "failed", "no page written ahead from the site before the people.yaml save"
        assert b"Air force counts 303" not in (project / "site" / TOPIC_PAGE).read_bytes()
        stream.close()
    finally:
        running.stop()
