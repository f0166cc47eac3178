"""`yuqing source try` / `source add` against local sites: list blocks, a forum, a feed, a sitemap, the unknown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from pipeline.config import default_config, load_config
from pipeline.probe.configfile import with_source
from pipeline.probe.fetch import Fetcher, FetchError
from pipeline.probe.findings import probe
from tests.crawlers.auto_sites import SITES
from tests.crawlers.forum_sites import build_discuz
from tests.crawlers.site import Site, html_page, serve
from tests.pipeline.test_cli_setup import yuqing

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>动态</title>
<item><title>卫生动态工作通报第1期</title><link>/news/2024/a1.shtml</link></item></channel></rss>"""


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    for _, build in SITES.values():
        build(site)
    build_discuz(site)
    site.add("/feedsite/", html_page("有订阅的网站", "<p>欢迎</p>", head='<link rel="alternate" '
                                     'type="application/rss+xml" href="/feedsite/rss.xml">'))
    site.add("/feedsite/rss.xml", FEED, content_type="application/rss+xml")
    site.add("/app/", html_page("应用", "<div id='app'>加载中……</div><script src='/app.js'></script>"
                                "<p><a href='/app/help'>使用帮助说明</a></p>"))
    with serve(site):
        yield site


def _probe(url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = default_config(tmp_path, crawl={"download_delay": 0})
    with Fetcher(config) as fetcher:
        return probe(url, fetcher, tz=config.tz)


@pytest.mark.parametrize("kind", sorted(SITES))
def test_a_list_page_is_previewed_with_titles_and_times(site: Site, tmp_path: Path, kind: str) -> None:
    start, build = SITES[kind]
    articles = {a.title: a for a in build(Site())}
    found = _probe(site.url(start), tmp_path)
    assert found.kind == "list" and found.block == {"kind": "list", "start_urls": [site.url(start)]}
    assert len(found.previews) == 3
    for preview in found.previews:
        article = articles[preview.title]
        assert preview.published == datetime.fromisoformat(article.iso)
        assert preview.start == article.body[:60] + "…"
    assert any(line.startswith("list block:") for line in found.found)


def test_a_discuz_forum_feed_and_sitemap(site: Site, tmp_path: Path) -> None:
    forum = _probe(site.url("/forum.php"), tmp_path)
    assert forum.kind == "forum" and forum.block["software"] == "discuz"
    assert [p.author for p in forum.previews] == ["网友11", "网友12", "网友13"]
    assert forum.previews[0].start.startswith("请问二孩的育儿补贴什么时候发放")
    feed = _probe(site.url("/feedsite/"), tmp_path)
    assert feed.block == {"kind": "feed", "start_urls": [site.url("/feedsite/rss.xml")], "follow": True}
    assert feed.previews[0].title == "卫生动态工作通报第1期"
    site.add("/robots.txt", f"User-agent: *\nDisallow: /private/\nSitemap: {site.url('/sitemap.xml')}\n",
             content_type="text/plain")
    sitemap = _probe(site.url("/app/"), tmp_path)
    assert sitemap.block == {"kind": "sitemap", "start_urls": [site.url("/sitemap.xml")], "lookback": "2d"}
    with pytest.raises(FetchError, match=r"robots\.txt"):
        _probe(site.url("/private/x.html"), tmp_path)


def test_with_source_keeps_the_file_and_appends_to_sources() -> None:
    text = "# my office\nstorage: {url: 'sqlite:///x.db'}\nsources:\n  - name: a  # first\n    kind: list\n" \
           "    start_urls: ['http://a.example/']\n\ntopics: []\n"
    item = "  - name: b\n    kind: feed\n    start_urls: ['http://b.example/rss']\n"
    out = with_source(text, item)
    assert out.startswith("# my office\n") and "# first" in out and out.endswith("\ntopics: []\n")
    assert [s["name"] for s in yaml.safe_load(out)["sources"]] == ["a", "b"]
    assert yaml.safe_load(with_source("sources: []\n", item))["sources"][0]["name"] == "b"
    assert yaml.safe_load(with_source("storage: {}\n", item))["sources"][0]["name"] == "b"


def test_source_try_and_add_on_the_command_line(site: Site, tmp_path: Path) -> None:
    assert yuqing("init", "office", cwd=tmp_path).returncode == 0
    office = tmp_path / "office"
    config = office / "config.yaml"
    text = config.read_text(encoding="utf-8").replace("download_delay: 1", "download_delay: 0")
    config.write_text(text, encoding="utf-8")
    before = len(load_config(config, environ={}).sources)

    tried = yuqing("source", "try", site.url("/news/"), cwd=office)
    assert tried.returncode == 0, tried.stderr
    assert "卫生动态工作通报第1期" in tried.stdout and "kind: list" in tried.stdout

    unknown = yuqing("source", "try", site.url("/app/"), cwd=office)
    assert unknown.returncode == 1
    assert "no block of three or more article links" in unknown.stdout and "selectors.links" in unknown.stdout
    assert len(unknown.stdout.splitlines()) <= 25, unknown.stdout  # one screen

    added = yuqing("source", "add", "zwgk", site.url("/zwgk/index.html"), cwd=office)
    assert added.returncode == 0, added.stderr
    after = load_config(config, environ={})
    assert len(after.sources) == before + 1
    assert after.source("zwgk").kind == "list" and after.source("zwgk").start_urls == [site.url("/zwgk/index.html")]
    assert config.read_text(encoding="utf-8").startswith(text.split("\n", 1)[0]), "comments stay"
    again = yuqing("source", "add", "zwgk", site.url("/news/"), cwd=office)
    assert again.returncode == 1 and "already" in again.stderr
    assert yuqing("check-config", cwd=office).returncode == 0


def test_a_public_address_may_not_lead_to_a_private_one(tmp_path: Path) -> None:
    import httpx

    with Fetcher(default_config(tmp_path)) as fetcher:
        fetcher.allowed_kinds = {"public"}  # as after asking for a public address
        with pytest.raises(FetchError, match="loopback address"):
            fetcher._check_address(httpx.Request("GET", "http://127.0.0.1:9/redirected"))
    with Fetcher(default_config(tmp_path), allow_private=True) as fetcher:
        fetcher.allowed_kinds = {"public"}
        fetcher._check_address(httpx.Request("GET", "http://127.0.0.1:9/intranet"))
