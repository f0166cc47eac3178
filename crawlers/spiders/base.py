"""What every config-driven spider shares: requests, article pages, page records, failures.

A spider gets its `CrawlContext` as a spider argument (``context=...``); every selector,
domain and limit comes from the source's config, so a new site needs config, not code.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefused
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawlers.context import CrawlContext
from crawlers.distributed import IdleGuard
from crawlers.extract.dates import labelled_date, parse_date
from crawlers.extract.text import main_text, page_metadata
from crawlers.items import PageItem, PostItem
from crawlers.middlewares import DeniedUrl
from crawlers.select import date_candidates, first_text, joined_text, link_elements
from crawlers.urls import canonical_url
from pipeline.store.pages import CachedPage

log = logging.getLogger(__name__)

Callback = Callable[[Response], Any]


def body_hash(response: Response) -> str:
    return hashlib.sha1(response.body).hexdigest()


def failure_reason(failure: Failure) -> str:
    """A short name for why a request failed (the key of ``yuqing/errors/<reason>``)."""
    if failure.check(HttpError):
        return f"http_{getattr(getattr(failure.value, 'response', None), 'status', 'error')}"
    if failure.check(DeniedUrl):
        return "denied"
    message = str(failure.value).lower()
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(DNSLookupError, TxConnectionRefused):
        return "unreachable"
    if failure.check(IgnoreRequest):
        if "robots.txt" in message:
            return "robots"
        if "redirect" in message:
            return "redirect_loop"
        return "ignored"
    if failure.check(DownloadCancelledError, CancelledError) or "max size" in message:
        return "too_large"
    return type(failure.value).__name__.lower()


class YuqingSpider(Spider):
    """Base of the four source kinds; ``name`` is the source's name."""

    kind = "base"
    context: CrawlContext

    def __init__(self, *args: Any, context: CrawlContext, **kwargs: Any) -> None:
        kwargs["name"] = context.source.name
        super().__init__(*args, **kwargs)
        self.context = context
        self.source = context.source
        self.selectors = context.source.selectors  # a forum's preset fills it in (crawlers.forums)
        self.allowed_domains = context.source.domains()
        self.idle_guard: IdleGuard | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        queue_key = crawler.settings.get("SCHEDULER_QUEUE_KEY")
        if crawler.settings.get("REDIS_URL") and queue_key:
            spider.idle_guard = IdleGuard(crawler.settings["REDIS_URL"], queue_key,
                                          crawler.settings.getfloat("YUQING_IDLE_GRACE", 3.0))
            crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # --- life cycle -----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.page_request(url, self.parse_start)

    def parse_start(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError

    def on_idle(self, spider: Spider) -> None:
        if self.idle_guard is not None and self.idle_guard.should_stay_open():
            raise DontCloseSpider

    def on_closed(self, spider: Spider, reason: str) -> None:
        if self.idle_guard is not None:
            self.idle_guard.close()

    # --- requests -------------------------------------------------------------------------
    def count(self, key: str, amount: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"yuqing/{key}", amount)

    def page_request(self, url: str, callback: Callback, *, meta: dict[str, Any] | None = None,
                     conditional: bool = True, priority: int = 0) -> Request:
        """A request for a list, board or feed page: conditional when the page is cached."""
        full_meta = dict(meta or {})
        if conditional:
            full_meta["cache_url"] = canonical_url(url)
        return Request(url, callback=callback, errback=self.on_error, meta=full_meta, priority=priority)

    def detail_request(self, url: str, callback: Callback, *, meta: dict[str, Any] | None = None) -> Request:
        """A request for an article or thread page, at its canonical URL (so the duplicate
        filters, local or on Redis, see one page once however it was linked)."""
        return Request(canonical_url(url), callback=callback, errback=self.on_error, meta=dict(meta or {}), priority=1)

    def on_error(self, failure: Failure) -> None:
        """Count a failed request by reason; refusals by policy (denied URLs, robots.txt) are no errors."""
        reason = failure_reason(failure)
        url = getattr(getattr(failure, "request", None), "url", None)
        if reason in ("denied", "robots"):
            if reason == "robots":
                self.count("robots_denied")
            return
        self.count(f"errors/{reason}")
        log.warning("request failed (%s): %s", reason, url, extra={"source": self.source.name, "url": url})

    def links(self, response: TextResponse, spec: str | None) -> list[str]:
        """Absolute URLs a selector names on a page, in page order, without repeats."""
        if not spec:
            return []
        seen: set[str] = set()
        out: list[str] = []
        for href, _element in link_elements(response, spec):
            url = response.urljoin(href)
            if url.startswith(("http://", "https://")) and url not in seen:
                seen.add(url)
                out.append(url)
        return out

    def unknown(self, urls: Iterable[str]) -> list[str]:
        """The URLs whose canonical form is not stored yet (known detail pages are skipped)."""
        by_canonical = {canonical_url(u): u for u in urls}
        known = self.context.known(by_canonical)
        if known:
            self.count("skipped_known", len(known))
        return [url for canon, url in by_canonical.items() if canon not in known]

    def page_record(self, response: Response, **extra: Any) -> PageItem:
        """A page-cache record for ``response`` (validators, body hash, what to continue from)."""
        key = response.meta.get("cache_url") or canonical_url(response.url)
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        return PageItem(CachedPage(
            url=key, etag=etag.decode("latin-1") if etag else None,
            last_modified=modified.decode("latin-1") if modified else None,
            content_hash=body_hash(response), extra=extra, fetched_at=self.context.now(),
        ))

    def cached(self, response: Response) -> CachedPage | None:
        """The cached record when the server answered 304 Not Modified."""
        if response.status != 304:
            return None
        key = response.meta.get("cache_url") or canonical_url(response.url)
        return self.context.pages.get(key)

    # --- article pages --------------------------------------------------------------------
    def date_of(self, node: Any, spec: str | None) -> Any:
        now = self.context.now()
        for candidate in date_candidates(node, spec):
            found = parse_date(candidate, self.context.tz, now)
            if found is not None:
                return found
        return None

    def parse_article(self, response: Response) -> Iterator[Any]:
        """An article page → one post (selectors where given, automatic extraction otherwise)."""
        if not isinstance(response, TextResponse):
            self.count("dropped/not_html")
            return
        selectors = self.selectors
        meta: dict[str, Any] = response.meta.get("entry") or {}
        page_html = response.text
        auto = None if selectors.title and selectors.time and selectors.author else page_metadata(page_html,
                                                                                                  response.url)
        title = first_text(response, selectors.title) or (auto or {}).get("title") or meta.get("title") or \
            first_text(response, "title::text") or ""
        text = joined_text(response, selectors.body) if selectors.body else main_text(page_html, response.url)
        if not text:
            text = meta.get("text") or ""
        author = first_text(response, selectors.author) or (auto or {}).get("author") or meta.get("author")
        published = self.date_of(response, selectors.time)
        if published is None and not selectors.time:
            published = labelled_date(joined_text(response, "body"), self.context.tz, self.context.now())
        if published is None and auto and auto.get("date"):
            published = parse_date(auto["date"], self.context.tz, self.context.now())
        if published is None and meta.get("published"):
            published = parse_date(meta["published"], self.context.tz, self.context.now())
        url = response.meta.get("post_url") or canonical_url(response.url)
        yield PostItem(url=url, title=title, text=text, author=author, published_at=published)
