"""``kind: sitemap`` — sitemap.xml (and sitemap indexes): URLs matching ``url_pattern`` and
modified within ``lookback`` (entries without a date are kept) → article pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawlers.extract.dates import parse_date
from crawlers.spiders.base import YuqingSpider
from crawlers.urls import canonical_url

_MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class SitemapSpider(YuqingSpider):
    kind = "sitemap"

    def parse_start(self, response: Response) -> Iterator[Any]:
        yield from self.parse_sitemap(response)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if self.cached(response) is not None:
            self.count("pages_not_modified")
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=_MAX_SITEMAP_BYTES)
        try:
            sitemap = Sitemap(body)
        except (ValueError, SyntaxError):
            self.count("errors/bad_sitemap")
            return
        pattern = re.compile(self.source.url_pattern) if self.source.url_pattern else None
        since = self.context.now() - self.source.lookback if self.source.lookback else None
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                yield self.page_request(response.urljoin(entry["loc"]), self.parse_sitemap)
            return
        wanted: list[str] = []
        for entry in sitemap:
            url = response.urljoin(entry.get("loc", ""))
            if pattern is not None and not pattern.search(url):
                continue
            if since is not None and entry.get("lastmod"):
                modified = parse_date(entry["lastmod"], self.context.tz, self.context.now())
                if modified is not None and modified < since:
                    continue
            wanted.append(url)
        self.count("items_seen", len(wanted))
        for url in self.unknown(wanted):
            yield self.detail_request(url, self.parse_article, meta={"post_url": canonical_url(url)})
        yield self.page_record(response, kind="sitemap")
