"""The reference a feed is compared with: what feedgenerator writes item by item, with no memo of any kind."""

from __future__ import annotations

from briefgen.outputs import feeds


def reference_feed(site, renderer, url_path: str, title: str, subtitle: str, articles) -> bytes:
    """A feed as feedgenerator writes it item by item, each entry written anew (no memo of any kind)."""
    import html

    from feedgenerator import get_tag_uri

    config = site.config
    feed = feeds.new_feed(
        site, renderer, url_path, feeds.feed_path(url_path), title, subtitle, renderer.absolute(url_path)
    )
    for article in sorted(articles, key=feeds._recency, reverse=True)[: feeds.MAX_ENTRIES]:
        link = renderer.absolute(article.url_path)
        feed.add_item(
            title=article.title,
            link=link,
            description=html.escape(article.summary, quote=False),
            content=feeds.absolute_links(article.body_html, link),
            author_name=", ".join(p.name for p in article.authors)
            or article.author
            or config.publisher
            or config.title,
            pubdate=article.date,
            updateddate=article.modified,
            unique_id=get_tag_uri(link, article.date),
            categories=[t.title for t in article.topics],
        )
    return feed.writeString("utf-8").encode("utf-8")
