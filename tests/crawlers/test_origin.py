"""Crawls stay on their source's origin and off private addresses (links, redirects, robots.txt),
and feed links that are not http(s) are dropped with a counted reason."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawlers.middlewares import DeniedUrl, OriginMiddleware
from pipeline.crawl import crawl_source
from tests.crawlers.conftest import article, list_page, news_source, stored_posts, write_config
from tests.crawlers.site import Site, serve


@pytest.fixture
def other_site() -> Iterator[Site]:
    site = Site()
    with serve(site):
        yield site


def test_links_to_another_port_or_a_private_address_are_not_fetched(
        blank_site: Site, other_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    site = blank_site
    other_site.add("/secret.html", article("另一端口的秘密", "2024-03-05", "不应抓取。"))
    other_site.add("/moved.html", article("跳转过来的秘密", "2024-03-05", "不应抓取。"))
    site.add("/news/", list_page(["/news/a.html", other_site.url("/secret.html"), "/news/jump.html",
                                  "http://169.254.169.254/latest/meta-data/"]))
    site.add("/news/a.html", article("本站文章", "2024-03-05", "本站的正文。"))
    site.add("/news/jump.html", b"", status=302, headers={"Location": other_site.url("/moved.html")})
    # listing the metadata address's "domain" lets it past the origin check: the address check refuses it
    source = news_source(site, allowed_domains=["127.0.0.1", "169.254.169.254"])
    config, path = write_config(tmp_path, sqlite_url, [source], timeout="2s")
    outcome = crawl_source(config, path, "news")
    assert outcome.status == "ok", outcome.message
    assert list(stored_posts(sqlite_url)) == [site.url("/news/a.html")]
    assert other_site.requests == [], "nothing on the other port was requested, not even robots.txt"
    assert outcome.dropped.get("offsite") == 2
    assert outcome.dropped.get("private_address") == 1


def _middleware(source: dict[str, object]) -> OriginMiddleware:
    settings = {"YUQING_START_URLS": source["start_urls"], "YUQING_ALLOWED_DOMAINS": source.get("allowed_domains", []),
                "YUQING_ALLOW_PRIVATE": source.get("allow_private", False)}
    return OriginMiddleware(get_crawler(settings_dict=settings))


def _check(mw: OriginMiddleware, url: str) -> bool:
    try:
        asyncio.run(mw.process_request(Request(url)))
    except DeniedUrl:
        return False
    return True


def test_public_sources_never_reach_private_addresses() -> None:
    mw = _middleware({"start_urls": ["http://93.184.216.34/news/"], "allowed_domains": ["93.184.216.34", "10.1.2.3"]})
    assert _check(mw, "http://93.184.216.34/news/a.html")
    assert _check(mw, "https://93.184.216.34/news/a.html"), "the same host over https is the same site"
    assert not _check(mw, "http://93.184.216.34:8080/a.html")
    assert not _check(mw, "http://10.1.2.3/a.html"), "listed, but a private address"
    assert not _check(mw, "http://127.0.0.1/robots.txt")
    assert not _check(mw, "http://93.184.216.34:9000/robots.txt")
    assert not _check(mw, "ftp://93.184.216.34/robots.txt")
    assert not _check(mw, "http://[fe80::1]/x")


def test_allow_private_and_local_test_sites() -> None:
    allowed = _middleware({"start_urls": ["http://93.184.216.34/"], "allowed_domains": ["10.1.2.3"],
                           "allow_private": True})
    assert _check(allowed, "http://10.1.2.3/a.html")
    local = _middleware({"start_urls": ["http://127.0.0.1:8000/"]})
    assert _check(local, "http://127.0.0.1:8000/robots.txt")
    assert not _check(local, "http://127.0.0.1:8001/robots.txt")


BAD = ["javascript:alert(document.domain)//a", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="]


def test_a_feed_with_script_links_stores_none_of_them(blank_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    site = blank_site
    items = "".join(f"<item><title>条目{i}</title><link>{link}</link><description>生育补贴{i}</description></item>"
                    for i, link in enumerate([*BAD, site.url("/p/ok.html")]))
    site.add("/rss.xml", f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
             f"{items}</channel></rss>", content_type="application/rss+xml; charset=utf-8")
    config, path = write_config(tmp_path, sqlite_url, [
        {"name": "feed", "kind": "feed", "start_urls": [site.url("/rss.xml")]}])
    outcome = crawl_source(config, path, "feed")
    assert outcome.status == "ok", outcome.message
    assert list(stored_posts(sqlite_url)) == [site.url("/p/ok.html")]
    assert outcome.dropped.get("bad_scheme") == 2
