"""Item pipelines: clean → de-duplicate → store in batches.

Every drop is `DropItem("reason")` with a stats counter ``yuqing/dropped/<reason>``. The store
writes ``YUQING_BATCH_SIZE`` (≈500) items per transaction: a commit per item costs most of
the crawl's throughput (FIELD-NOTES).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task

from crawlers.context import CrawlContext
from crawlers.extract.text import normalise_text
from crawlers.items import PageItem, PostItem
from pipeline.exceptions import YuqingError
from pipeline.store.pages import CachedPage
from pipeline.store.posts import PostIn

log = logging.getLogger(__name__)

MAX_URL = 2048
MAX_AUTHOR = 256
MAX_TITLE = 1000


class Dropped(DropItem):
    """A DropItem that counts itself: ``yuqing/dropped/<reason>``."""

    def __init__(self, crawler: Crawler, reason: str, detail: str = "") -> None:
        assert crawler.stats is not None
        crawler.stats.inc_value(f"yuqing/dropped/{reason}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class _Component:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class CleanPipeline(_Component):
    """Normalise whitespace; a post needs text and a URL of sane length."""

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, PostItem):
            return item
        item.text = normalise_text(item.text or "")
        item.title = normalise_text(item.title or "").replace("\n", " ")[:MAX_TITLE]
        if item.author is not None:
            item.author = normalise_text(item.author).replace("\n", " ")[:MAX_AUTHOR] or None
        if not item.text:
            raise Dropped(self.crawler, "no_text", item.url)
        if len(item.url) > MAX_URL:
            raise Dropped(self.crawler, "url_too_long", item.url[:100])
        if not item.title:
            item.title = item.text.split("\n", 1)[0][:80]
        return item


class DedupPipeline(_Component):
    """Within one run: the same canonical URL once; for articles, the same content once."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.urls: set[str] = set()
        self.contents: set[bytes] = set()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, PostItem):
            return item
        if item.url in self.urls:
            raise Dropped(self.crawler, "duplicate_url", item.url)
        self.urls.add(item.url)
        if item.thread_url is None:  # two forum replies may well say the same thing
            digest = hashlib.sha1(f"{item.title}\n{item.text}".encode()).digest()
            if digest in self.contents:
                raise Dropped(self.crawler, "duplicate_content", item.url)
            self.contents.add(digest)
        return item


class StorePipeline(_Component):
    """Hand posts (and page-cache records) to `pipeline.store` in batches."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.batch_size = crawler.settings.getint("YUQING_BATCH_SIZE", 500)
        self.flush_every = crawler.settings.getfloat("YUQING_FLUSH_SECONDS", 5.0)
        self.posts: list[PostIn] = []
        self.pages: list[CachedPage] = []
        self.loop: task.LoopingCall | None = None

    @property
    def context(self) -> CrawlContext:
        spider = self.crawler.spider
        assert spider is not None
        context: CrawlContext = spider.context  # type: ignore[attr-defined]
        return context

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.flush_every > 0:
            self.loop = task.LoopingCall(self.flush)
            self.loop.start(self.flush_every, now=False)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.flush()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, PageItem):
            self.pages.append(item.page)
        elif isinstance(item, PostItem):
            self.posts.append(PostIn(
                source=self.context.source.name, url=item.url, title=item.title, text=item.text,
                author=item.author, published_at=item.published_at, thread_url=item.thread_url,
                floor=item.floor, fetched_at=self.context.now(), extra=item.extra,
            ))
        if len(self.posts) + len(self.pages) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.posts and not self.pages:
            return
        posts, pages = self.posts, self.pages
        self.posts, self.pages = [], []
        stats = self.crawler.stats
        assert stats is not None
        try:
            result = self.context.store(posts, pages)
        except (SQLAlchemyError, YuqingError) as exc:
            stats.inc_value("yuqing/errors/store", len(posts) or 1)
            log.error("could not store a batch of %d posts: %s", len(posts), exc,
                      extra={"source": self.context.source.name})
            return
        stats.inc_value("yuqing/new_posts", result.new)
        stats.inc_value("yuqing/updated_posts", result.updated)
        stats.inc_value("yuqing/unchanged_posts", result.unchanged)
        stats.inc_value("yuqing/batches")
        log.debug("stored batch", extra={"source": self.context.source.name, "new": result.new,
                                         "updated": result.updated, "pages": len(pages)})
