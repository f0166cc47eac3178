"""The crawl's figures, written to a JSON file the parent process reads.

Written after every item batch (every few seconds) and at the end, atomically, so a crawl
stopped at its time limit still reports what it did. `summarise` turns Scrapy's stats into
the figures of a crawl run (pages, requests, new/updated posts, drops and errors by reason).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

log = logging.getLogger(__name__)

DROP_PREFIX = "yuqing/dropped/"
ERROR_PREFIX = "yuqing/errors/"


def summarise(stats: dict[str, Any], *, finished: bool, reason: str | None = None) -> dict[str, Any]:
    """The figures of a run from Scrapy's stats."""
    dropped = {k[len(DROP_PREFIX):]: int(v) for k, v in stats.items() if k.startswith(DROP_PREFIX)}
    errors = {k[len(ERROR_PREFIX):]: int(v) for k, v in stats.items() if k.startswith(ERROR_PREFIX)}
    return {
        "finished": finished,
        "finish_reason": reason,
        "pages": int(stats.get("response_received_count", 0)),
        "requests": int(stats.get("downloader/request_count", 0)),
        "not_modified": int(stats.get("downloader/response_status_count/304", 0)),
        "new_posts": int(stats.get("yuqing/new_posts", 0)),
        "updated_posts": int(stats.get("yuqing/updated_posts", 0)),
        "unchanged_posts": int(stats.get("yuqing/unchanged_posts", 0)),
        "items_seen": int(stats.get("yuqing/items_seen", 0)),
        "items_scraped": int(stats.get("item_scraped_count", 0)),
        "skipped_known": int(stats.get("yuqing/skipped_known", 0)),
        "threads_unchanged": int(stats.get("yuqing/threads_unchanged", 0)),
        "denied": int(stats.get("yuqing/denied", 0)),
        "robots_denied": int(stats.get("yuqing/robots_denied", 0)),
        "elapsed_s": float(stats.get("elapsed_time_seconds", 0.0)),
        "dropped": dropped,
        "errors": sum(errors.values()),
        "error_reasons": errors,
    }


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
    os.replace(tmp, path)


class StatsFile:
    """Extension: keep ``YUQING_STATS_FILE`` up to date with `summarise` of the stats."""

    def __init__(self, crawler: Crawler, path: Path, every: float) -> None:
        self.crawler = crawler
        self.path = path
        self.loop = task.LoopingCall(self.write)
        self.every = every

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("YUQING_STATS_FILE")
        if not path:
            raise NotConfigured("no YUQING_STATS_FILE")
        ext = cls(crawler, Path(path), crawler.settings.getfloat("YUQING_FLUSH_SECONDS", 5.0) or 5.0)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Spider) -> None:
        self.write()
        self.loop.start(self.every, now=False)

    def write(self, *, finished: bool = False, reason: str | None = None) -> None:
        assert self.crawler.stats is not None
        data = summarise(self.crawler.stats.get_stats(), finished=finished, reason=reason)
        try:
            write_json_atomic(self.path, data)
        except OSError as exc:
            log.warning("cannot write crawl stats to %s: %s", self.path, exc)

    def closed(self, spider: Spider, reason: str) -> None:
        if self.loop.running:
            self.loop.stop()
        # closing stats are recorded after spider_closed; count what we have now
        self.write(finished=True, reason=reason)
