"""A rebuild lets the reload connections send the open pages' events before it builds the rest.

The early pages' "built" event was published in about 75 ms at 4,000 articles but reached the page in
about 230 ms: the connection's thread had to win Python's lock from the rebuild's, a few milliseconds at
a time. ``ReloadHub.wait_sent`` makes the rebuild wait (briefly) for the connections to write it out.
Real threads, a real server on 127.0.0.1 and a real save."""

from __future__ import annotations

import threading
from pathlib import Path

from serve_support import ARTICLE, ARTICLE_PAGE, Running, edit, make_project, title_of

from briefgen.serve.reload import ReloadHub


def test_wait_sent_waits_for_every_connection_to_write_the_latest_event():
    hub = ReloadHub()
    seq, _hello = hub.hello()
    token = hub.connected(seq)
    assert hub.wait_sent(0)  # nothing published yet: nothing to send
    hub.built(["a/index.html"], [], [])
    assert not hub.wait_sent(0.05), "the connection has not written the event yet"

    def connection() -> None:  # what a reload connection's thread does
        newer, chunk = hub.wait(seq, 5)
        assert b"a/index.html" in chunk
        hub.sent(token, newer)

    thread = threading.Thread(target=connection)
    thread.start()
    assert hub.wait_sent(5)
    thread.join()
    stuck = hub.connected(0)  # a page that stopped reading: the wait gives up after its timeout
    assert not hub.wait_sent(0.05)
    hub.disconnected(stuck)
    assert hub.wait_sent(0)


def test_a_save_sends_the_open_pages_event_before_the_build_goes_on(tmp_path: Path):
    running = Running(make_project(tmp_path / "project"))
    try:
        preview, hub = running.preview, running.preview.hub
        seen: list[bool] = []
        announce = preview.open_first.announce

        def watched(written: list[str]) -> None:
            announce(written)
            seen.append(hub.wait_sent(0))  # every connection has written the early event out by now

        preview.open_first.announce = watched
        stream = running.events(page=ARTICLE_PAGE)
        stream.next("hello")
        old = title_of(running.root, ARTICLE)
        edit(running.root / ARTICLE, f"title: {old}", "title: Sent before the rebuild")
        _, early = stream.next("built")
        assert ARTICLE_PAGE in early["changed"]
        _, done = stream.next("built")  # the rebuild's own event, once every page is written
        assert seen == [True], seen
        stream.close()
    finally:
        running.stop()
