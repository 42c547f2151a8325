"""The briefing pack: one topic as a single document to print, file or read offline.

The topic page is for the screen: its reports are summaries that link away,
and a long story is paginated. The pack (``topics/<slug>/pack/``) holds the
whole briefing followed by the full text of every report, oldest first, so it
prints as one document (the theme's print CSS drops the navigation, prints
URLs after external links and starts each report on a new page).

With ``briefgen build --pdf`` (or ``pdf: true`` in briefgen.yaml) each pack is
also rendered to ``topics/<slug>/briefing.pdf`` by WeasyPrint, an optional
dependency (``pip install 'briefgen[pdf]'``): a pure-Python HTML/CSS layout
engine that needs no browser. It reads the pack's HTML and stylesheet from the
build in memory through its ``url_fetcher``; anything else (an image on
another host in an article body) is not fetched, so a build stays offline and
reproducible. PDF metadata dates come from the content, never the clock.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from markupsafe import Markup

from briefgen.content.model import Article, Site
from briefgen.problems import Problems

if TYPE_CHECKING:
    from briefgen.pages.page import Page

PDF_NAME = "briefing.pdf"

PDF_HINT = "install it with: pip install 'briefgen[pdf]' (or pip install weasyprint)"
_ATTR_NAMES = (("href", 4), ("src", 3), ("id", 2))  # the attributes a pack rewrites
_FAKE = "http://pack.invalid/"
_HEADING = re.compile(r"<(/?)h([1-6])\b")
HEADING_SHIFT = 2  # report titles are <h3> in the pack, so a body's ## becomes <h4>


def weasyprint_problem() -> str | None:
    """Why PDFs cannot be made here (WeasyPrint or its system libraries missing), or None."""
    try:
        import weasyprint  # noqa: F401
    except ImportError as exc:
        return f"PDF output needs WeasyPrint, which is not installed ({exc})"
    except OSError as exc:  # pango or cairo missing from the system
        return f"PDF output needs WeasyPrint's system libraries (Pango): {exc}"
    return None


_FOLDER = re.compile(r"(?:[a-z0-9-]+/)+")  # an article's url path as urljoin needs no special case for
_SIBLING = re.compile(r"\.\./([a-z0-9-]+/)(#[A-Za-z0-9_-]+)?")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _other_scheme(value: str) -> bool:
    """True when ``urljoin(_FAKE + ..., value)`` would return ``value`` itself: it names a scheme but http.

    Only plain ASCII without brackets or the tab/newline urlsplit removes,
    so urlsplit would neither raise nor read the scheme differently.
    """
    m = _SCHEME.match(value)
    return (
        m is not None and m.group(1).lower() != "http" and value.isascii() and not any(c in value for c in "[]\t\r\n")
    )


def article_body(article: Article, pack_url: str, pages: Set[str], base_url: str) -> Markup:
    """An article's body HTML made to work inside the pack page.

    Its links were written relative to ``articles/<slug>/``. A link to one of
    the site's pages (``pages``: article and topic url paths) is re-rooted to
    the pack's folder; a link into the article itself stays in the pack, with
    the article's slug prefixed to the heading ids (the pack holds many
    articles and ids must stay unique); anything else is made absolute
    against the article's canonical URL, so the pack never carries a relative
    link that the article page would report itself.
    """
    base = _FAKE + article.url_path
    root = "../" * pack_url.count("/")
    own = f"{article.slug}--"
    # where "../<slug>/" (a link to another article, the commonest link) leads from this article's folder
    up = None
    if _FOLDER.fullmatch(article.url_path):
        parent = article.url_path[:-1].rpartition("/")[0]
        up = parent + "/" if parent else ""

    def fix(attr: str, raw: str) -> str | None:
        """The attribute's new value, escaped; None to leave it as written."""
        value = html.unescape(raw)
        if attr == "id":
            new = own + value
        elif value.startswith("#"):
            new = "#" + own + value[1:]
        else:
            # urljoin is most of the cost here; the two commonest shapes of link are answered directly,
            # with the answer urljoin would give (tests/test_pack.py compares the two on many links)
            sibling = _SIBLING.fullmatch(value) if up is not None else None
            if sibling is not None:
                absolute = _FAKE + up + sibling.group(1) + (sibling.group(2) or "")
            elif _other_scheme(value):
                return None  # another scheme: left as written
            else:
                absolute = urljoin(base, value)
            if not absolute.startswith(_FAKE):
                return None  # another host or scheme: left as written
            path, _, fragment = absolute[len(_FAKE) :].partition("#")
            if path == article.url_path and fragment:
                new = "#" + own + fragment  # a heading of this same article
            elif path in pages:
                new = root + path + ("#" + fragment if fragment else "")
            else:
                new = urljoin(base_url + article.url_path, value)
        return html.escape(new, quote=True)

    body = _rewrite_attributes(article.body_html, fix)
    body = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + HEADING_SHIFT)}", body)
    return Markup(body)  # body_html was sanitised when rendered; only attribute values were rewritten, escaped


def _rewrite_attributes(body: str, fix: Callable[[str, str], str | None]) -> str:
    """``body`` with the value of every ``href="..."``, ``src="..."`` and ``id="..."`` after white space
    replaced by ``fix(name, value)`` (kept when it returns None).

    The same matches, left to right, as ``re.sub(r'(\\s(href|src|id)=")([^"]*)(")', ...)``, found by looking
    for ``="`` with ``str.find``: the regular expression tried a match at every white space of the body and
    was most of the cost of a pack (tests/test_pack_links.py compares the two).
    """
    find = body.find
    out: list[str] = []
    done = 0  # the body is copied up to here (a match never starts before the end of the last one)
    at = find('="')
    while at >= 0:
        for name, size in _ATTR_NAMES:
            if body.endswith(name, 0, at):
                start = at - size - 1  # the white space before the name
                if start >= done and body[start].isspace():
                    close = find('"', at + 2)
                    if close < 0:
                        at = -1
                        break
                    new = fix(name, body[at + 2 : close])
                    if new is not None:
                        out.append(body[done : at + 2])
                        out.append(new)
                        done = close
                    at = find('="', close + 1)
                    break
                at = find('="', at + 2)
                break
        else:
            at = find('="', at + 2)
    if not out:
        return body
    out.append(body[done:])
    return "".join(out)


def pack_links(articles: Iterable[Article]) -> dict[str, int]:
    """Every outside link the pack's reports cite (a citation's URL, else its source's), numbered from 1
    in the order first cited: the pack's footnote numbers and its closing list of links, in one pass."""
    links: dict[str, int] = {}
    for article in articles:
        for citation in article.citations:
            url = citation.url or citation.source.url
            if url and url not in links:
                links[url] = len(links) + 1
    return links


class PackBodies(Mapping):
    """``slug -> article_body(...)`` for one pack page, computed only when the template asks.

    Assembling makes one per pack on every build, but a rebuild renders only
    the packs whose inputs changed; rewriting every body of every topic up
    front was most of the assemble stage. A body, once rewritten, is kept
    (per pack URL and slug) with everything it was computed from, so the
    next render of that pack (``serve`` re-renders a pack whenever one of
    its reports changes) rewrites only the bodies that changed.
    """

    def __init__(
        self,
        articles: Iterable[Article],
        pack_url: str,
        pages: frozenset[str],
        base_url: str,
        memo: PackBodyMemo | None = None,
    ):
        self._articles = {a.slug: a for a in articles}
        self._pack_url = pack_url
        self._pages = pages
        self._base_url = base_url
        self._memo = memo.setdefault(pack_url, {}) if memo is not None else None

    def __getitem__(self, slug: str) -> Markup:
        article = self._articles[slug]
        key = (article.body_html, article.url_path, self._pages, self._base_url)
        found = self._memo.get(slug) if self._memo is not None else None
        if found is not None and found[0] == key:
            return found[1]
        body = article_body(article, self._pack_url, self._pages, self._base_url)
        if self._memo is not None:
            self._memo[slug] = (key, body)
        return body

    def __iter__(self) -> Iterator[str]:
        return iter(self._articles)

    def __len__(self) -> int:
        return len(self._articles)


# The build database's memo of rewritten bodies: pack URL -> slug -> (what the body was computed from, the
# body); the inputs are compared on every use. Only a session (serve) keeps one: a one-off build renders each
# pack once, and keeping every body of every pack would hold the reports of the whole site a second time
# (about 60 MB at 4,000 articles) until the build ends.
PackBodyMemo = dict[str, dict[str, tuple[tuple, Markup]]]
_PAGES: list[frozenset[str]] = [frozenset()]


def site_pages(paths: Iterable[str]) -> frozenset[str]:
    """The url paths a body may link to, as the object the last build used when equal (a cheap memo key)."""
    pages = frozenset(paths)
    if pages == _PAGES[0]:
        return _PAGES[0]
    _PAGES[0] = pages
    return pages


def _fetcher(lookup):
    """A WeasyPrint URL fetcher that serves this build's files and refuses every other URL.

    WeasyPrint 68 and later take a ``URLFetcher`` subclass; earlier versions a
    function returning a dict. Either way nothing leaves the machine.
    """
    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:  # WeasyPrint before the URLFetcher class

        def fetch(url: str, *args, **kwargs) -> dict:
            found = lookup(url)
            if found is None:
                raise ValueError(f"not fetched while making a PDF: {url}")
            return {"string": found[0], "mime_type": found[1], "redirected_url": url}

        return fetch

    class BuildFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            found = lookup(url)
            if found is None:
                raise ValueError(f"not fetched while making a PDF: {url}")  # WeasyPrint skips the resource
            return URLFetcherResponse(url, found[0], {"Content-Type": found[1]})

    return BuildFetcher()


def pdf_outputs(
    site: Site, pages: list[Page], files: dict[str, bytes], renderer, problems: Problems
) -> dict[str, bytes]:
    """``topics/<slug>/briefing.pdf`` for every pack page, rendered from the build in memory."""
    missing = weasyprint_problem()
    if missing:
        problems.error("briefgen.yaml", None, missing, PDF_HINT)
        return {}
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported-CSS chatter is not the user's problem
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    static_bytes = {s.output: s.source for s in renderer.statics.values()}
    base = site.config.base_url
    base_path = urlsplit(base).path

    def lookup(url: str) -> tuple[bytes, str] | None:
        """The bytes of one of this build's files named by ``url``, and their type; None for anything else."""
        parts = urlsplit(url)
        if url.startswith(base):
            rel = url[len(base) :]
        elif parts.scheme == "" and parts.path.startswith(base_path):
            rel = parts.path[len(base_path) :]
        else:
            return None
        rel = rel.split("#", 1)[0].split("?", 1)[0]
        data = files.get(rel)
        if data is None and rel in static_bytes:
            data = static_bytes[rel].read_bytes()
        if data is None:
            return None
        mime = {"css": "text/css", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg"}
        return data, mime.get(rel.rsplit(".", 1)[-1].lower(), "application/octet-stream")

    fetcher = _fetcher(lookup)

    out: dict[str, bytes] = {}
    for page in pages:
        if page.kind != "pack":
            continue
        topic = page.context["topic"]
        source = files[page.output].decode("utf-8")  # links style.css and pack-print.css (media="print")
        rendered = HTML(string=source, base_url=base + page.url_path, url_fetcher=fetcher).render()
        meta = rendered.metadata
        meta.title = f"{topic.title} · {site.config.title}"
        meta.authors = [site.config.publisher or site.config.title]
        meta.description = topic.meta.summary
        meta.generator = "briefgen"
        newest = topic.updated.isoformat(timespec="seconds") if topic.updated else None
        meta.created = meta.modified = newest
        out[topic.url_path + PDF_NAME] = rendered.write_pdf()
    return out
