"""Downloader middlewares: denied URLs, origin and address checks, retries with back-off,
conditional GETs, encodings. Every request passes the first two, robots.txt included."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import deferred_to_future
from twisted.internet.task import deferLater

from crawlers.extract.encoding import choose_encoding
from crawlers.origins import OriginPolicy

log = logging.getLogger(__name__)


class DeniedUrl(IgnoreRequest):
    """A login, search or posting URL (``crawl.deny_url_patterns``): never fetched."""


class DenyUrlsMiddleware:
    """Refuse URLs matching ``YUQING_DENY_PATTERNS`` and non-HTTP schemes, before any download."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.patterns = [re.compile(p) for p in crawler.settings.getlist("YUQING_DENY_PATTERNS")]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not request.url.startswith(("http://", "https://")) or any(p.search(request.url) for p in self.patterns):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("yuqing/denied")
            raise DeniedUrl(f"denied by crawl.deny_url_patterns: {request.url}")


class OriginMiddleware:
    """Keep a crawl on its source's origin (scheme, host, port; plus any ``allowed_domains``) and
    off loopback, private, link-local and multicast addresses (`crawlers.origins`). Redirects
    come back through here as new requests, so they are checked too."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.policy = OriginPolicy(settings.getlist("YUQING_START_URLS"), settings.getlist("YUQING_ALLOWED_DOMAINS"),
                                   allow_private=settings.getbool("YUQING_ALLOW_PRIVATE"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _refuse(self, reason: str, url: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"yuqing/dropped/{reason}")
        log.info("not fetched (%s): %s", reason, url)
        raise DeniedUrl(f"{reason}: {url}")

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not self.policy.same_site(request.url):
            self._refuse("offsite", request.url)
        if not await self.policy.public_enough(request.url):
            self._refuse("private_address", request.url)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry (5xx, 408, 429, timeouts, lost connections), waiting before each retry:
    ``YUQING_RETRY_BACKOFF`` seconds, doubled per attempt, at most a minute."""

    backoff: float = 1.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.backoff = crawler.settings.getfloat("YUQING_RETRY_BACKOFF", 1.0)
        return middleware

    async def _wait(self, retry: Request | None) -> None:
        if retry is None or self.backoff <= 0:
            return
        attempt = int(retry.meta.get("retry_times", 1))
        delay = min(60.0, self.backoff * 2 ** (attempt - 1))
        from twisted.internet import reactor  # the running one: never install a reactor at import

        await deferred_to_future(deferLater(reactor, delay, lambda: None))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result


class ConditionalGetMiddleware:
    """Send If-None-Match / If-Modified-Since for pages in the page cache.

    A request opts in with ``meta["cache_url"]`` (the canonical URL it is cached under); a
    304 answer reaches the spider, which continues from the cached record.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        key = request.meta.get("cache_url")
        owner = self.crawler.spider
        if not key or owner is None:
            return
        context = getattr(owner, "context", None)
        cached = context.pages.get(key) if context is not None else None
        if not cached:
            return
        if cached.etag:
            request.headers.setdefault(b"If-None-Match", cached.etag.encode("latin-1", "replace"))
        if cached.last_modified:
            request.headers.setdefault(b"If-Modified-Since", cached.last_modified.encode("latin-1", "replace"))
        statuses = list(request.meta.get("handle_httpstatus_list", []))
        if 304 not in statuses:
            request.meta["handle_httpstatus_list"] = [*statuses, 304]


class EncodingMiddleware:
    """Decode HTML pages by config, then HTTP header, meta tag, detection (GB labels as GB18030)."""

    def __init__(self, crawler: Crawler) -> None:
        self.configured = crawler.settings.get("YUQING_ENCODING", "auto")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        encoding = choose_encoding(response.body, content_type, self.configured)
        if encoding == response.encoding:
            return response
        return response.replace(encoding=encoding)
