"""Scrapy settings, built in this one place from the validated `Config` and the source.

Nothing else in the crawler reads settings from a file or the environment; components get
what they need from these settings through ``from_crawler``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from pipeline.config import Config, SourceConfig

BATCH_SIZE = 500  # rows per transaction (FIELD-NOTES: ~0.95 of a bare spider's speed)
REDIS_IDLE_GRACE_S = 3.0  # a distributed worker closes after the shared queue is empty this long

ITEM_PIPELINES = {
    "crawlers.pipelines.CleanPipeline": 100,
    "crawlers.pipelines.DedupPipeline": 200,
    "crawlers.pipelines.StorePipeline": 900,
}
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.DenyUrlsMiddleware": 40,
    "crawlers.middlewares.OriginMiddleware": 45,
    "crawlers.middlewares.EncodingMiddleware": 120,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    "crawlers.middlewares.ConditionalGetMiddleware": 560,
}


def build_settings(config: Config, source: SourceConfig, *, stats_file: Path | None = None,
                   log_level: str = "INFO", extra: dict[str, Any] | None = None) -> Settings:
    """Every Scrapy setting of one crawl of ``source``."""
    crawl = config.crawl
    values: dict[str, Any] = {
        "BOT_NAME": "yuqing",
        "USER_AGENT": crawl.resolved_user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_DELAY": crawl.download_delay,
        # one source, few domains: a worker takes from a shared queue only what it can fetch now
        "CONCURRENT_REQUESTS": crawl.concurrency_per_domain * max(1, len(source.domains())),
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "CONCURRENT_ITEMS": 4,  # our pipelines are synchronous: more only costs asyncio tasks per page
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 1.0),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.timeout.total_seconds(),
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "YUQING_RETRY_BACKOFF": crawl.retry_backoff.total_seconds(),
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": 10,
        "METAREFRESH_ENABLED": True,
        "COOKIES_ENABLED": False,  # public pages only: never log in, never keep a session
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # no control port on a crawl worker
        "CLOSESPIDER_PAGECOUNT": source.max_pages,
        "LOG_LEVEL": log_level,
        "LOGSTATS_INTERVAL": 60.0,
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
        },
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "EXTENSIONS": {"crawlers.stats.StatsFile": 500},
        "YUQING_DENY_PATTERNS": list(crawl.deny_url_patterns),
        "YUQING_START_URLS": list(source.start_urls),
        "YUQING_ALLOWED_DOMAINS": list(source.allowed_domains),
        "YUQING_ALLOW_PRIVATE": source.allow_private,
        "YUQING_ENCODING": source.encoding,
        "YUQING_BATCH_SIZE": BATCH_SIZE,
        "YUQING_FLUSH_SECONDS": 5.0,
        "YUQING_STATS_FILE": str(stats_file) if stats_file else None,
        "YUQING_IDLE_GRACE": REDIS_IDLE_GRACE_S,
    }
    values.update(extra or {})
    settings = Settings()
    settings.setdict(values, priority="project")
    return settings
