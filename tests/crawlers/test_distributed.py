"""Distributed mode: two crawl processes share one site through Redis; no page is fetched twice."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from pipeline.crawl import crawl_source
from tests.crawlers.conftest import article, list_page, news_source, stored_posts, write_config
from tests.crawlers.site import Site

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_two_workers_share_one_site(blank_site: Site, redis_url: str, sqlite_url: str, tmp_path: Path) -> None:
    links = [f"/news/{i}.html" for i in range(48)]
    blank_site.add("/news/", list_page(links[:24], "/news/?page=2"))
    blank_site.add("/news/?page=2", list_page(links[24:]))
    for i, link in enumerate(links):
        # Each page takes the server a moment and each worker fetches one at a time, so one
        # worker alone would need ~40 s: the other joins (process start plus scrapy-redis's
        # idle heartbeat, up to ~10 s on a loaded machine) while most of the queue is left.
        blank_site.add(link, article(f"第{i}篇", "2024-03-05", f"正文{i}"), delay=0.8)
    config, path = write_config(tmp_path, sqlite_url, [news_source(blank_site)], redis_url=redis_url,
                                concurrency_per_domain=1)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: crawl_source(config, path, "news"), range(2)))

    assert [r.status for r in runs] == ["ok", "ok"], [r.message for r in runs]
    fetched = Counter(p for p in blank_site.requests if p != "/robots.txt")
    assert max(fetched.values()) == 1, [p for p, n in fetched.items() if n > 1]
    assert set(fetched) == {"/news/", "/news/?page=2", *links}
    assert len(stored_posts(sqlite_url)) == 48
    assert sum(r.new_posts for r in runs) == 48
    assert all(r.pages > 1 for r in runs), [r.pages for r in runs]  # both workers did a share
    client = redis.Redis.from_url(redis_url)
    assert list(client.scan_iter("yuqing:crawl:news:*")) == []  # the last worker out cleaned up
