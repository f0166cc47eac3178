"""A list source against the fixture site, through `crawl_source` (a real child process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from pipeline.config import default_config
from pipeline.crawl import crawl_source
from pipeline.db import make_engine, session_factory
from pipeline.models import CrawlRun, Post
from pipeline.retention import apply_retention
from tests.crawlers.conftest import article, list_page, news_source, stored_posts, write_config
from tests.crawlers.site import Site

CST = timedelta(hours=8)


def test_list_site_first_crawl_then_incremental(news_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    config, path = write_config(tmp_path, sqlite_url, [news_source(news_site)], timeout="0.5s", retries=2)
    first = crawl_source(config, path, "news")

    assert first.status == "ok", first.message
    posts = stored_posts(sqlite_url)
    by_path = {url.removeprefix(news_site.base): p for url, p in posts.items()}
    # canonical URLs: tracking parameters and fragments gone, a1 stored once though linked twice
    assert set(by_path) == {"/news/a1.html", "/news/a2.html", "/news/a3.html", "/gbk/g1.html", "/gbk/g2.html",
                            "/gbk/g3.html", "/big5/b1.html", "/news/broken.html", "/news/flaky.html"}
    a1 = by_path["/news/a1.html"]
    assert a1.title == "生育登记新规发布"
    assert a1.author == "张三"
    assert a1.published_at == datetime(2024, 3, 5, 10, 32, tzinfo=UTC) - CST
    assert "生育登记全面放开" in a1.text
    for post in posts.values():  # clean text: no scripts, styles, navigation or footer
        assert "不要抓取的脚本" not in post.text and "color: red" not in post.text
        assert "导航菜单" not in post.text and "网站页脚" not in post.text
    assert by_path["/news/a2.html"].published_at == datetime(2024, 3, 6, tzinfo=UTC) - CST
    assert by_path["/news/a2.html"].author == "李四"
    a3_time = by_path["/news/a3.html"].published_at
    assert a3_time is not None and abs(datetime.now(UTC) - timedelta(minutes=3) - a3_time) < timedelta(minutes=2)
    # encodings: GBK by header, GB2312 label (really GB18030) by meta, GB18030 by detection, Big5 by meta
    assert by_path["/gbk/g1.html"].title == "计划生育奖励扶助金发放"
    assert "奖励扶助金按时足额发放到位" in by_path["/gbk/g1.html"].text
    assert by_path["/gbk/g2.html"].title == "独生子女父母奖励通知"
    assert by_path["/gbk/g3.html"].title == "出生人口监测报告㐀"
    assert by_path["/big5/b1.html"].title == "生育津貼發放說明"
    assert by_path["/news/broken.html"].title == "残缺的页面标题"
    assert "这个页面的标签没有闭合" in by_path["/news/broken.html"].text
    assert by_path["/news/broken.html"].published_at == datetime(2024, 3, 11, 16, 0, tzinfo=UTC) - CST
    # politeness: robots.txt obeyed, login/search never fetched, other domains left alone
    assert news_site.fetched("/private/secret.html") == 0
    assert not any(p.startswith(("/login", "/search")) for p in news_site.requests)
    user_agents = {h.get("user-agent") for h in news_site.headers_seen}
    assert user_agents == {"yuqing/0.1 (public-opinion monitor; +crawler-test@example.org)"}
    # a 500 that recovers: retried until it answered
    assert news_site.fetched("/news/flaky.html") == 3
    # the slow page timed out (retried), huge pages and a redirect loop were given up
    assert news_site.fetched("/news/slow.html") == 3
    assert first.error_reasons.get("timeout") == 1
    assert first.error_reasons.get("too_large") == 2
    assert news_site.fetched("/loop/a") == 1 and news_site.fetched("/loop/b") == 1  # a loop is not followed
    assert first.new_posts == 9 and first.updated_posts == 0

    # unchanged site: list pages only, asked conditionally (304), no article fetched again
    news_site.clear_log()
    second = crawl_source(config, path, "news")
    assert second.status == "ok"
    assert second.new_posts == 0
    article_requests = [p for p in news_site.requests if p not in ("/robots.txt", "/news/", "/news/?page=2")]
    assert sorted(article_requests) == ["/loop/a", "/loop/b", "/news/huge-stream.html", "/news/huge.html",
                                        "/news/slow.html", "/news/slow.html", "/news/slow.html"]
    # (pages that failed last time are tried again; stored ones never)
    list_headers = [h for p, h in zip(news_site.requests, news_site.headers_seen, strict=True) if p == "/news/"]
    assert list_headers[0].get("if-none-match") == '"list-1-v1"'
    assert second.stats["not_modified"] == 2

    # a new article on the first list page is picked up by the next crawl
    news_site.add("/news/a4.html", article("生育保险待遇调整", "2024年3月15日 08:00", "生育保险待遇提高。"))
    news_site.add("/news/", list_page(["/news/a4.html", "/news/a1.html"], "/news/?page=2"), etag='"list-1-v2"')
    news_site.clear_log()
    third = crawl_source(config, path, "news")
    assert third.new_posts == 1
    assert news_site.fetched("/news/a4.html") == 1 and news_site.fetched("/news/a1.html") == 0
    assert stored_posts(sqlite_url)[news_site.url("/news/a4.html")].title == "生育保险待遇调整"

    engine = make_engine(sqlite_url)
    with session_factory(engine)() as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    engine.dispose()
    assert [r.status for r in runs] == ["ok", "ok", "ok"]
    assert [r.new_posts for r in runs] == [9, 0, 1]
    assert runs[0].pages > runs[1].pages


def test_posts_retention_deleted_are_not_crawled_again(blank_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    site = blank_site
    site.add("/news/", list_page(["/news/old.html"]))
    site.add("/news/old.html", article("两年前的育儿补贴通知", "2024-03-06", "每孩每年补贴三千六百元。"))
    config, path = write_config(tmp_path, sqlite_url, [news_source(site)], timeout="2s")
    assert crawl_source(config, path, "news").new_posts == 1
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    now = datetime.now(UTC)
    with factory() as session, session.begin():  # processed long ago
        session.execute(update(Post).values(fetched_at=now - timedelta(days=800), processed_at=now))
    assert apply_retention(factory, default_config(tmp_path, retention={"posts": "730d"}), now=now).posts == 1
    engine.dispose()

    # the list still links the old article (as sitemaps and archives do for years), and a new one
    site.add("/news/", list_page(["/news/old.html", "/news/new.html"]))
    site.add("/news/new.html", article("今日生育登记新规", "2026-11-26", "生育登记全面放开。"))
    again = crawl_source(config, path, "news")

    assert again.status == "ok", again.message
    assert again.new_posts == 1
    assert [url.removeprefix(site.base) for url in stored_posts(sqlite_url)] == ["/news/new.html"]
    assert site.fetched("/news/old.html") == 1  # not even fetched again
