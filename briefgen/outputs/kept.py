"""Feeds, JSON exports and the sitemap a rebuild keeps: the file the last build wrote, when nothing it shows changed.

Pages are kept by their fingerprint (``briefgen.engine.fingerprints``). Feeds and a
topic's exports are made outside the templates, so they get fingerprints of
their own here, from the same inputs: ``Fingerprints.feed_key`` (the feed's
title and each article it lists), for a topic's exports what they read
(``engine.exportkey.ExportKeys``: no article's body) and, for the
sitemap, a hash of the (URL, lastmod) entries it lists. Each is recorded
in the build state beside the file it named. When a rebuild finds the same
fingerprint and the file still as written, the file is not made at all: the
stage answers ``KEPT`` and the rebuild leaves the file where it is
(``write.SiteFiles``), unread, as it does an unchanged page.

This used to be a memo of whole feeds in ``.briefgen-cache/``: at 4,000
articles that held 100 MB of feeds and 28 MB of exports, loaded, hashed and
saved by every build to spare the few that a one-article edit changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator


class _Kept:
    def __repr__(self) -> str:
        return "KEPT"


KEPT = _Kept()  # what a kept feed or export is instead of its bytes


class Keeper:
    """Makes a rebuild's feeds, sitemap and exports (``outputs.extra_outputs(keeper=...)``): records each one's
    fingerprint in ``record`` and answers ``KEPT`` for those ``kept(path, fingerprint)`` says are on disk
    as they would be made.

    ``feed_key(url_path, title, subtitle, articles)`` fingerprints a feed; ``keys`` (``engine.exportkey.ExportKeys``)
    keys the exports of a pack page's topic (``of(page)``) and the sitemap (``sitemap``), and tells the key a file
    was recorded with by the last build (``last(rel)``).
    """

    def __init__(
        self,
        feed_key: Callable,
        keys,
        kept: Callable[[str, str], bool],
        record: dict[str, str],
        site_key: str = "",
        last_entries: Callable | None = None,
    ):
        self.feed_key = feed_key
        self.last_entries = last_entries  # rel -> the entries of a feed's last file to take (``lastentries``), or None
        self.keys = keys
        self.kept = kept
        self.record = record
        self.site_key = site_key  # what every page shows (code, config, ...): the briefing schema's fingerprint

    def feed(self, site, renderer, url_path, title, subtitle, articles, writer=None):
        """The feed's bytes, or KEPT; ``writer``: this build's ``feeds.FeedWriter``, if the caller has one."""
        from briefgen.outputs import feeds

        articles = articles if isinstance(articles, list) else list(articles)  # (a feeds.Newest stays one)
        rel = feeds.feed_path(url_path)
        key = self.record[rel] = "feed|" + self.feed_key(url_path, title, subtitle, articles).hex()
        if self.kept(rel, key):
            return KEPT
        last = self.last_entries(rel) if self.last_entries is not None else None
        return feeds.write_feed(site, renderer, url_path, title, subtitle, articles, writer=writer, last=last)

    def sitemap(self, site, pages, renderer, memo=None, order=None):
        """The sitemap files, kept when what they are made of is the last build's: what they read (``keys.sitemap``:
        every page, every article's front matter and the site-wide data), or else the (URL, lastmod) entries they
        list. Both are recorded: ``READ|sitemap|ENTRIES``."""
        from briefgen.outputs import sitemap

        made_from = self.keys.sitemap(site, pages, sitemap.MAX_URLS)  # None: not known, or more than one file
        last = self.keys.last("sitemap.xml") or ""
        if made_from is not None and last.startswith(made_from + "|") and self.kept("sitemap.xml", last):
            self.record["sitemap.xml"] = last  # the same inputs: the same entries, unlisted
            return {"sitemap.xml": KEPT}
        entries = sitemap.sitemap_entries(site, pages, renderer, order)
        paths = sitemap.sitemap_paths(entries)
        digest = hashlib.blake2b(repr((entries, sitemap.MAX_URLS)).encode(), digest_size=20).hexdigest()
        self.record.update(dict.fromkeys(paths, f"{made_from or '-'}|sitemap|{digest}"))
        if all(self._made_of(rel, "|sitemap|" + digest) for rel in paths):
            return dict.fromkeys(paths, KEPT)
        return sitemap.sitemap_files(site, pages, renderer, memo, entries=entries)

    def _made_of(self, rel: str, tail: str) -> bool:
        """Whether the last build wrote ``rel`` under a key that ends in ``tail``, and it is as written."""
        last = self.keys.last(rel)
        return last is not None and last.endswith(tail) and self.kept(rel, last)

    def changes(self, site, renderer) -> Iterator[tuple[str, bytes | object]]:
        """The change history, then the "what changed" feeds (``changefeeds.change_feeds``). The history is kept
        when it is the one the build read, unchanged, from the very bytes the last build wrote (by this code,
        whose encoding of what it reads from them gives them back): they are recorded by their hash."""
        from briefgen.briefing.changes import HISTORY_PATH
        from briefgen.outputs.changefeeds import change_feeds

        history = site.changes
        if history is None:
            return
        read_from = history.read_from  # None for a history this build changed or began
        data = history.to_bytes() if read_from is None else read_from
        key = self.record[HISTORY_PATH] = "history|" + hashlib.sha256(data).hexdigest()
        if read_from is not None and not self.kept(HISTORY_PATH, key):
            data = history.to_bytes()  # not the bytes the last build wrote: encoded again (then the same key)
            key = self.record[HISTORY_PATH] = "history|" + hashlib.sha256(data).hexdigest()
        elif read_from is not None:
            data = KEPT
        yield HISTORY_PATH, data
        yield from change_feeds(site, renderer, with_history=False).items()

    def exports(self, site, pages, renderer) -> Iterator[tuple[str, bytes | object]]:
        """(path, bytes or KEPT) of each export, one topic's at a time (a topic's are not held past it). The module
        that makes them (``outputs.exports``) is imported only to make one."""
        from briefgen.outputs.exportpaths import SCHEMA_PATH, topic_paths

        # the schema depends on the code and base_url only: kept unless the site-wide fingerprint moved
        key = self.record[SCHEMA_PATH] = "schema|" + self.site_key
        if self.site_key and self.kept(SCHEMA_PATH, key):
            yield SCHEMA_PATH, KEPT
        else:
            from briefgen.outputs import exports

            yield SCHEMA_PATH, exports.schema_bytes(site.config.base_url)
        for page in pages:
            if page.kind != "pack":
                continue
            key = self.keys.of(page)
            paths = topic_paths(page.context["topic"])
            self.record.update(dict.fromkeys(paths, key))
            if all(self.kept(rel, key) for rel in paths):
                yield from dict.fromkeys(paths, KEPT).items()
            else:
                from briefgen.outputs import exports

                yield from exports.topic_exports(site, [page], renderer).items()
