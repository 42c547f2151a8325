"""What link previews, feed readers and search engines read from a page's <head>.

The theme's ``base.html`` already writes the title, meta description,
canonical link and the basic Open Graph tags from ``page``; this module adds
what needs the briefing model: Twitter card tags, article times, the
``rel=alternate`` feed links, and JSON-LD structured data:

- ``NewsArticle`` for articles (headline, dates with time zones, author,
  publisher, the topics it is about, the people it mentions and the sources
  it cites), plus one ``ClaimReview`` for every claim that carries a verdict
  (confirmed, disputed or false; "unverified" is not a verdict);
- ``CollectionPage`` for topics and the index pages, listing their articles;
- ``Person`` or ``Organization`` for people and sources;
- ``WebSite`` with a ``SearchAction`` for the home page.

JSON goes into <script> through ``json_for_script``, which escapes ``<``, ``>``
and ``&``, so no value (a headline containing ``</script>``) can end the script.
URLs in JSON-LD and Open Graph are absolute (canonical); feed links are
relative like every other link, so the site works at any base path.

Every page of a build has a head, so its cost counts (about a tenth of an
article page's render): the JSON is written by msgspec (a maintained C encoder)
rather than ``json.dumps`` (``jsontext.compact``), and what recurs from page to page (a person's or
source's reference, a topic's, the publisher, the site feed's link) is made
once per distinct value (``_PARTY_REFS``, ``_FEED_LINKS``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup, escape

from briefgen.content.model import Article, Claim, Party, Site
from briefgen.jsontext import compact
from briefgen.outputs.feeds import FEED_NAME, feeds_for
from briefgen.pages.assemble import Page
from briefgen.render.codegen import _escape_inner, output_text
from briefgen.render.render import relative_root

if _escape_inner is not None:  # MarkupSafe 3: escape() as text, without a Markup made for each value
    escape = output_text  # noqa: F811

VERDICT_RATINGS = {"false": 1, "disputed": 3, "confirmed": 5}  # on a 1-5 scale, "alternateName" says it in words
HEADLINE_MAX = 110  # schema.org/Google limit for NewsArticle.headline


_MEMO_KEPT = 65536  # values per kind; past this (a serve session that runs for weeks) a memo starts again


def json_for_script(data: Any) -> Markup:
    """JSON safe inside <script>: no '<', '>' or '&' can appear literally."""
    # ``jsontext.compact`` writes json.dumps's text for what JSON-LD holds (dicts with ``str`` keys, lists,
    # ``str``, ``int``, ``bool``, None): it holds no floats (an image's size is in pixels, a rating an integer;
    # tests/test_head_json.py pins that), where msgspec and ``json`` differ (``1e16`` against ``1e+16``, NaN)
    text = compact(data)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


# What recurs from page to page, keyed by every value the answer is made from: never by an object's identity
# (serve renders pages of a site patched in place with the build's renderer, and a stored model keeps objects
# from build to build). Nothing changes an answer once made: the JSON encoder only reads it.
_PARTY_REFS: dict[tuple, dict] = {}  # (kind, name, id, base URL) -> party_ref
_FEED_LINKS: dict[tuple, str] = {}  # (root, path, title) -> the <link> line


def _fresh(memo: dict) -> dict:
    memo.clear()
    return memo


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _clean(data: dict) -> dict:
    """``data`` without the keys whose value is None, "" or [] (a true value is kept at the first test)."""
    return {k: v for k, v in data.items() if v or (v is not None and v != "" and v != [])}


def publisher(site: Site, renderer) -> dict:
    return {"@type": "Organization", "name": site.config.publisher or site.config.title, "url": renderer.absolute("")}


def party_ref(party: Party, renderer) -> dict:
    return _party_ref(party, renderer.absolute(""))


def _party_ref(party: Party, base: str) -> dict:
    """A person or source named on a page (an author, someone mentioned, a citation's publisher), with ``base``
    the site's address: the same few people and sources recur on thousands of pages, so each is made once."""
    key = (party.kind, party.name, party.id, base)
    memo = _PARTY_REFS if len(_PARTY_REFS) < _MEMO_KEPT else _fresh(_PARTY_REFS)
    ref = memo.get(key)
    if ref is None:
        kind = "Person" if party.kind == "person" else "Organization"
        ref = memo[key] = _clean({"@type": kind, "name": party.name, "url": base + party.url_path})
    return ref


def party_entity(party: Party, renderer) -> dict:
    kind = "Person" if party.kind == "person" else "Organization"
    return _clean(
        {
            "@context": "https://schema.org",
            "@type": kind,
            "name": party.name,
            "url": renderer.absolute(party.url_path),
            "mainEntityOfPage": renderer.absolute(party.url_path),
            "jobTitle": party.role if kind == "Person" else None,
            "description": party.description or (party.role if kind != "Person" else None),
            "sameAs": [party.url] if party.url else None,
        }
    )


def claim_review(claim: Claim, article: Article, site: Site, renderer) -> dict:
    verdict = claim.status
    return _clean(
        {
            "@type": "ClaimReview",
            "url": renderer.absolute(article.url_path),
            "claimReviewed": claim.text,
            "datePublished": iso(article.date),
            "author": publisher(site, renderer),
            "itemReviewed": _clean(
                {"@type": "Claim", "author": party_ref(claim.by, renderer), "datePublished": iso(claim.date)}
            ),
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": VERDICT_RATINGS[verdict],
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": verdict.capitalize(),
            },
        }
    )


def news_article(article: Article, site: Site, renderer) -> dict:
    base = renderer.absolute("")  # what renderer.absolute(path) starts with: base + path is the same
    url = base + article.url_path
    if article.authors:
        author = [_party_ref(p, base) for p in article.authors]
    elif article.author:
        author = {"@type": "Person", "name": article.author}
    else:
        author = publisher(site, renderer)
    return _clean(
        {
            "@type": "NewsArticle",
            "@id": url,
            "headline": article.title[:HEADLINE_MAX],
            "description": article.summary,
            "url": url,
            "mainEntityOfPage": url,
            "datePublished": iso(article.date),
            "dateModified": iso(article.modified),
            "dateline": article.dateline or None,
            "inLanguage": site.config.language,
            "author": author,
            "publisher": publisher(site, renderer),
            "about": [{"@type": "Thing", "name": t.title, "url": base + t.url_path} for t in article.topics],
            "mentions": [_party_ref(p, base) for p in article.people],
            "citation": [
                _clean(
                    {
                        "@type": "CreativeWork",
                        "name": c.note or c.source.name,
                        "url": c.url,
                        "publisher": _party_ref(c.source, base),
                    }
                )
                for c in article.citations
            ],
            "image": _image_object(article.image, renderer) if article.image else None,
            "correction": [
                {"@type": "CorrectionComment", "text": c.text, "datePublished": iso(c.date)}
                for c in article.corrections
            ],
        }
    )


def article_graph(article: Article, site: Site, renderer) -> dict:
    reviews = [claim_review(c, article, site, renderer) for c in article.claims if c.status in VERDICT_RATINGS]
    return {"@context": "https://schema.org", "@graph": [news_article(article, site, renderer), *reviews]}


def collection(page: Page, site: Site, renderer, articles: list[Article], modified: dt.datetime | None) -> dict:
    return _clean(
        {
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "name": page.title,
            "description": page.description,
            "url": renderer.absolute(page.url_path),
            "dateModified": iso(modified),
            "inLanguage": site.config.language,
            "isPartOf": {"@type": "WebSite", "name": site.config.title, "url": renderer.absolute("")},
            "publisher": publisher(site, renderer),
            "hasPart": [
                {
                    "@type": "NewsArticle",
                    "headline": a.title[:HEADLINE_MAX],
                    "url": renderer.absolute(a.url_path),
                    "datePublished": iso(a.date),
                }
                for a in articles
            ],
        }
    )


def structured_data(site: Site, page: Page, renderer) -> dict | None:
    """The JSON-LD object for a page, or None for pages that describe nothing (search, 404)."""
    ctx = page.context
    if page.kind == "article":
        return article_graph(ctx["article"], site, renderer)
    if page.kind == "topic":
        latest = ctx["b"].latest
        return collection(page, site, renderer, latest, max((a.modified for a in latest), default=None))
    if page.kind == "party":
        return party_entity(ctx["party"], renderer)
    if page.kind == "home":
        home = renderer.absolute("")
        return _clean(
            {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": site.config.title,
                "description": site.config.description,
                "url": home,
                "inLanguage": site.config.language,
                "publisher": publisher(site, renderer),
                # only when the search page can search (``search.available``)
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": {"@type": "EntryPoint", "urlTemplate": home + "search/?q={search_term_string}"},
                    "query-input": "required name=search_term_string",
                }
                if site.config.search
                else None,
            }
        )
    if page.kind in ("topics", "people", "claims"):
        newest = max((a.modified for a in site.articles), default=None)
        return collection(page, site, renderer, [], newest)
    return None


def meta_tags(site: Site, page: Page) -> list[tuple[str, str, str]]:
    """(attribute, name, content) for the tags base.html does not write itself."""
    image = page.context["article"].image if page.kind == "article" else None
    tags = [
        ("name", "twitter:card", "summary_large_image" if image else "summary"),
        ("name", "twitter:title", page.title),
    ]
    if image:  # the lead image, absolute (link previews fetch it from elsewhere)
        tags += [
            ("property", "og:image", site.config.base_url + image.largest),
            ("property", "og:image:width", str(image.width)),
            ("property", "og:image:height", str(image.height)),
            ("property", "og:image:alt", image.alt),
        ]
    if page.description:
        tags.append(("name", "twitter:description", page.description))
    if page.kind == "article":
        article = page.context["article"]
        tags.append(("property", "article:published_time", article.date.isoformat()))
        tags.append(("property", "article:modified_time", article.modified.isoformat()))
        tags.extend(("property", "article:section", t.title) for t in article.topics)
    return tags


def head_html(site: Site, page: Page, renderer) -> str:
    """The extra <head> markup for one page (Markup-safe: every value escaped)."""
    root = renderer.base_path if page.kind == "notfound" else relative_root(page.url_path)
    # escape() is what Markup.format applies to each value, minus its string-formatting machinery (a
    # quarter of this function's time); attr is one of our own literals ("name", "property").
    lines = [f'<meta {attr}="{escape(name)}" content="{escape(value)}">' for attr, name, value in meta_tags(site, page)]
    feeds = [(FEED_NAME, site.config.title + " (Atom)"), *feeds_for(page)]
    links = _FEED_LINKS if len(_FEED_LINKS) < _MEMO_KEPT else _fresh(_FEED_LINKS)
    for path, title in feeds:  # the site's feed at each depth, a topic's on each of its articles: made once
        line = links.get((root, path, title))
        if line is None:
            line = links[(root, path, title)] = (
                f'<link rel="alternate" type="application/atom+xml" title="{escape(title)}" href="{escape(root + path)}">'
            )
        lines.append(line)
    if _noindex(page):
        lines.append('<meta name="robots" content="noindex">')
    data = structured_data(site, page, renderer)
    if data is not None:
        lines.append(f'<script type="application/ld+json">{json_for_script(data)}</script>')
    return Markup("\n".join(lines))


def _image_object(image, renderer) -> dict:
    return _clean(
        {
            "@type": "ImageObject",
            "url": renderer.absolute(image.largest),
            "width": image.width,
            "height": image.height,
            "caption": image.caption,
            "description": image.alt,
            "creditText": image.credit,
        }
    )


def _noindex(page: Page) -> bool:
    """A preview of a draft or scheduled report or topic, or a withdrawn report's note: not for search engines."""
    if page.kind == "withdrawn":
        return True
    shown = page.context.get("article") if page.kind == "article" else page.context.get("topic")
    return bool(getattr(shown, "preview", "")) if page.kind in ("article", "topic") else False
