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

Content is untrusted, so the check never becomes a way to reach the machine
it runs on or its network: an address that is loopback, link-local, private
or otherwise not public (``127.0.0.1``, ``localhost``, ``169.254.169.254``,
``10.0.0.5``, ``[::1]``...), or a host name that resolves to any such
address, is not requested but reported as a warning ("not checked"), unless
``--external-private`` asks for it. The same rule applies to every redirect
and, after connecting, to the address actually connected to (a name whose
DNS answer changed between the look-up and the connection), so nothing is
sent to such an address.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
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
from briefgen.checks.linkcheck import markup
from briefgen.pages.assemble import Page
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
    skipped: bool = False  # not requested: the address is not public (see ``not_public``)


class NotPublic(OSError):
    """A request would go to an address that is not public; raised before anything is sent."""


def _not_public_ip(text: str) -> str | None:
    """Why the IP address ``text`` is not public ("a loopback address"...), or None (public, or not an IP)."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is link-local anyway
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, what in (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_unspecified", "an unspecified address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, test):
            return what
    return None if ip.is_global else "an address that is not public"


def not_public(url: str) -> str | None:
    """Why ``url``'s host is not a public address, in words, or None when it is public (or cannot be resolved).

    A host name counts as not public when any address it resolves to is not: the connection could go to any.
    """
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    why = _not_public_ip(host)
    if why or _is_ip(host):
        return f"{host} is {why}" if why else None
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None  # cannot resolve: the request fails in its own words
    for info in infos:
        why = _not_public_ip(str(info[4][0]))
        if why:
            return f"{host} resolves to {info[4][0]}, {why}"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _checked_peer(conn: http.client.HTTPConnection) -> None:
    """After connecting: refuse a peer that is not public (a DNS answer that changed since ``not_public``)."""
    if conn._tunnel_host:  # through a proxy: the proxy is the peer, and it resolves the name
        return
    peer = conn.sock.getpeername()[0]
    why = _not_public_ip(str(peer))
    if why:
        conn.close()
        raise NotPublic(f"{conn.host} answered from {peer}, {why}")


class _PublicHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _checked_peer(self)


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _checked_peer(self)


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        # through an http_proxy the proxy is the peer (and may well be on a private network): it resolves the name
        return self.do_open(http.client.HTTPConnection if req.has_proxy() else _PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PublicHTTPSConnection, req, context=self._context)


class _PublicRedirectHandler(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        why = not_public(newurl)
        if why:
            raise NotPublic(f"it redirects to {newurl}: {why}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_PUBLIC_ONLY = urllib.request.build_opener(_PublicHTTPHandler, _PublicHTTPSHandler, _PublicRedirectHandler)
_ANY = urllib.request.build_opener()


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


def _fetch(url: str, timeout: float, private: bool = False) -> LinkStatus:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    why = None if private else not_public(url)
    if why:
        return LinkStatus(url, False, None, why, skipped=True, checked=now)
    opener = _ANY if private else _PUBLIC_ONLY
    headers = {"User-Agent": f"briefgen/{__version__} (link check)", "Accept": "*/*"}
    status: int | None = None
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with opener.open(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
                return LinkStatus(url, True, response.status, checked=now)
        except NotPublic as exc:
            return LinkStatus(url, False, status, str(exc), skipped=True, checked=now)
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
            if isinstance(reason, NotPublic):
                return LinkStatus(url, False, status, str(reason), skipped=True, checked=now)
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
    urls: Iterable[str],
    *,
    jobs: int = 8,
    timeout: float = 10.0,
    cache: LinkCache | None = None,
    private: bool = False,
) -> dict[str, LinkStatus]:
    """Check each URL once: cached good answers first, the rest ``jobs`` at a time.

    Addresses that are not public are skipped (``LinkStatus.skipped``) unless ``private``.
    """
    results: dict[str, LinkStatus] = {}
    todo = []
    for url in dict.fromkeys(urls):
        host = urlsplit(url).hostname or ""
        # a good answer cached by a run with ``private`` does not hide an address this run must skip
        cached = cache.fresh(url) if cache and (private or not _not_public_ip(host)) else None
        if cached is not None:
            results[url] = cached
        else:
            todo.append(url)
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="briefgen-link") as pool:
            for status in pool.map(lambda u: _fetch(u, timeout, private), todo):
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
    private: bool = False,
) -> dict[str, LinkStatus]:
    """Check every external link of the site; each failure becomes a located problem.

    A link to an address that is not public is not requested (unless ``private``): a located warning says so.
    """
    found = external_urls(files, pages, own_base)
    cache = LinkCache(project.root / CACHE_NAME if use_cache else None, max_age)
    results = check_urls(found, jobs=jobs, timeout=timeout, cache=cache, private=private)
    texts = _content_texts(project)
    for url, status in results.items():
        if status.ok:
            continue
        places = _written_at(url, texts) or [(page.source or page.output, None) for page in found[url][:1]]
        for path, line in places:
            message = f"external link {url!r} is broken: {status.error}"
            if status.skipped:
                problems.warn(
                    path,
                    line,
                    f"external link {url!r} was not checked: {status.error}",
                    "readers cannot reach a private address either; pass --external-private to check it anyway",
                )
            elif status.transient:
                problems.warn(
                    path, line, f"external link {url!r} could not be checked: {status.error}", "try again later"
                )
            else:
                problems.error(path, line, message, "fix the address, or link to an archived copy")
    return results
