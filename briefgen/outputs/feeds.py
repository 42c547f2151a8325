"""Atom feeds: the whole site, every topic, every person and source.

Feed readers are how many readers follow a running story, so every page that
lists articles has a feed of the same articles: ``feed.xml`` for the site,
``topics/<slug>/feed.xml``, ``people/<id>/feed.xml`` and ``sources/<id>/feed.xml``.

Written with ``feedgenerator`` (Pelican's maintained, pure-Python extract of
Django's feed writer: XML escaping by a SAX generator, RFC 3339 dates with
their offsets). Its one wall-clock reading, "now" as the ``updated`` time of
a feed without entries, is overridden so that a build is reproducible.

- Entry ids are tag: URIs made from the article's canonical URL and its
  publication date, so an article keeps its id in every feed and across
  rebuilds (feedgenerator's ``get_tag_uri``).
- ``updated`` is the article's last modification (``updated:`` or ``date:``),
  always with its time zone; a feed's ``updated`` is its newest entry's.
- Summaries are the article's one-sentence summary (plain text, escaped as
  HTML); content is the article body with links made absolute, because a
  feed reader resolves relative links against the feed, not the page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from feedgenerator import Atom1Feed, get_tag_uri

from briefgen.content.model import Article, Site
from briefgen.outputs.atomentry import entry_xml
from briefgen.pages.assemble import Page

FEED_NAME = "feed.xml"
MAX_ENTRIES = 50  # newest first; older articles stay on the pages
EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # a fixed time, never "now"

_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


class _ReproducibleAtomFeed(Atom1Feed):
    def latest_post_date(self):
        dates = [d for item in self.items for d in (item.get("updateddate"), item.get("pubdate")) if d]
        return max(dates, default=EMPTY_FEED_UPDATED)

    def add_dates(self, pubdate: dt.datetime, updateddate: dt.datetime) -> None:
        """An entry written apart (``write_feed``): only its dates, which count for the feed's ``updated``."""
        self.items.append({"pubdate": pubdate, "updateddate": updateddate, "entry": None})

    def write_items(self, handler):
        for item in self.items:
            if "entry" not in item:  # the entries ``add_dates`` stands for are written by ``write_feed``
                handler.startElement("entry", self.item_attributes(item))
                self.add_item_elements(handler, item)
                handler.endElement("entry")

    def head_and_tail(self) -> tuple[bytes, bytes]:
        """The feed around its entries, as feedgenerator writes it: the head up to the last root element, and
        ``</feed>``. An entry is text written as it is between them (SAX's ``ignorableWhitespace`` did that)."""
        text = self.writeString("utf-8")
        tail = "</feed>"
        if not text.endswith(tail) or any("entry" not in item for item in self.items):
            raise ValueError("a feed with items of its own is written whole")  # (not one briefgen makes)
        return text[: -len(tail)].encode("utf-8"), tail.encode("utf-8")


# An article's <entry> is the same in every feed that lists it (the site's, its topics', its people's and
# sources'), so it is written once: keyed by everything it shows, kept for the next build in this process
# (``serve``) and bounded to about two entries per article of the site. A build that no other build follows
# in this process (``briefgen build``) keeps none (``FeedWriter(keep=False)``): the entries, about 30 MB at
# 4,000 articles (each holds its article's body), go with the feeds' writer once the last feed is made.
_entries: dict[tuple, bytes] = {}


# Attribute values that are URLs with a host, in the scheme of the page (``https://example.com/410``): urljoin
# writes them the same against every page (it re-assembles their parts), so they are joined once a process.
_with_host: dict[str, str] = {}


def absolute_links(body_html: str, page_url: str) -> str:
    """Relative href/src in our own rendered HTML made absolute against the page's URL."""
    scheme = page_url.partition(":")[0] + "://"

    def fix(value: str) -> str:
        url = html.unescape(value)
        if url.startswith(scheme):
            joined = _with_host.get(url)
            if joined is None:
                joined = urljoin(page_url, url)
                if urlsplit(url).netloc and len(_with_host) < 100_000:
                    _with_host[url] = joined
        else:
            joined = climbed(page_url, url) or urljoin(page_url, url)
        return html.escape(joined, quote=True)

    parts, last = [], 0
    for start, end in url_values(body_html):
        parts += (body_html[last:start], fix(body_html[start:end]))
        last = end
    if not parts:
        return body_html
    parts.append(body_html[last:])
    return "".join(parts)


def url_values(text: str) -> Iterator[tuple[int, int]]:
    """Where the values are that ``_URL_ATTR.finditer(text)`` finds (its second group's span), found from the
    ``="`` each name ends with: a search of the pattern, which begins with ``\\s``, tries a match at every
    character, over a quarter of the feeds' time; ``str.find`` skips to the next ``="``. (``\\s`` is ``str.isspace``.)"""
    find = text.find
    at = find('="')
    while at >= 0:
        if (at >= 5 and text[at - 5].isspace() and text.startswith("href", at - 4)) or (
            at >= 4 and text[at - 4].isspace() and text.startswith("src", at - 3)
        ):
            end = find('"', at + 2)
            if end < 0:  # no closing quote, nor any later ="
                return
            yield at + 2, end
            at = find('="', end + 1)
        else:
            at = find('="', at + 2)  # (the next =" cannot start on this one's quote)


# A link that climbs from a page's folder (``../../articles/x/#sec-a``, how one body links to another), and a
# page's URL that is a plain folder (``https://example.org/articles/y/``): what urljoin answers, found by
# dropping folders. Anything else (a dot segment, an empty one, a query, a percent sign...) goes to urljoin.
_CLIMB = re.compile(r"((?:\.\./)+)((?:[\w\-.~]+/)*[\w\-.~]*)(#[\w\-.~]+)?", re.ASCII)
_FOLDER_URL = re.compile(r"([a-z][a-z0-9+.\-]*://[A-Za-z0-9.\-]+(?::[0-9]+)?)((?:/[\w\-.~]+)*)/", re.ASCII)


def climbed(page_url: str, url: str) -> str | None:
    """``urljoin(page_url, url)`` for a ``url`` that climbs from a plain folder page, or None."""
    link, base = _CLIMB.fullmatch(url), _FOLDER_URL.fullmatch(page_url)
    if link is None or base is None:
        return None
    folders = base[2].split("/")[1:]  # "/articles/y" -> ["articles", "y"]
    ups, rest = len(link[1]) // 3, link[2].split("/")
    if ups > len(folders) or "." in folders or ".." in folders or "." in rest or ".." in rest or "" in rest[:-1]:
        return None
    return base[1] + "/" + "/".join(folders[: len(folders) - ups] + rest) + (link[3] or "")


def feed_path(url_path: str) -> str:
    """Where the feed of the page at ``url_path`` lives ("" for the site's feed)."""
    return url_path + FEED_NAME


def new_feed(site: Site, renderer, url_path: str, feed_url_path: str, title: str, subtitle: str, guid: str):
    """An empty Atom feed for the page at ``url_path``, served at ``feed_url_path``."""
    config = site.config
    return _ReproducibleAtomFeed(
        title=title,
        link=renderer.absolute(url_path),
        description=subtitle,
        language=config.language,
        author_name=config.publisher or config.title,
        feed_url=renderer.absolute(feed_url_path),
        feed_guid=guid,
    )


def _recency(article: Article) -> tuple:
    return (article.modified, article.date, article.slug)


class RecencyOrder(dict):
    """article -> its place among the site's articles, newest first (by ``_recency``; equal keys share one):
    worked out once per build, so each feed is a sort of small ints, not of dates (a build sorts ~300)."""

    def __init__(self, articles: Iterable[Article]):
        super().__init__()
        last = None
        # the site's articles come about newest first: a stable sort of them is nearly linear
        for n, (key, article) in enumerate(sorted(((_recency(a), a) for a in articles), key=_first, reverse=True)):
            if n == 0 or key != last:
                place, last = n, key
            self[article] = place

    def newest(self, articles: Iterable[Article]) -> Article | None:
        """The first newest of ``articles`` (KeyError for one this order was not made from)."""
        return min(articles, key=self.__getitem__, default=None)


def _first(pair: tuple) -> tuple:
    return pair[0]


class Newest(list):
    """What ``newest`` answers: a feed's articles already chosen and ordered (``newest`` of it is itself)."""


def newest(articles: Iterable[Article], order: RecencyOrder | None = None) -> Newest:
    """The articles a feed shows: the newest ``MAX_ENTRIES``, newest first (a stable sort: ties keep their order).

    ``order`` (``RecencyOrder`` of the site's articles) gives the same answer as sorting by ``_recency`` itself."""
    articles = list(articles)
    if order is not None:
        try:
            return Newest(sorted(articles, key=order.__getitem__)[:MAX_ENTRIES])
        except KeyError:  # an article the order was not made from
            pass
    return Newest(sorted(articles, key=_recency, reverse=True)[:MAX_ENTRIES])


def write_feed(
    site: Site, renderer, url_path: str, title: str, subtitle: str, articles: Iterable[Article], writer=None, last=None
) -> bytes:
    """One feed: the newest of ``articles``. ``writer``: the ``FeedWriter`` of this build's site, if there is one;
    ``last``: the entries of its last file a rebuild can take (``lastentries.LastEntries``), if any."""
    return (writer or FeedWriter(site, renderer)).feed(url_path, title, subtitle, articles, last)


class FeedWriter:
    """Writes the feeds of one site as one build sees it: each article's <entry> is looked up in ``_entries``
    once, not once per feed that lists it (~3.4 at 4,000 articles), and each feed's head is feedgenerator's."""

    def __init__(self, site: Site, renderer, keep: bool = True):
        self.site, self.renderer, self.keep = site, renderer, keep  # keep: in ``_entries``, for the next build
        config = site.config
        self.fallback_author = config.publisher or config.title
        self.limit = 2 * len(site.articles) + 2 * MAX_ENTRIES  # of _entries
        self.built: dict[int, tuple[Article, bytes]] = {}  # id(article) -> (the article, kept alive; its entry)

    def feed(self, url_path: str, title: str, subtitle: str, articles: Iterable[Article], last=None) -> bytes:
        renderer = self.renderer
        feed = new_feed(
            self.site, renderer, url_path, feed_path(url_path), title, subtitle, renderer.absolute(url_path)
        )
        entries = []
        for article in articles if type(articles) is Newest else newest(articles):
            found = self.built.get(id(article))
            if found is not None:
                xml = found[1]
            elif last is not None and (xml := last.get(article.path, renderer.absolute(article.url_path))):
                self.built[id(article)] = (article, xml)  # as the last build wrote it (``lastentries``)
            else:
                xml = self.entry(article)
            feed.add_dates(article.date, article.modified)
            entries.append(xml)
        head, tail = feed.head_and_tail()
        return b"".join([head, *entries, tail])

    def entry(self, article: Article) -> bytes:
        """The article's <entry>, from ``_entries`` if an earlier build or feed wrote it."""
        link = self.renderer.absolute(article.url_path)
        author = ", ".join(p.name for p in article.authors) or article.author or self.fallback_author
        categories = [t.title for t in article.topics]
        date, modified = article.date, article.modified
        key = (link, article.title, article.summary, article.body_html, author, tuple(categories))
        key += (type(date), date.isoformat(), type(modified), modified.isoformat())
        xml = _entries.pop(key, None) if self.keep else None
        if xml is None:
            xml = entry_xml(
                title=article.title,
                link=link,
                description=html.escape(article.summary, quote=False),
                content=absolute_links(article.body_html, link),
                author_name=author,
                pubdate=date,
                updateddate=modified,
                unique_id=get_tag_uri(link, date),
                categories=categories,
            ).encode("utf-8")  # encoded once, for every feed that lists it
            while self.keep and len(_entries) >= self.limit:
                del _entries[next(iter(_entries))]  # the entry used longest ago
        if self.keep:
            _entries[key] = xml  # (re)inserted last: most recently used
        self.built[id(article)] = (article, xml)
        return xml


def party_articles(site: Site, page: Page) -> list[Article]:
    """What a person's or source's feed carries: the articles on their page (which include those citing them)."""
    return list(page.context["articles"])


def iter_feeds(
    site: Site, pages: list[Page], renderer, write=None, order: RecencyOrder | None = None, keep: bool = True
) -> Iterator[tuple[str, bytes]]:
    """Every feed of the site as (output path, bytes), one at a time: a cold build writes each as it is made.

    ``write`` makes one feed (default ``write_feed``; a rebuild passes ``briefgen.outputs.kept.Keeper.feed``);
    ``order``: the ``RecencyOrder`` of ``site.articles``, when the caller has it (the sitemap uses the same);
    ``keep``: whether the entries stay in ``_entries`` for a later build in this process.
    """
    config = site.config
    order = RecencyOrder(site.articles) if order is None else order
    writer = FeedWriter(site, renderer, keep)

    def write_feed_(site, renderer, url_path, title, subtitle, articles):
        return (write or write_feed)(site, renderer, url_path, title, subtitle, articles, writer=writer)

    # each feed is handed only the articles it shows: briefgen.outputs.kept fingerprints it by them
    yield FEED_NAME, write_feed_(site, renderer, "", config.title, config.description, newest(site.articles, order))
    for page in pages:
        if page.kind == "topic" and page.url_path == page.context["topic"].url_path:
            topic = page.context["topic"]
            yield (
                feed_path(topic.url_path),
                write_feed_(
                    site,
                    renderer,
                    topic.url_path,
                    f"{topic.title} · {config.title}",
                    topic.meta.summary,
                    newest(topic.articles, order),
                ),
            )
        elif page.kind == "party":
            party = page.context["party"]
            yield (
                feed_path(party.url_path),
                write_feed_(
                    site,
                    renderer,
                    party.url_path,
                    f"{party.name} · {config.title}",
                    page.description,
                    newest(party_articles(site, page), order),
                ),
            )


def feeds_for(page: Page) -> list[tuple[str, str]]:
    """The feeds a page advertises besides the site's: (url_path of the feed, title)."""
    if page.kind == "topic":
        topic = page.context["topic"]
        changes = (topic.url_path + "changes.xml", f"{topic.title}: what changed (Atom)")  # briefgen.briefing.changes
        return [(feed_path(topic.url_path), f"{topic.title} (Atom)"), changes]
    if page.kind == "changes":
        return [("changes/feed.xml", "What changed (Atom)")]
    if page.kind == "article":
        return [(feed_path(t.url_path), f"{t.title} (Atom)") for t in page.context["article"].topics]
    if page.kind == "party":
        party = page.context["party"]
        return [(feed_path(party.url_path), f"{party.name} (Atom)")]
    return []
