"""``kind: list`` — news or notice sites: list pages (paginated) → article pages.

A list page is always asked for (conditionally: a 304 continues from the cached links);
article links already stored are skipped, so an unchanged site costs its list pages only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawlers.discover import find_list_block, find_next_page
from crawlers.spiders.base import YuqingSpider

log = logging.getLogger(__name__)


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
            links, next_pages = self.list_links(response)
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

    def list_links(self, response: TextResponse) -> tuple[list[str], list[str]]:
        """Article links and next pages: by the selectors given, found automatically otherwise."""
        selectors = self.selectors
        root = response.selector.root
        if selectors.links:
            links = self.links(response, selectors.links)
        else:
            block = find_list_block(root, response.url)
            links = block.links if block is not None else []
            if block is None:
                self.count("auto/no_list_block")
                log.warning("no block of article links found at %s: write selectors.links", response.url,
                            extra={"source": self.source.name})
        if selectors.next_page:
            next_pages = self.links(response, selectors.next_page)
        else:
            found = find_next_page(root, response.url, response.text)
            next_pages = [found] if found else []
        return links, next_pages

    @staticmethod
    def canonical(url: str) -> str:
        from crawlers.urls import canonical_url

        return canonical_url(url)
