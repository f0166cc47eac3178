"""Sources added by config alone: a site these tests never saw, a feed, a sitemap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.crawl import crawl_source
from tests.crawlers.conftest import article, stored_posts, write_config
from tests.crawlers.site import Site

TAIPEI = timedelta(hours=8)


def _board_page(rows: list[tuple[str, str, str]], next_href: str | None) -> bytes:
    """A county notice board in Big5 as such sites are: tables, no classes on the links."""
    trs = "".join(f"<tr><td class=t><a href='{href}' target=_blank>{title}</a></td><td>{when}</td></tr>"
                  for href, title, when in rows)
    pager = f"<p align=center><a href='{next_href}'>下一頁</a></p>" if next_href else ""
    html = (f"<html><head><meta http-equiv=Content-Type content='text/html; charset=big5'><title>公告</title></head>"
            f"<body><table id=notice>{trs}</table>{pager}<div id=ft>聯絡我們</div></body></html>")
    return html.encode("big5")


def _notice(title: str, who: str, when: str, body: str) -> bytes:
    html = (f"<html><head><meta charset=big5><title>{title} - 衛生局</title></head><body>"
            f"<table><tr><td><font size=4><b>{title}</b></font></td></tr>"
            f"<tr><td>發布單位：<span>{who}</span>　日期：{when}</td></tr>"
            f"<tr><td id=content><p>{body}</p><script>alert('廣告')</script></td></tr></table></body></html>")
    return html.encode("big5")


def test_a_new_site_by_config_alone(blank_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    site = blank_site
    site.add("/bulletin/list.asp?page=1", _board_page([
        ("view.asp?id=101", "生育津貼申請公告", "03-05 10:32"),
        ("view.asp?id=102&sid=abc&utm_campaign=x", "育兒補助說明", "昨天 08:15"),
    ], "list.asp?page=2"), content_type="text/html")
    site.add("/bulletin/list.asp?page=2", _board_page([("view.asp?id=103", "產檢補助延長", "2024/12/30")], None),
             content_type="text/html")
    site.add("/bulletin/view.asp?id=101", _notice("生育津貼申請公告", "婦幼科", "2025-03-05 10:32",
                                                  "即日起受理生育津貼申請。"), content_type="text/html")
    site.add("/bulletin/view.asp?id=102&sid=abc", _notice("育兒補助說明", "社會科", "2025年3月4日 08:15",
                                                          "育兒補助每月發放。"), content_type="text/html")
    site.add("/bulletin/view.asp?id=103", _notice("產檢補助延長", "婦幼科", "2024/12/30 09:00",
                                                  "產檢補助延長至年底。"), content_type="text/html")
    source = {
        "name": "county-health", "kind": "list", "start_urls": [site.url("/bulletin/list.asp?page=1")],
        "timezone": "Asia/Taipei", "encoding": "big5",
        "selectors": {
            "links": "xpath://table[@id='notice']//td[@class='t']/a/@href",
            "next_page": "xpath://a[contains(text(), '下一頁')]/@href",
            "title": "xpath://font[@size='4']/b/text()",
            "body": "td#content",
            "author": "xpath://td[contains(., '發布單位')]/span/text()",
            "time": "xpath://td[contains(., '日期')]",
        },
    }
    config, path = write_config(tmp_path, sqlite_url, [source])
    summary = crawl_source(config, path, "county-health")
    assert summary.status == "ok" and summary.new_posts == 3
    posts = {u.removeprefix(site.base): p for u, p in stored_posts(sqlite_url).items()}
    assert set(posts) == {"/bulletin/view.asp?id=101", "/bulletin/view.asp?id=102&sid=abc",
                          "/bulletin/view.asp?id=103"}
    notice = posts["/bulletin/view.asp?id=102&sid=abc"]
    assert (notice.title, notice.author, notice.text) == ("育兒補助說明", "社會科", "育兒補助每月發放。")
    assert notice.published_at == datetime(2025, 3, 4, 8, 15, tzinfo=UTC) - TAIPEI
    assert posts["/bulletin/view.asp?id=103"].published_at == datetime(2024, 12, 30, 9, 0, tzinfo=UTC) - TAIPEI


def test_feed_and_sitemap_sources(blank_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    site = blank_site
    now = datetime.now(UTC)
    rss = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>健康新闻</title>
<item><title>生育登记全面放开</title><link>{site.url('/p/1.html?utm_source=rss')}</link>
<description>&lt;p&gt;生育登记无需审批，&lt;b&gt;网上即可办理&lt;/b&gt;。&lt;/p&gt;</description>
<author>news@example.cn (王五)</author><pubDate>Tue, 05 Mar 2024 02:32:00 GMT</pubDate></item>
<item><title>育儿补贴发放</title><link>{site.url('/p/2.html')}</link><description>补贴按月发放。</description>
<pubDate>Wed, 06 Mar 2024 01:00:00 GMT</pubDate></item></channel></rss>"""
    site.add("/rss.xml", rss, content_type="application/rss+xml; charset=utf-8", etag='"rss-1"')
    site.add("/p/1.html", article("生育登记全面放开（全文）", "2024年3月5日 10:32", "全文：生育登记无需审批。"))
    site.add("/p/2.html", article("育儿补贴发放（全文）", "2024年3月6日 09:00", "全文：补贴按月发放。"))
    site.add("/atom.xml", f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>通知</title><entry><title>摘要标题</title><link href="{site.url('/p/3.html')}"/><id>p3</id>
<updated>2024-03-08T09:00:00+08:00</updated><summary>摘要</summary></entry></feed>""",
             content_type="application/atom+xml")
    site.add("/p/3.html", article("生育保险新规（全文）", "2024年3月8日 09:00", "全文：生育保险新规。", author="赵六"))
    old = (now - timedelta(days=10)).strftime("%Y-%m-%d")
    fresh = (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    sitemap = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{site.url('/zcjd/new.html')}</loc><lastmod>{fresh}</lastmod></url>
<url><loc>{site.url('/zcjd/old.html')}</loc><lastmod>{old}</lastmod></url>
<url><loc>{site.url('/about/contact.html')}</loc><lastmod>{fresh}</lastmod></url></urlset>"""
    site.add("/sitemap.xml", sitemap, content_type="application/xml")
    site.add("/zcjd/new.html", article("政策解读：三孩配套", "2024-03-07", "三孩配套措施解读。"))
    site.add("/zcjd/old.html", article("旧的解读", "2024-02-01", "旧内容。"))
    site.add("/about/contact.html", article("联系我们", "2024-02-01", "电话。"))
    selectors = {"title": "h1", "body": "div.article", "author": ".byline a.author::text", "time": ".byline"}
    sources = [
        {"name": "feed-only", "kind": "feed", "start_urls": [site.url("/rss.xml")]},
        {"name": "feed-follow", "kind": "feed", "start_urls": [site.url("/rss.xml"), site.url("/atom.xml")],
         "follow": True,
         "selectors": selectors},
        {"name": "gov-sitemap", "kind": "sitemap", "start_urls": [site.url("/sitemap.xml")],
         "url_pattern": "/zcjd/", "lookback": "2d", "selectors": selectors},
    ]
    config, path = write_config(tmp_path, sqlite_url, sources)
    entries = crawl_source(config, path, "feed-only")
    assert entries.new_posts == 2 and site.fetched("/p/1.html") == 0
    stored = stored_posts(sqlite_url)
    first = stored[site.url("/p/1.html")]
    assert (first.title, first.text) == ("生育登记全面放开", "生育登记无需审批，网上即可办理。")
    assert first.author == "news@example.cn (王五)"
    assert first.published_at == datetime(2024, 3, 5, 2, 32, tzinfo=UTC)
    again = crawl_source(config, path, "feed-only")
    assert again.new_posts == 0 and again.stats["not_modified"] == 1  # conditional GET on the feed

    followed = crawl_source(config, path, "feed-follow")
    assert followed.new_posts == 1  # the RSS entries' URLs are stored: their pages are not fetched
    assert site.fetched("/p/1.html") == 0 and site.fetched("/p/3.html") == 1
    page = stored_posts(sqlite_url)[site.url("/p/3.html")]
    assert (page.title, page.author) == ("生育保险新规（全文）", "赵六")
    assert page.text.splitlines()[0] == "全文：生育保险新规。"

    mapped = crawl_source(config, path, "gov-sitemap")
    assert mapped.new_posts == 1
    assert site.fetched("/zcjd/new.html") == 1 and site.fetched("/zcjd/old.html") == 0
    assert site.fetched("/about/contact.html") == 0
    assert stored_posts(sqlite_url)[site.url("/zcjd/new.html")].title == "政策解读：三孩配套"
