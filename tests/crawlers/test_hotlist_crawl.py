"""A hot-list source polled from a local server through `crawl_source` (a real child process)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pipeline.crawl import crawl_source
from pipeline.db import make_engine, session_factory
from pipeline.models import HotlistRank, Source
from tests.crawlers.conftest import stored_posts, write_config
from tests.crawlers.site import Site

FIXTURES = Path(__file__).parent / "fixtures" / "hotlists"


def _ranks(db_url: str) -> dict[str, HotlistRank]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return {r.title: r for r in session.scalars(select(HotlistRank))}
    finally:
        engine.dispose()


def _source(db_url: str, name: str) -> Source:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return session.scalars(select(Source).where(Source.name == name)).one()
    finally:
        engine.dispose()


def test_hot_list_poll_posts_ranks_304_and_a_changed_format(blank_site: Site, sqlite_url: str,
                                                             tmp_path: Path) -> None:
    blank_site.add("/ajax/side/hotSearch", (FIXTURES / "weibo.json").read_bytes(),
                   content_type="application/json", etag='"hot-v1"')
    config, path = write_config(tmp_path, sqlite_url, [
        {"name": "weibo-hot", "kind": "hotlist", "platform": "weibo",
         "start_urls": [blank_site.url("/ajax/side/hotSearch")]}])
    first = crawl_source(config, path, "weibo-hot")
    assert (first.status, first.new_posts) == ("ok", 3), first
    posts = stored_posts(sqlite_url)
    post = next(p for p in posts.values() if p.title == "网传二孩家庭罚款10万")
    assert post.extra["hotlist"] == {"platform": "weibo", "label": "微博热搜", "rank": 2, "heat": 876543.0}
    assert post.url.startswith("https://s.weibo.com/weibo?q=")
    ranks = _ranks(sqlite_url)
    assert {t: r.rank for t, r in ranks.items()} == {
        "某地发布生育支持新政": 1, "网传二孩家庭罚款10万": 2, "周末天气": 3}

    # unchanged (304): no new posts, but the poll still counts for the rank history
    second = crawl_source(config, path, "weibo-hot")
    assert (second.status, second.new_posts, second.stats["not_modified"]) == ("ok", 0, 1)
    assert all(len(r.history) == 2 for r in _ranks(sqlite_url).values())

    # the platform changed its format: the run fails and the source is unhealthy at once, with the reason
    blank_site.add("/ajax/side/hotSearch", (FIXTURES / "weibo-changed.json").read_bytes(),
                   content_type="application/json", etag='"hot-v2"')
    third = crawl_source(config, path, "weibo-hot")
    assert third.status == "failed" and not third.healthy
    assert "format changed" in (third.message or "") and "data.realtime" in (third.message or "")
    source = _source(sqlite_url, "weibo-hot")
    assert not source.healthy and "data.realtime" in (source.health_note or "")
    assert len(stored_posts(sqlite_url)) == 3
