"""`briefgen serve`: a real server on 127.0.0.1, real edits in a copy of the example, a real browser."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serve_support import ARTICLE, ARTICLE_PAGE, TOPIC, TOPIC_PAGE, Running, edit, make_project, title_of
from watchdog.observers import Observer

from briefgen.project import Project
from briefgen.serve import is_loopback, url_for
from briefgen.serve.reload import SCRIPT_PATH
from briefgen.serve.watch import ProjectWatcher, is_scratch


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def running(project: Path):
    server = Running(project)
    yield server
    server.stop()


# --- edit -> reload event -> the served page shows it --------------------------------------


@pytest.mark.parametrize("atomic", [False, True], ids=["in-place save", "atomic save"])
def test_edited_title_reaches_the_reload_channel_and_the_served_page(running, atomic):
    stream = running.events()
    name, hello = stream.next("hello")
    old = title_of(running.root, ARTICLE)
    edit(running.root / ARTICLE, f"title: {old}", "title: Drones over Kyiv, again", atomic=atomic)

    _, built = stream.next("built")
    assert ARTICLE_PAGE in built["changed"]
    assert built["version"] == hello["version"] + 1
    status, _, body = running.get("/" + ARTICLE_PAGE.removesuffix("index.html"))
    assert status == 200
    assert b"Drones over Kyiv, again" in body
    assert re.search(r"Rebuilt in \d+ ms: \d+ pages", running.output())
    stream.close()


def test_the_search_index_catches_up_after_the_reload(running):
    """Pagefind runs after the open pages were told to reload; the served index then finds the new words."""
    import gzip
    import hashlib
    import json

    stream = running.events()
    stream.next("hello")
    old = title_of(running.root, ARTICLE)
    edit(running.root / ARTICLE, f"title: {old}", "title: Quokkas sighted over Kyiv")
    stream.next("built")

    def served_fragments() -> dict[str, bytes]:
        _, _, body = running.get("/.briefgen-manifest.json")
        names = [n for n in json.loads(body)["files"] if n.startswith("pagefind/fragment/")]
        served = {n: running.get("/" + n) for n in names}
        if any(status != 200 for status, _, _ in served.values()):
            return {}  # read while the index was being replaced: ask again
        return {n: gzip.decompress(data) for n, (_, _, data) in served.items()}

    deadline = time.monotonic() + 20
    while True:
        fragments = served_fragments()
        if any(b"Quokkas sighted over Kyiv" in data for data in fragments.values()):
            break
        assert time.monotonic() < deadline, "the search index never caught up with the edit"
        time.sleep(0.1)
    on_disk = {p.name for p in (running.root / "site/pagefind/fragment").iterdir()}
    assert on_disk == {n.rsplit("/", 1)[1] for n in fragments}, "stale fragments removed, new ones listed"
    site = running.root / "site"
    listed = json.loads((site / ".briefgen-manifest.json").read_text())["files"]
    assert {n: hashlib.sha256((site / n).read_bytes()).hexdigest() for n in listed} == listed
    stream.close()


def test_the_server_knows_which_pages_are_open(running):
    """The injected script names its page on the reload channel; a rebuild renders open pages first."""
    hub = running.preview.hub
    first, second = running.events(page=TOPIC_PAGE), running.events(page=TOPIC_PAGE)
    other = running.events(page=ARTICLE_PAGE)
    for stream in (first, second, other):
        stream.next("hello")
    assert hub.open_pages() == {TOPIC_PAGE, ARTICLE_PAGE}
    for bogus in ("../../etc/passwd", "/abs/index.html", "a//b.html", "x\\y.html", ""):
        running.events(page=bogus).next("hello")  # still served, but not taken as a page
    assert hub.open_pages() == {TOPIC_PAGE, ARTICLE_PAGE}
    other.close()
    first.close()

    deadline = time.monotonic() + 5  # an idle connection checks about once a second that its page is there
    while hub.open_pages() != {TOPIC_PAGE} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.open_pages() == {TOPIC_PAGE}
    second.close()


def test_an_open_page_is_written_and_reloaded_before_the_rest(running):
    stream = running.events(page=TOPIC_PAGE)
    stream.next("hello")
    old = title_of(running.root, ARTICLE)
    edit(running.root / ARTICLE, f"title: {old}", "title: Open pages first")
    _, early = stream.next("built")
    assert early["changed"] == [TOPIC_PAGE], "only the open page, at first"
    _, rest = stream.next("built")
    assert ARTICLE_PAGE in rest["changed"] and TOPIC_PAGE not in rest["changed"]
    for page in (TOPIC_PAGE, ARTICLE_PAGE):
        assert b"Open pages first" in running.get("/" + page)[2]
    stream.close()


def test_an_open_article_page_reloads_once_with_its_edit(running):
    """Rendered ahead of the rebuild from the last build's site; the rebuild finds the same bytes."""
    stream = running.events(page=ARTICLE_PAGE)
    stream.next("hello")
    old = title_of(running.root, ARTICLE)
    edit(running.root / ARTICLE, f"title: {old}", "title: Ahead of the rest")
    _, first = stream.next("built")
    assert first["changed"] == [ARTICLE_PAGE]
    assert b"Ahead of the rest" in running.get("/" + ARTICLE_PAGE)[2]
    _, rest = stream.next("built")
    assert TOPIC_PAGE in rest["changed"] and ARTICLE_PAGE not in rest["changed"], "not written, nor reloaded, again"
    stream.close()


def test_requests_for_pages_still_being_written_wait_for_them(running):
    import threading

    hub, answers = running.preview.hub, []
    hub.hold({TOPIC_PAGE})  # written first; the rest of the rebuild still runs
    asking = threading.Thread(target=lambda: answers.append(running.get("/" + ARTICLE_PAGE)[0]))
    asking.start()
    assert running.get("/" + TOPIC_PAGE)[0] == 200, "the pages written first are served at once"
    css = next((running.root / "site/static").glob("style.*.css")).relative_to(running.root / "site").as_posix()
    assert running.get("/" + css)[0] == 200, "and so are assets"
    time.sleep(0.3)
    assert answers == [], "a held page waits"
    hub.release()
    asking.join(10)
    assert answers == [200]


def test_a_build_that_fails_after_the_open_page_was_written_puts_it_back(running):
    stream = running.events(page=TOPIC_PAGE)
    stream.next("hello")
    before = (running.root / "site" / TOPIC_PAGE).read_bytes()
    override = running.root / "templates" / "article.html"
    theme = (Path(__file__).resolve().parent.parent / "templates" / "article.html").read_text()
    broken = '{% block content %}<a href="{{ root }}no-such-page/">x</a>'
    override.write_text(theme.replace("{% block content %}", broken, 1))  # every article page: a broken link
    assert stream.next()[0] == "failed"
    old = title_of(running.root, ARTICLE)
    edit(running.root / ARTICLE, f"title: {old}", "title: Never published")
    events = []
    while not events or events[-1][0] != "failed":
        events.append(stream.next())
    names = [(name, data.get("changed")) for name, data in events]
    assert names[:2] == [("built", [TOPIC_PAGE]), ("built", [TOPIC_PAGE])], names  # written early, then put back
    assert any("no-such-page" in p["message"] for p in events[-1][1]["problems"])
    assert (running.root / "site" / TOPIC_PAGE).read_bytes() == before
    assert b"Never published" not in running.get("/" + TOPIC_PAGE)[2]
    stream.close()


def test_the_reload_script_is_injected_into_served_pages_only(running):
    status, headers, body = running.get("/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert SCRIPT_PATH.encode() in body
    on_disk = (running.root / "site" / "index.html").read_bytes()
    assert SCRIPT_PATH.encode() not in on_disk
    for file in (running.root / "site").rglob("*"):
        if file.is_file():
            assert b"__briefgen" not in file.read_bytes(), file
    status, headers, script = running.get(SCRIPT_PATH)
    assert status == 200 and b"EventSource" in script
    status, headers, css = running.get(
        "/" + next((running.root / "site/static").glob("style.*.css")).relative_to(running.root / "site").as_posix()
    )
    assert status == 200 and SCRIPT_PATH.encode() not in css and headers["content-type"].startswith("text/css")


def test_an_invalid_save_keeps_the_last_good_build_and_reports_where(running):
    stream = running.events()
    stream.next("hello")
    page = "/" + ARTICLE_PAGE.removesuffix("index.html")
    edit(running.root / ARTICLE, "date: ", "title2: broken\ndate: ")
    edit(running.root / ARTICLE, "title: ", "title: A title that never builds ", atomic=True)

    _, failed = stream.next("failed")
    where = {(p["path"], p["line"]) for p in failed["problems"]}
    assert any(path == ARTICLE and line for path, line in where), where
    assert re.search(re.escape(ARTICLE) + r":\d+: ", running.output())
    status, _, body = running.get(page)
    assert status == 200 and b"A title that never builds" not in body

    # A new connection learns about the problem at once (a page opened after the bad save).
    late = running.events()
    _, hello = late.next("hello")
    assert hello["problems"] == failed["problems"]

    edit(running.root / ARTICLE, "title2: broken\n", "")
    _, built = stream.next("built")
    assert ARTICLE_PAGE in built["changed"]
    assert running.preview.hub.problems == []
    assert b"A title that never builds" in running.get(page)[2]
    stream.close()
    late.close()


def test_a_project_broken_from_the_start_is_served_with_its_problems_until_fixed(project):
    edit(project / ARTICLE, "date: ", "title2: broken\ndate: ")
    server = Running(project)
    try:
        status, _, body = server.get("/")
        assert status == 404 and SCRIPT_PATH.encode() in body  # no site yet: a page that can show the overlay
        stream = server.events()
        _, hello = stream.next("hello")
        assert any(p["path"] == ARTICLE and p["line"] for p in hello["problems"])
        edit(project / ARTICLE, "title2: broken\n", "")
        stream.next("built")
        assert server.get("/")[0] == 200
        stream.close()
    finally:
        server.stop()


def test_a_css_only_change_asks_pages_to_swap_the_stylesheet_not_to_reload(running):
    stream = running.events()
    stream.next("hello")
    (running.root / "templates/static/style.css").write_text("body { color: rgb(1, 2, 3); }\n")
    _, built = stream.next("built")
    assert built["changed"] == [] and not built["reload_all"]
    (new,) = built["css"]
    assert re.fullmatch(r"static/style\.[0-9a-f]{10}\.css", new)
    status, _, css = running.get("/" + new)
    assert status == 200 and b"rgb(1, 2, 3)" in css
    stream.close()


def test_polling_when_asked(project):
    server = Running(project, poll=True)
    try:
        assert server.preview.watcher.mode == "polling"
        stream = server.events()
        stream.next("hello")
        edit(project / TOPIC, "title: ", "title: Polled ")
        _, built = stream.next("built")
        assert TOPIC_PAGE in built["changed"]
        stream.close()
    finally:
        server.stop()


class _NoInotify(Observer):
    """Stands in for a kernel out of inotify watches (cannot be caused safely on a shared machine)."""

    def start(self):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_falls_back_to_polling_when_inotify_fails(project):
    server = Running(project, observer_factory=_NoInotify)
    try:
        assert server.preview.watcher.mode == "polling"
        assert "inotify watch limit reached" in server.output() and "polling" in server.output()
        stream = server.events()
        stream.next("hello")
        edit(project / TOPIC, "title: ", "title: Still watched ")
        _, built = stream.next("built")
        assert TOPIC_PAGE in built["changed"]
        stream.close()
    finally:
        server.stop()


# --- the watcher ------------------------------------------------------------------------


def test_scratch_files_are_recognised():
    for name in (".topic.yaml.swp", "topic.yaml~", ".#topic.yaml", "4913", "topic.yaml.tmp"):
        assert is_scratch(name), name
    for name in ("topic.yaml", "2025-02-23-a.md", "style.css", "4913.md"):
        assert not is_scratch(name), name


class Batches:
    def __init__(self):
        self.items: list[set[str]] = []

    def __call__(self, changed: set[str]) -> None:
        self.items.append(set(changed))

    def wait_for(self, path: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(path in b for b in self.items):
                return
            time.sleep(0.02)
        raise TimeoutError(f"{path} never reported; got {self.items}")


@pytest.fixture
def watcher_for(project):
    started = []

    def start(on_change, **options) -> ProjectWatcher:
        watcher = ProjectWatcher(Project.at(project), on_change, echo=lambda text: None, **options)
        watcher.start()
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.stop()


def test_scratch_files_and_the_output_folder_never_trigger_a_rebuild(project, watcher_for):
    (project / "site").mkdir()
    batches = Batches()
    watcher_for(batches, quiet=0.05)
    articles = project / "content/articles"
    for name in (".x.md.swp", "x.md~", ".#x.md", "4913", "x.md.tmp"):
        (articles / name).write_text("scratch")
    (project / "site/index.html").write_text("written by a build")
    (project / "site/new").mkdir()
    (project / "README.md").write_text("not an input")
    time.sleep(0.3)
    (project / "briefgen.yaml").write_text((project / "briefgen.yaml").read_text() + "\n")
    batches.wait_for("briefgen.yaml")
    reported = set().union(*batches.items)
    assert reported == {"briefgen.yaml"}, reported


def test_an_atomic_save_reports_the_destination(project, watcher_for):
    batches = Batches()
    watcher_for(batches)
    tmp = project / "content/topics/.drone-strikes.yaml.tmp"
    tmp.write_text((project / TOPIC).read_text().replace("title: ", "title: Atomic "))
    os.replace(tmp, project / TOPIC)
    batches.wait_for(TOPIC)
    assert all(not is_scratch(Path(p).name) for b in batches.items for p in b)


def test_a_burst_of_saves_is_one_rebuild(project, watcher_for):
    batches = Batches()
    watcher_for(batches, quiet=0.4, settle=0.4)
    paths = sorted((project / "content/articles").glob("*.md"))
    for path in paths:
        path.write_text(path.read_text() + "\n")
    batches.wait_for("content/articles/" + paths[-1].name)
    assert len(batches.items) == 1
    assert {"content/articles/" + p.name for p in paths} <= batches.items[0]


def test_idle_work_waits_for_a_pause_and_gives_way_to_the_next_save(project, watcher_for):
    """Search indexing and the cache run after a rebuild, and stop as soon as a new save waits."""
    batches, idle = Batches(), []
    article = project / ARTICLE

    def settle(interrupted):
        idle.append("started")
        if len(idle) == 1:  # the first settle: a save arrives while it runs
            article.write_text(article.read_text() + "\n")
            deadline = time.monotonic() + 10
            while not interrupted():
                assert time.monotonic() < deadline, "the waiting save never interrupted the idle work"
                time.sleep(0.01)
            idle.append("interrupted")
        else:
            idle.append("finished")

    watcher_for(batches, idle=settle)
    time.sleep(0.3)
    assert idle == [], "no idle work before any rebuild"
    article.write_text(article.read_text() + "\n")
    batches.wait_for(ARTICLE)
    deadline = time.monotonic() + 10
    while idle[-1:] != ["finished"]:
        assert time.monotonic() < deadline, idle
        time.sleep(0.02)
    assert idle == ["started", "interrupted", "started", "finished"]
    assert len(batches.items) == 2, "the save made during the idle work was its own rebuild"


def test_a_completed_save_is_delivered_at_once_and_a_backup_rename_waits(project, watcher_for):
    batches = Batches()
    watcher_for(batches, quiet=0.8)
    article = project / ARTICLE
    started = time.monotonic()
    article.write_text(article.read_text() + "\n")  # written and closed: the save is complete
    batches.wait_for(ARTICLE)
    assert time.monotonic() - started < 0.5, "a completed save does not wait for the quiet period"
    backup = article.with_name(article.name + "~")
    started = time.monotonic()
    os.rename(article, backup)  # vim's first step: the new file follows, so wait for it
    deadline = started + 10
    while len(batches.items) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert time.monotonic() - started >= 0.7, "a rename away from a watched file waits for the rest"
    os.rename(backup, article)


def test_the_default_theme_and_user_templates_are_watched(project, watcher_for):
    watcher = watcher_for(Batches())
    folders = {folder for folder, _recursive in watcher.folders()}
    from briefgen.project import default_theme_dir

    assert str(default_theme_dir()) in folders
    assert str(project / "templates") in folders
    assert str(project / "content") in folders
    assert str(project / "site") not in folders


def test_a_failing_rebuild_is_logged_and_watching_goes_on(project, watcher_for, caplog):
    calls = []

    def on_change(changed):
        calls.append(changed)
        if len(calls) == 1:
            raise RuntimeError("boom")

    watcher_for(on_change)
    edit(project / TOPIC, "title: ", "title: One ")
    deadline = time.monotonic() + 20
    while not calls and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    edit(project / TOPIC, "title: One ", "title: Two ")
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(calls) >= 2
    assert any("boom" in (r.exc_text or str(r.exc_info)) for r in caplog.records if r.name == "briefgen.serve")


# --- the command line ---------------------------------------------------------------------


def _serve(project: Path, *args: str, **env_vars: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1", **env_vars)
    return subprocess.Popen(
        [sys.executable, "-m", "briefgen", "serve", "--source", str(project), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # Ctrl-C as at a terminal, even when the suite itself runs in the background (`make test &`), where
        # the shell starts it with SIGINT ignored and every child would inherit that and never see the signal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _read_until(proc: subprocess.Popen, pattern: str, timeout: float = 30.0) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    proc.kill()
    raise AssertionError(f"never printed {pattern!r}:\n{''.join(seen)}")


def test_cli_prints_the_url_and_ctrl_c_stops_cleanly_and_frees_the_port(project):
    proc = _serve(project, "--port", "0")
    try:
        printed = _read_until(proc, r"Serving .* at http://127\.0\.0\.1:\d+/")
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", printed).group(1))
        assert "Watching content/" in printed
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in printed + rest and "Stopped." in rest
    with socket.socket() as sock:  # the port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_cli_open_hands_the_url_to_the_web_browser(project, tmp_path):
    opened = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"  # $BROWSER, as the webbrowser module reads it: a program given the URL
    fake.write_text(f"#!{sys.executable}\nimport sys, pathlib\npathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    fake.chmod(0o755)
    proc = _serve(project, "--port", "0", "--open", BROWSER=str(fake))
    try:
        printed = _read_until(proc, r"Serving .* at http://")
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", printed).group(1)
        deadline = time.monotonic() + 20
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text() == url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        finally:
            proc.kill()  # no server left behind if it did not stop


def test_cli_moves_to_the_next_port_when_the_port_is_busy_and_says_so(project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _serve(project, "--port", str(port))
        try:
            printed = _read_until(proc, r"Serving .* at http://")
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=10)
        finally:
            proc.kill()
    match = re.search(rf"Port {port} is in use; serving on port (\d+) instead", printed)
    assert match, printed
    assert f"127.0.0.1:{match.group(1)}/" in printed


def test_cli_warns_when_not_bound_to_loopback(project):
    # 192.0.2.1 (TEST-NET-1) is never a local address: the warning is printed, then binding fails clearly.
    proc = _serve(project, "--host", "192.0.2.1", "--port", "8000")
    out, _ = proc.communicate(timeout=60)
    assert "Warning: listening on 192.0.2.1, not 127.0.0.1" in out
    assert "cannot listen on 192.0.2.1:8000" in out and "Traceback" not in out
    assert proc.returncode == 1


def test_loopback_and_urls():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.org")
    assert url_for("0.0.0.0", 8000) == "http://localhost:8000/"
    assert url_for("::1", 8001) == "http://[::1]:8001/"


# --- what a writer sees in the browser ------------------------------------------------------

LIVE = "() => window.briefgenLive !== undefined"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 900, "height": 500})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def test_an_open_topic_page_reloads_by_itself_and_keeps_its_scroll(running, page):
    page.goto(running.url + "topics/drone-strikes/")
    page.wait_for_function(LIVE)
    page.evaluate("window.scrollTo(0, 400)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0, "the topic page is taller than the window"
    page.evaluate("window.__notReloaded = true")

    edit(running.root / TOPIC, "title: ", "title: Updated ")

    page.wait_for_function("() => window.__notReloaded === undefined && document.title.includes('Updated')")
    page.wait_for_function(LIVE)
    assert "Updated" in page.locator("h1").first.inner_text()
    page.wait_for_function(f"() => Math.abs(window.scrollY - {scrolled}) < 2")


def test_a_css_edit_applies_without_a_navigation(running, page):
    page.goto(running.url + "topics/drone-strikes/")
    page.wait_for_function(LIVE)
    page.evaluate("window.__notReloaded = true")

    (running.root / "templates/static/style.css").write_text("body { background-color: rgb(1, 2, 3); }\n")

    page.wait_for_function("() => getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'")
    assert page.evaluate("window.__notReloaded") is True
    hrefs = page.eval_on_selector_all('link[rel~="stylesheet"]', "links => links.map(l => l.getAttribute('href'))")
    assert len(hrefs) == 1 and re.fullmatch(r"/static/style\.[0-9a-f]{10}\.css", hrefs[0]), hrefs


def test_an_invalid_save_shows_an_overlay_with_path_and_line_and_the_fix_clears_it(running, page):
    page.goto(running.url + ARTICLE_PAGE.removesuffix("index.html"))
    page.wait_for_function(LIVE)
    heading = page.locator("h1").first.inner_text()

    edit(running.root / ARTICLE, "date: ", "title2: broken\ndate: ")

    overlay = page.wait_for_selector("#briefgen-problems")
    text = overlay.inner_text()
    assert re.search(re.escape(ARTICLE) + r":\d+: ", text), text
    assert page.locator("h1").first.inner_text() == heading  # still the last good page

    page.reload()  # a page opened while the content is broken shows the overlay too
    page.wait_for_selector("#briefgen-problems")

    edit(running.root / ARTICLE, "title2: broken\n", "")
    page.wait_for_selector("#briefgen-problems", state="detached")


def test_an_open_page_reconnects_after_the_server_restarts(project, page):
    first = Running(project)
    port = first.port
    try:
        page.goto(first.url + "topics/drone-strikes/")
        page.wait_for_function(LIVE)
        page.evaluate("window.__notReloaded = true")
    finally:
        first.stop()
    second = Running(project, port=port)
    try:
        assert second.port == port
        page.wait_for_function("() => window.__notReloaded === undefined && window.briefgenLive !== undefined")
    finally:
        second.stop()


def test_a_content_folder_moved_away_and_restored_is_watched_again(project, watcher_for):
    batches = Batches()
    watcher_for(batches)
    away = project.parent / "content-away"
    (project / "content").rename(away)
    batches.wait_for("content")
    shutil.copytree(away, project / "content")  # a new folder: the old watch followed the old one away
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and sum("content" in b for b in batches.items) < 2:
        time.sleep(0.02)
    time.sleep(1.5)  # let the watcher notice and re-watch
    edit(project / TOPIC, "title: ", "title: Back ")
    batches.wait_for(TOPIC)
