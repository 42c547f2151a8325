"""After rendering: every output path is written once, and every internal link and #anchor resolves.

The pages are our own output (templates and markdown-it-py quote every
attribute; nh3 re-serialises raw HTML with double quotes), so a regular
expression over ``href``/``src``/``id`` is enough and much faster than a full
HTML parse of thousands of pages. A user's template override may leave a value
unquoted (``<a href=page/>``): the expressions read those too.

A broken link in an article's body is reported at its line in the Markdown
source when it can be found there, so an editor can jump to it.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from operator import itemgetter
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from briefgen.checks.bodyline import body_line
from briefgen.checks.plainlinks import pass_plain
from briefgen.problems import Problems

if TYPE_CHECKING:  # (the content model and its schema: not needed by a worker that only checks: ``linkworker``)
    from briefgen.pages.assemble import Page

# A value: double-quoted, single-quoted, or unquoted (HTML allows ``href=page/``: anything but whitespace,
# quotes, ``=``, ``<``, ``>`` and backticks). A user's template override may write any of them.
_VALUE = rb"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
_LINK = re.compile(rb"\s(?:href|src)" + _VALUE)
# Patterns that find what ``\s(?:href|src)...`` and ``\sid...`` find, several times faster: starting with
# a literal lets the regex engine jump from one occurrence of it to the next instead of trying every
# whitespace character; the whitespace before is checked behind it (a match never ends in whitespace).
_HREF = re.compile(rb"href(?<=\shref)" + _VALUE)
_SRC = re.compile(rb"src(?<=\ssrc)" + _VALUE)
_ID = re.compile(rb"id(?<=\sid)" + _VALUE)
_SKIP_PREFIXES = ("pagefind/",)  # written after the pages, by the search indexer
# Text that is not markup: a URL inside JSON-LD or a comment is not a link a reader can follow. Each element runs
# from its opening to the first closing after it, as ``<script\b.*?</script\s*>`` would say (``<!--.*?-->`` for a
# comment), written out so that the regex engine moves on a run of characters at a time, not one at a time
# trying the closing at each (several times faster on a page's JSON-LD; tests/test_linkcheck_fast.py compares).
_NOT_MARKUP = re.compile(
    rb"<script\b[^<]*(?:<(?!/script\s*>)[^<]*)*</script\s*>"
    rb"|<style\b[^<]*(?:<(?!/style\s*>)[^<]*)*</style\s*>"
    rb"|<!--[^-]*(?:-(?!->)[^-]*)*-->",
    re.S | re.I,
)


def markup(html: bytes) -> bytes:
    """``html`` without the contents of scripts, styles and comments."""
    return _NOT_MARKUP.sub(b" ", html)


def links_in(html: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """``_LINK.findall(html)``: the values of href and src attributes, in order.

    Found as href matches and src matches separately. When no two of those
    overlap, they are exactly the matches of the combined pattern; when some
    do (an attribute value that itself looks like ``src='...'``), the combined
    pattern decides. An unquoted value counts only inside a tag (text such as
    ``&lt;a href=x&gt;`` in a code sample is not a link).
    """
    if b"src" not in html or _SRC.search(html) is None:
        values = _HREF.findall(html)  # the groups of each match, without a match object per link
        if not any(map(itemgetter(2), values)):  # nothing unquoted, whose place would need checking
            return values
    found = [(m.start(), m.end(), m.groups(b"")) for m in _HREF.finditer(html)]
    if b"src" in html:
        srcs = [(m.start(), m.end(), m.groups(b"")) for m in _SRC.finditer(html)]
        if srcs:
            found = sorted(found + srcs)
            end = -1
            for start, stop, _ in found:
                if start < end:
                    found = [(m.start(), m.end(), m.groups(b"")) for m in _LINK.finditer(html)]
                    break
                end = stop
    return [groups for start, _, groups in found if not groups[2] or _in_tag(html, start)]


def _in_tag(html: bytes, at: int) -> bool:
    """Whether position ``at`` is between a tag's attributes: after a ``<`` with no ``>`` since, and outside
    any quoted value (``title=" src=x"`` holds no attribute)."""
    start = html.rfind(b"<", 0, at)
    if start <= html.rfind(b">", 0, at):
        return False
    quote = None
    for char in html[start:at]:
        if quote is None and char in b"\"'":
            quote = char
        elif char == quote:
            quote = None
    return quote is None


# A relative URL that ``urlsplit`` would leave as it is: no scheme, query or second "#" (no ":", "?"), nothing
# it strips or removes (no whitespace or control character), not absolute ("/" first), and a path that
# ``unquote`` leaves alone (no "%"). Such a URL's path and fragment are what is either side of its "#".
_PLAIN_URL = re.compile(r"(?:[^:?#%/\x00-\x20][^:?#%\x00-\x20]*)?(?:#[^:?#\x00-\x20]*)?")


def _split(url: str) -> tuple[str, str] | None:
    """(path, fragment) of a link to our own output; None for other sites, mailto: and absolute paths."""
    if _PLAIN_URL.fullmatch(url):  # most links of a page: the answer of the general case below, found cheaply
        path, _, fragment = url.partition("#")
        return path, fragment
    if url.startswith(("https://", "http://")) and url.isascii() and "[" not in url and "]" not in url:
        return None  # another site's, as urlsplit finds (its scheme; nothing in it that urlsplit objects to)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "//")):
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        return None  # absolute paths appear only on the 404 page; checked by tests
    return path, parts.fragment


def _join(base_dir: str, path: str, to_root: str | None = None) -> str:
    """The output file a relative ``path`` (not empty) names from a page in folder ``base_dir``.

    ``to_root``: the ``../`` that climb from ``base_dir`` (a folder without ``.`` or ``..`` in it) to the
    site's root. A path that starts with them and goes on by plain names (no ``.`` or ``..`` part, no
    empty one) names what follows them, as ``normpath`` would find."""
    if to_root is not None:
        up = 0  # the ``../`` it starts with, up to as many as climb to the root
        while up < len(to_root) and path.startswith("../", up):
            up += 3
        rest = path[up:]
        parts = rest.split("/")
        if parts[-1] == "":
            parts.pop()
        if "" not in parts and "." not in parts and ".." not in parts:
            # the folder ``up`` climbs to: base_dir without its last up / 3 folders (the root: none of them)
            folder = "" if up == len(to_root) else (base_dir.rsplit("/", up // 3)[0] if up else base_dir) + "/"
            return folder + (rest + "index.html" if rest.endswith("/") or not rest else rest)
    joined = posixpath.normpath(posixpath.join(base_dir, path))
    if path.endswith("/") or joined == ".":
        joined = (joined + "/index.html") if joined != "." else "index.html"
    return joined


# What the link check works out again and again, kept for the life of the process (a preview rebuilds
# often): each distinct href as written -> (url, _split(url)); and (where from, path) -> output file.
# Most links of a page climb to the site's root first (``../../topics/x/``): where those end does not
# depend on the page's folder, only on its depth, so they are keyed by the depth and shared by every
# page that deep. Cleared when they grow past MEMO_MAX entries.
_hrefs: dict[tuple[bytes, ...], tuple[str, tuple[str, str] | None]] = {}
_joins: dict[tuple[str | int, str], str] = {}
MEMO_MAX = 400_000
# The ids in each file looked up for #anchors last time, by the identity of its bytes object (kept alive
# here): a rebuild in the same process hands the pages it kept over as the same objects.
_ids: dict[int, tuple[bytes, Ids]] = {}


def _attr(match: tuple[bytes, ...]) -> str:
    return b"".join(match).decode("utf-8", "replace").replace("&amp;", "&")  # one group is not empty


class Ids:
    """The ids of a page: ``{_attr(m) for m in _ID.findall(html)}``, kept as the values' bytes when every one is
    double-quoted (a set made in C, not one string decoded per id). A name in ASCII without ``&`` is one of them
    exactly when its bytes are one of those values (a value that decodes to it is those bytes; ``&amp;`` would
    leave an ``&``); any other name is looked up in the strings, made from those bytes when first asked."""

    __slots__ = ("values", "_text")

    def __init__(self, html: bytes):
        found = _ID.findall(html)
        if any(map(itemgetter(1), found)) or any(map(itemgetter(2), found)):  # a value not double-quoted
            self.values, self._text = None, {_attr(m) for m in found}
        else:
            self.values, self._text = set(map(itemgetter(0), found)), None

    def __contains__(self, name: str) -> bool:
        if self.values is not None and name.isascii() and "&" not in name:
            return name.encode() in self.values
        if self._text is None:
            self._text = {_attr((value,)) for value in self.values}
        return name in self._text


def check_outputs(pages: list[Page], problems: Problems, statics: set[str] = frozenset()) -> None:
    """Two inputs must never write the same file, not even in names differing only in case.

    A case-insensitive file system (macOS, Windows, many CDNs' origins) would
    keep only one of them, silently.
    """
    seen: dict[str, tuple[str, str]] = {name.casefold(): (name, f"static file {name}") for name in statics}
    for page in pages:
        key = page.output.casefold()
        what = page.source or f"the {page.kind} page"
        if key in seen:
            output, other = seen[key]
            if output == page.output:
                message = f"writes {page.output}, which {other} writes too"
            else:
                message = f"writes {page.output}, which differs only in case from {output}, written by {other}"
            problems.error(page.source or page.output, None, message, "rename one of them")
        else:
            seen[key] = (page.output, what)


def check_links(
    files: dict[str, bytes],
    pages: list[Page],
    problems: Problems,
    statics: set[str] = frozenset(),
    remember: bool = True,
) -> int:
    """Report broken internal links as problems; returns how many links were checked.

    ``remember=False``: ``files`` reads each file from the disk when asked (a build that streamed its
    site to disk), so the memo of ids by bytes object would only keep the whole site in memory; the
    hrefs and joins it works out are kept for this call only (no rebuild in this process will ask again).
    """
    global _ids
    check_outputs(pages, problems, statics)
    if len(_hrefs) > MEMO_MAX:
        _hrefs.clear()
    if len(_joins) > MEMO_MAX:
        _joins.clear()
    # a build that will not come again (a streamed one) works its hrefs and joins out for this call only
    hrefs, joins = (_hrefs, _joins) if remember else ({}, {})
    check = _LinkCheck(files, problems, statics, remember, hrefs, joins)
    checked = 0
    for page in pages:
        if page.kind != "notfound":
            checked += check.page(page)
    _ids = check.ids_now
    return checked


_NO_PAGE = (None, b"", b"")
PLAIN_PASS_MIN = 8  # how many links a page has not met at its depth before ``pass_plain`` pays


class _Known:
    """What ``_LinkCheck.resolve`` answered for link values whose answer is the same on every page as deep:
    ``answers``, and as sets the values that are fine (``settled``) and those of them that leave the site
    (``away``: not counted as checked)."""

    __slots__ = ("answers", "settled", "away")

    def __init__(self):
        self.answers: dict[tuple, tuple] = {}
        self.settled: set[tuple] = set()
        self.away: set[tuple] = set()

    def keep(self, match: tuple, answer: tuple) -> tuple:
        self.answers[match] = answer
        if answer[2] is None:
            self.settled.add(match)
            if not answer[1]:
                self.away.add(match)
        return answer


class _LinkCheck:
    """One run of the link check: the files, what it worked out so far, and what it has reported."""

    def __init__(self, files, problems: Problems, statics, remember: bool, hrefs: dict, joins: dict):
        self.files, self.problems, self.statics, self.remember = files, problems, statics, remember
        self.hrefs, self.joins = hrefs, joins
        self.ids_cache: dict[str, Ids] = {}
        self.ids_before, self.ids_now = _ids, {}
        self.reported: set[tuple[str, str]] = set()
        self.verdicts: dict[tuple[str, str], tuple[str, str] | None] = {}  # (path, fragment) -> verdict
        self.by_depth: dict[int, _Known] = {}  # depth -> what ``resolve`` answered for any page that deep
        self.own: tuple[str | None, bytes, bytes] = _NO_PAGE  # the page being checked: (output, bytes, markup)

    def ids(self, path: str) -> Ids:
        """The ids in the output file ``path``, from the last build's memo when it hands over the same bytes.

        The page being checked is not read again: its ids come from the markup ``page`` has in hand (every
        page links to its own ``#main``)."""
        if path not in self.ids_cache:
            own, data, html = self.own
            if path != own:
                data, html = self.files.get(path, b""), None
            entry = self.ids_before.get(id(data))  # a page kept from the last build?
            if entry is not None and entry[0] is data:
                found = entry[1]
            else:
                found = Ids(markup(data) if html is None else html)
            if self.remember:
                self.ids_now[id(data)] = (data, found)
            self.ids_cache[path] = found
        return self.ids_cache[path]

    def page(self, page: Page) -> int:
        """Check every link of one page; returns how many links to this site it has."""
        where = page.source or page.output
        data = self.files.get(page.output, b"")
        html = markup(data)
        self.own = (page.output, data, html)
        base_dir = posixpath.dirname(page.output)
        folders = base_dir.split("/") if base_dir else []
        depth = len(folders) if all(f not in ("", ".", "..") for f in folders) else -1
        to_root = "../" * depth
        # what a link that climbs to the site's root first (or leaves the site) is, and what is wrong with it,
        # depends only on how deep the page is: kept by depth, for every page that deep
        same_depth = self.by_depth.setdefault(depth, _Known()) if depth >= 0 else _Known()
        links = links_in(html)
        # each distinct value once: a topic page repeats most of its links (the same report in several blocks),
        # and the answer for a value does not depend on where. Those known to be fine at this depth (most of a
        # page's: its header, its topic strip, its footer) are passed over as a set, in C; the others are worked
        # out in any order, and what is wrong reported in the order of first occurrence.
        times = Counter(links)
        values = times.keys()
        checked = len(links) - sum(times[match] for match in values & same_depth.away)
        wrong = []
        rest = set(values).difference(same_depth.settled)  # (``values - settled`` would go through settled)
        if (
            len(rest) > PLAIN_PASS_MIN and depth >= 0
        ):  # a page with many links not met at this depth: the plainest quickly
            pass_plain(rest, depth, self.files, page.output, lambda: self.ids(page.output), same_depth.settled)
        for match in rest:
            known = same_depth.answers.get(match)
            if known is None:
                known = self.resolve(match, page.output, base_dir, depth, to_root, same_depth)
            checked -= 0 if known[1] else times[match]
            if known[2] is not None:
                wrong.append((match, known))
        if len(wrong) > 1:
            first = {match: at for at, match in enumerate(values)}
            wrong.sort(key=lambda item: first[item[0]])
        for _, (url, _, verdict) in wrong:
            if (where, url) not in self.reported:
                self.report(page, url, *verdict)
        self.own = _NO_PAGE
        return checked

    def resolve(self, match: tuple, output: str, base_dir: str, depth: int, to_root: str, same_depth) -> tuple:
        """(url, whether it links to this site, verdict) for a link value ``match`` on the page ``output``; kept
        in ``same_depth`` when the answer is the same for every page as deep."""
        known = self.hrefs.get(match)
        if known is None:
            url = _attr(match)
            known = self.hrefs[match] = (url, _split(url))
        url, split = known
        if split is None:
            return same_depth.keep(match, (url, False, None))
        path, fragment = split
        if path == "":  # on this page: when its #fragment is there, that is all there is to know
            if "%" not in fragment and fragment in self.ids(output) and output in self.files:
                return url, True, None
            return url, True, self.verdict(output, fragment)
        climbs = depth >= 0 and path.startswith(to_root)
        key = (depth if climbs else base_dir, path)
        joined = self.joins.get(key)
        if joined is None:
            joined = self.joins[key] = _join(base_dir, path, to_root if depth >= 0 else None)
        answer = (url, True, self.verdict(joined, fragment))
        return same_depth.keep(match, answer) if climbs else answer

    def verdict(self, path: str, fragment: str) -> tuple[str, str] | None:
        """What is wrong with a link to the output file ``path`` and its #``fragment`` (what, hint); None: nothing."""
        key = (path, fragment)
        if key not in self.verdicts:
            self.verdicts[key] = self._verdict(path, fragment)
        return self.verdicts[key]

    def _verdict(self, path: str, fragment: str) -> tuple[str, str] | None:
        if path.startswith(_SKIP_PREFIXES):
            return None
        if path not in self.files and path not in self.statics:
            return "which does not exist", "check the link's target"
        if fragment and path in self.files and unquote(fragment) not in self.ids(path):
            return (
                f"but that page has no #{unquote(fragment)}",
                "check the anchor name; headings in articles get ids like #sec-my-heading",
            )
        return None

    def report(self, page: Page, url: str, what: str, hint: str) -> None:
        where = page.source or page.output
        self.reported.add((where, url))
        self.problems.error(where, body_line(page, url), f"page /{page.url_path} links to {url!r}, {what}", hint)
