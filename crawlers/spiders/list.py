"""``kind: list`` — news or notice sites: list pages (paginated) → article pages.

A list page is always asked for (conditionally: a 304 continues from the cached links);
article links already stored are skipped, so an unchanged site costs its list pages only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawlers.spiders.base import YuqingSpider


class ListSpider(YuqingSpider):
    kind = "list"

    def parse_start(self, response: Response) -> Iterator[Any]:
        yield from self.parse_list(response)

    def parse_list(self, response: Response) -> Iterator[Any]:
        cached = self.cached(response)
        if cached is not None:
            self.count("pages_not_modified")
            links = list(cached.extra.get("links", []))
            next_pages = list(cached.extra.get("next", []))
        elif isinstance(response, TextResponse):
            links = self.links(response, self.source.selectors.links)
            next_pages = self.links(response, self.source.selectors.next_page)
        else:
            self.count("dropped/not_html")
            return
        self.count("items_seen", len(links))
        for url in self.unknown(links):
            yield self.detail_request(url, self.parse_article, meta={"post_url": self.canonical(url)})
        for url in next_pages:
            yield self.page_request(url, self.parse_list)
        if cached is None:
            yield self.page_record(response, kind="list", links=links, next=next_pages)

    @staticmethod
    def canonical(url: str) -> str:
        from crawlers.urls import canonical_url

        return canonical_url(url)
