"""One config-driven spider per source kind."""

from __future__ import annotations

from crawlers.spiders.base import YuqingSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.forum import ForumSpider
from crawlers.spiders.list import ListSpider
from crawlers.spiders.sitemap import SitemapSpider

SPIDERS: dict[str, type[YuqingSpider]] = {
    "list": ListSpider,
    "forum": ForumSpider,
    "feed": FeedSpider,
    "sitemap": SitemapSpider,
}


def spider_for(kind: str) -> type[YuqingSpider]:
    """The spider class of a source kind (``import`` sources are not crawled)."""
    try:
        return SPIDERS[kind]
    except KeyError:
        raise ValueError(f"sources of kind {kind!r} are not crawled") from None
