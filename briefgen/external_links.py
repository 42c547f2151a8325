"""`briefgen check --external`: do the web pages a briefing cites still answer?

Slow and flaky by nature, so it is opt-in, and bounded three ways: at most
``jobs`` requests in flight (a thread pool: the work is waiting on sockets),
``timeout`` seconds per request, and a cache of good answers
(``.briefgen-cache/external-links.json``) so that a second run only asks
again about links that failed or were last good more than ``max_age`` ago.

The standard library's urllib is enough here (HEAD, falling back to GET for
servers that refuse HEAD; redirects followed); it keeps the runtime
dependencies short.

Each broken link is reported at every ``path:line`` of the content that
wrote it (a source URL in front matter, a link in a body, a person's page in
people.yaml), so the author fixes it where it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from briefgen import __version__
from briefgen.assemble import Page
from briefgen.linkcheck import markup
from briefgen.problems import Problems
from briefgen.project import Project

CACHE_NAME = ".briefgen-cache/external-links.json"
_LINK = re.compile(rb"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RETRY_WITH_GET = {400, 403, 405, 406, 501}


@dataclass
class LinkStatus:
    url: str
    ok: bool
    status: int | None = None  # HTTP status of the last answer
    error: str = ""  # why it failed, in words
    transient: bool = False  # a timeout or 429: could not tell, not known broken
    checked: str = ""  # ISO time of the check


def external_urls(files: dict[str, bytes], pages: list[Page], own_base: str) -> dict[str, list[Page]]:
    """Every http(s) URL the pages link to (without #fragment), with the pages that link to it."""
    found: dict[str, list[Page]] = {}
    for page in pages:
        for match in _LINK.findall(markup(files.get(page.output, b""))):
            url = (match[0] or match[1]).decode("utf-8", "replace").replace("&amp;", "&")
            if urlsplit(url).scheme not in ("http", "https") or url.startswith(own_base):
                continue
            url = urldefrag(url).url
            pages_for = found.setdefault(url, [])
            if page not in pages_for:
                pages_for.append(page)
    return found


def _fetch(url: str, timeout: float) -> LinkStatus:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    headers = {"User-Agent": f"briefgen/{__version__} (link check)", "Accept": "*/*"}
    status: int | None = None
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
                return LinkStatus(url, True, response.status, checked=now)
        except urllib.error.HTTPError as exc:
            status = exc.code
            if method == "HEAD" and exc.code in _RETRY_WITH_GET:
                continue
            if exc.code == 429:
                return LinkStatus(url, False, 429, "rate limited (HTTP 429)", True, now)
            return LinkStatus(url, False, exc.code, f"HTTP {exc.code} {exc.reason}", checked=now)
        except TimeoutError:
            return LinkStatus(url, False, status, f"no answer within {timeout:g} s", True, now)
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                return LinkStatus(url, False, status, f"no answer within {timeout:g} s", True, now)
            return LinkStatus(
                url, False, status, f"cannot connect: {getattr(reason, 'strerror', None) or reason}", checked=now
            )
        except (OSError, ValueError) as exc:  # a malformed URL, a reset connection
            return LinkStatus(url, False, status, f"cannot fetch: {exc}", checked=now)
    return LinkStatus(url, False, status, f"HTTP {status}", checked=now)  # pragma: no cover


class LinkCache:
    """Good answers, by URL, kept between runs in the project's cache folder."""

    def __init__(self, path: Path | None, max_age: dt.timedelta):
        self.path = path
        self.max_age = max_age
        self.entries: dict[str, dict] = {}
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.entries = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self.entries = {}  # a damaged cache is only a slower run

    def fresh(self, url: str) -> LinkStatus | None:
        entry = self.entries.get(url)
        if not isinstance(entry, dict) or not entry.get("ok"):
            return None
        try:
            checked = dt.datetime.fromisoformat(entry["checked"])
        except (KeyError, TypeError, ValueError):
            return None
        if dt.datetime.now(dt.UTC) - checked > self.max_age:
            return None
        return LinkStatus(url, True, entry.get("status"), checked=entry["checked"])

    def save(self, results: Iterable[LinkStatus]) -> None:
        if self.path is None:
            return
        for r in results:
            if r.ok:
                self.entries[r.url] = asdict(r)
            else:
                self.entries.pop(r.url, None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".external-links.")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(self.entries, out, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


def check_urls(
    urls: Iterable[str], *, jobs: int = 8, timeout: float = 10.0, cache: LinkCache | None = None
) -> dict[str, LinkStatus]:
    """Check each URL once: cached good answers first, the rest ``jobs`` at a time."""
    results: dict[str, LinkStatus] = {}
    todo = []
    for url in dict.fromkeys(urls):
        cached = cache.fresh(url) if cache else None
        if cached is not None:
            results[url] = cached
        else:
            todo.append(url)
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="briefgen-link") as pool:
            for status in pool.map(lambda u: _fetch(u, timeout), todo):
                results[status.url] = status
    if cache is not None:
        cache.save(results[u] for u in todo)
    return results


def _written_at(url: str, texts: dict[str, list[str]]) -> list[tuple[str, int]]:
    """Every ``path:line`` in the project's content and config that writes ``url``."""
    found = []
    for rel, lines in texts.items():
        for i, line in enumerate(lines):
            if url in line:
                found.append((rel, i + 1))
                break
    return found


def _content_texts(project: Project) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    paths = [project.config_path]
    if project.content_dir.is_dir():
        paths += sorted(p for p in project.content_dir.rglob("*") if p.suffix in (".md", ".markdown", ".yaml", ".yml"))
    for path in paths:
        try:
            texts[project.rel(path)] = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            continue  # already reported by the loader
    return texts


def check_external(
    project: Project,
    files: dict[str, bytes],
    pages: list[Page],
    own_base: str,
    problems: Problems,
    *,
    jobs: int = 8,
    timeout: float = 10.0,
    use_cache: bool = True,
    max_age: dt.timedelta = dt.timedelta(days=1),
) -> dict[str, LinkStatus]:
    """Check every external link of the site; each failure becomes a located problem."""
    found = external_urls(files, pages, own_base)
    cache = LinkCache(project.root / CACHE_NAME if use_cache else None, max_age)
    results = check_urls(found, jobs=jobs, timeout=timeout, cache=cache)
    texts = _content_texts(project)
    for url, status in results.items():
        if status.ok:
            continue
        places = _written_at(url, texts) or [(page.source or page.output, None) for page in found[url][:1]]
        for path, line in places:
            message = f"external link {url!r} is broken: {status.error}"
            if status.transient:
                problems.warn(
                    path, line, f"external link {url!r} could not be checked: {status.error}", "try again later"
                )
            else:
                problems.error(path, line, message, "fix the address, or link to an archived copy")
    return results
