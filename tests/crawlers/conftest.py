"""Crawler fixtures: the news fixture site, configs written to disk, crawl helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Config, load_config
from pipeline.db import make_engine, session_factory
from pipeline.models import Post
from tests.crawlers.site import Page, Site, html_page, serve

FAST_CRAWL: dict[str, Any] = {
    "download_delay": 0, "autothrottle": False, "concurrency_per_domain": 8, "timeout": "5s",
    "retries": 2, "retry_backoff": "0.05s", "max_page_bytes": 1048576, "run_time_limit": "60s",
    "contact": "crawler-test@example.org",
}

FILLER = ("这是一段用于测试的正文内容，讲述了本市卫生健康委员会关于生育政策的最新通知，"
          "包括生育登记、育儿补贴和生育保险等方面的具体安排，请广大市民仔细阅读并相互转告。")


def article(title: str, when: str, body: str, *, author: str = "张三", charset: str | None = None) -> str:
    """An article page as a typical news site renders it (navigation, scripts, a footer)."""
    return html_page(title, f"""
<nav class="menu"><a href="/news/">首页</a> <a href="/news/">新闻中心</a> 导航菜单</nav>
<header class="top">网站页眉 热点推荐</header>
<div class="main">
  <h1>{title}</h1>
  <div class="byline">来源：市卫健委 作者：<a class="author">{author}</a> 发布时间：{when}</div>
  <div class="article">
    <script>var tracker = "不要抓取的脚本";</script>
    <style>.x {{ color: red }}</style>
    <p>{body}</p>
    <p>{FILLER}</p>
    <p>{FILLER[::-1]}</p>
  </div>
</div>
<footer>版权所有 网站页脚</footer>""", charset_meta=charset)


def list_page(links: list[str], next_href: str | None = None, *, extra: str = "") -> str:
    items = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    nxt = f'<a class="next" href="{next_href}">下一页</a>' if next_href else ""
    return html_page("新闻列表", f'<ul class="list">{items}</ul>{extra}<div class="pager">{nxt}</div>')


def build_news_site(site: Site) -> None:
    add = site.add
    add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    add("/news/", list_page([
        "/news/a1.html?utm_source=weibo&from=timeline", "/news/a2.html#comments", "/news/a3.html",
        "/gbk/g1.html", "/gbk/g2.html", "/gbk/g3.html", "/big5/b1.html",
        "/private/secret.html", "/login?next=/news/", "/search?q=生育", "http://other.example.com/x.html",
    ], "/news/?page=2"), etag='"list-1-v1"')
    add("/news/?page=2", list_page([
        "/news/a1.html", "/news/broken.html", "/news/flaky.html", "/news/slow.html", "/news/huge.html",
        "/news/huge-stream.html", "/loop/a",
    ]), etag='"list-2-v1"')
    add("/news/a1.html", article("生育登记新规发布", "2024年3月5日 10:32", "生育登记全面放开，无需审批。"))
    add("/news/a2.html", article("育儿补贴标准公布", "2024-03-06", "每孩每年补贴三千六百元。", author="李四"))
    add("/news/a3.html", article("三孩政策解读会召开", "3分钟前", "专家解读三孩配套措施。"))
    gbk_body = article("计划生育奖励扶助金发放", "2024年3月7日 09:00", "奖励扶助金按时足额发放到位。")
    add("/gbk/g1.html", gbk_body.encode("gbk"), content_type="text/html; charset=GBK")
    gb2312 = article("独生子女父母奖励通知", "2024年3月8日 08:15", "独生子女父母奖励继续执行。", charset="gb2312")
    add("/gbk/g2.html", gb2312.encode("gb18030"), content_type="text/html")
    add("/gbk/g3.html", article("出生人口监测报告㐀", "2024年3月9日 11:00",
                                "出生人口监测显示出生性别比趋于正常。").encode("gb18030"),
        content_type="text/html")
    big5 = html_page("生育津貼", "<nav>網站導航</nav><h1>生育津貼發放說明</h1><div class='byline'>作者："
                     "<a class='author'>陳大文</a> 2024年3月10日 14:20</div><div class='article'><p>"
                     + "生育津貼按月發放，請各位市民留意相關通知並準備好申請材料。" * 6 + "</p></div>",
                     charset_meta="big5")
    add("/big5/b1.html", big5.encode("big5"), content_type="text/html")
    add("/private/secret.html", article("不应抓取", "2024-03-01", "robots.txt 禁止的页面。"))
    add("/news/broken.html", "<html><head><title>残缺页面</title><body><h1>残缺的页面标题</h1><div class='byline'>"
        "2024年3月11日 16:00<div class=article><p>这个页面的标签没有闭合<p>" + FILLER + "<table><tr><td>单元格")
    add("/news/flaky.html", article("服务器恢复后的文章", "2024-03-12 09:30", "先报错两次再恢复。"), fail_first=2)
    add("/news/slow.html", article("很慢的页面", "2024-03-13", "这个页面太慢。"), delay=3.0)
    add("/news/huge.html", b"<html><body>" + b"x" * (50 * 1024 * 1024) + b"</body></html>")
    site.pages["/news/huge-stream.html"] = Page(b"", stream_bytes=50 * 1024 * 1024)
    site.pages["/loop/a"] = Page(b"", status=302, headers={"Location": "/loop/b"})
    site.pages["/loop/b"] = Page(b"", status=302, headers={"Location": "/loop/a"})


@pytest.fixture
def news_site() -> Iterator[Site]:
    site = Site()
    build_news_site(site)
    with serve(site):
        yield site


@pytest.fixture
def blank_site() -> Iterator[Site]:
    site = Site()
    with serve(site):
        yield site


def news_source(site: Site, name: str = "news", **overrides: Any) -> dict[str, Any]:
    source = {
        "name": name, "kind": "list", "start_urls": [site.url("/news/")],
        "selectors": {"links": "ul.list a::attr(href)", "next_page": "a.next::attr(href)", "title": "h1",
                      "author": ".byline a.author::text", "time": ".byline"},
    }
    source.update(overrides)
    return source


def write_config(folder: Path, db_url: str, sources: list[dict[str, Any]], **crawl: Any) -> tuple[Config, Path]:
    path = folder / "config.yaml"
    data = {"storage": {"url": db_url}, "crawl": {**FAST_CRAWL, **crawl}, "sources": sources}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_config(path), path


def stored_posts(db_url: str) -> dict[str, Post]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return {p.url: p for p in _all_posts(session)}
    finally:
        engine.dispose()


def _all_posts(session: Session) -> list[Post]:
    return list(session.scalars(select(Post).order_by(Post.id)))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The local Redis (a test database), emptied of this project's crawl keys."""
    import redis

    from tests.conftest import REDIS_URL, _unavailable

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable("Redis at 127.0.0.1:6379", str(exc))
    for key in client.scan_iter("yuqing:crawl:*"):
        client.delete(key)
    yield REDIS_URL
    for key in client.scan_iter("yuqing:crawl:*"):
        client.delete(key)
    client.close()
