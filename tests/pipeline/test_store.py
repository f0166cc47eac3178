"""The store API, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import transaction
from pipeline.exceptions import DuplicateUser, YuqingError
from pipeline.models import AuditEntry, CrawlRun, Post, Source
from pipeline.store import audit
from pipeline.store.bulk import insert_new_posts
from pipeline.store.posts import add_posts, known_urls, thread_floors
from pipeline.store.sources import CrawlOutcome, ensure_source, finish_crawl_run, start_crawl_run
from pipeline.store.users import add_user, authenticate
from tests.factories import make_post, make_posts


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Post)) or 0


def test_add_posts_deduplicates_by_url(factory: sessionmaker[Session]) -> None:
    posts = make_posts(30)
    with transaction(factory) as s:
        first = add_posts(s, posts, batch_size=7)
    assert (first.new, first.updated, first.unchanged) == (30, 0, 0)
    assert len(set(first.new_ids)) == 30
    with transaction(factory) as s:
        again = add_posts(s, posts, batch_size=7)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 30)
    with factory() as s:
        assert count(s) == 30


def test_new_ids_are_the_ids_of_the_posts_stored(factory: sessionmaker[Session]) -> None:
    old = make_posts(4)
    with transaction(factory) as s:
        add_posts(s, old)
    fresh = make_posts(5)
    with transaction(factory) as s:
        result = add_posts(s, [old[0], *fresh[:3], old[1], *fresh[3:]], batch_size=4)
    with factory() as s:
        stored = {url: id_ for url, id_ in s.execute(select(Post.url, Post.id))}
    assert sorted(result.new_ids) == sorted(stored[p.url] for p in fresh)


def test_a_url_stored_meanwhile_by_another_writer_is_not_stored_twice(factory: sessionmaker[Session]) -> None:
    """insert_new_posts after the caller's check: a concurrent copy of one URL is skipped, not an error."""
    (taken,) = make_posts(1)
    with transaction(factory) as s:
        (taken_id,) = add_posts(s, [taken]).new_ids
        source_id = s.get_one(Post, taken_id).source_id
    now = datetime(2026, 3, 5, tzinfo=UTC)
    rows = [{"source_id": source_id, "url": url, "content_hash": f"h{i}", "title": "t", "text": "x", "author": None,
             "published_at": None, "fetched_at": now, "thread_url": None, "floor": None, "extra": {}}
            for i, url in enumerate([f"https://news.example.cn/new/{i}.html" for i in range(3)] + [taken.url])]
    with transaction(factory) as s:
        ids = insert_new_posts(s, rows)
    with factory() as s:
        stored = {url: id_ for url, id_ in s.execute(select(Post.url, Post.id))}
    assert len(stored) == 4
    assert sorted(ids) == sorted(stored.values())


def test_changed_content_updates_and_reprocesses(factory: sessionmaker[Session]) -> None:
    post = make_post()
    with transaction(factory) as s:
        (post_id,) = add_posts(s, [post]).new_ids
        s.get_one(Post, post_id).processed_at = post.published_at
    edited = make_post(url=post.url, title=post.title, text=post.text + "（已更新）")
    with transaction(factory) as s:
        result = add_posts(s, [edited])
    assert (result.new, result.updated) == (0, 1)
    with factory() as s:
        stored = s.get_one(Post, post_id)
        assert stored.text.endswith("（已更新）")
        assert stored.processed_at is None
        assert stored.updated_at is not None


def test_whitespace_changes_are_not_updates(factory: sessionmaker[Session]) -> None:
    post = make_post(text="三孩 政策\n解读")
    with transaction(factory) as s:
        add_posts(s, [post])
    with transaction(factory) as s:
        result = add_posts(s, [make_post(url=post.url, title=post.title, text="三孩  政策 解读")])
    assert result.unchanged == 1


def test_posts_without_url_deduplicate_by_content(factory: sessionmaker[Session]) -> None:
    a = make_post(url=None, text="同一条内容")
    b = make_post(url=None, title=a.title, text="同一条内容")
    with transaction(factory) as s:
        result = add_posts(s, [a, b])
    assert result.new == 1 and result.unchanged == 1
    with factory() as s:
        assert s.scalar(select(Post.url)).startswith("urn:yuqing:content:")


def test_same_url_twice_in_one_batch(factory: sessionmaker[Session]) -> None:
    a = make_post()
    with transaction(factory) as s:
        result = add_posts(s, [a, a])
    assert (result.new, result.unchanged) == (1, 1)


def test_times_come_back_aware_and_equal(factory: sessionmaker[Session]) -> None:
    post = make_post()
    with transaction(factory) as s:
        (post_id,) = add_posts(s, [post]).new_ids
    with factory() as s:
        stored = s.get_one(Post, post_id)
        assert stored.published_at == post.published_at
        assert stored.published_at is not None and stored.published_at.tzinfo is not None


def test_naive_times_are_refused(factory: sessionmaker[Session]) -> None:
    from datetime import datetime

    with pytest.raises(Exception, match="naive datetime"), transaction(factory) as s:
        add_posts(s, [make_post(published_at=datetime(2026, 1, 1))])


def test_known_urls_and_thread_floors(factory: sessionmaker[Session]) -> None:
    thread = "https://bbs.example.cn/t/1"
    posts = [make_post(url=f"{thread}#p{i}", thread_url=thread, floor=i) for i in range(1, 4)]
    with transaction(factory) as s:
        add_posts(s, posts, kind="forum")
    with factory() as s:
        assert known_urls(s, [posts[0].url or "", "https://other/"]) == {posts[0].url}
        assert thread_floors(s, thread) == {1, 2, 3}
        assert s.scalar(select(Source.kind)) == "forum"


def test_crawl_runs_and_health(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        source = ensure_source(s, "flaky", "list")
        for _ in range(2):
            run = start_crawl_run(s, source)
            finish_crawl_run(s, run, CrawlOutcome(status="failed", message="connection refused"), unhealthy_after=3)
        assert source.healthy
        run = start_crawl_run(s, source)
        finish_crawl_run(s, run, CrawlOutcome(status="failed", message="connection refused"), unhealthy_after=3)
        assert not source.healthy and "3 runs in a row" in (source.health_note or "")
        run = start_crawl_run(s, source)
        finish_crawl_run(s, run, CrawlOutcome(status="ok", new_posts=12), unhealthy_after=3)
        assert source.healthy and source.last_items == 12
        run = start_crawl_run(s, source)
        finish_crawl_run(s, run, CrawlOutcome(status="ok"), unhealthy_after=3)
        assert not source.healthy and "no items" in (source.health_note or "")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(CrawlRun)) == 5


def test_users_and_audit(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        add_user(s, "王敏", "analyst", "correct horse")
        audit.record(s, "王敏", "label", "post", 7, field="rumour", value="1")
    with transaction(factory) as s:
        assert authenticate(s, "王敏", "correct horse") is not None
        assert authenticate(s, "王敏", "wrong password") is None
        assert authenticate(s, "nobody", "correct horse") is None
        with pytest.raises(DuplicateUser):
            add_user(s, "王敏", "analyst", "another pass")
        with pytest.raises(YuqingError, match="unknown role"):
            add_user(s, "x", "boss", "long enough")
        with pytest.raises(YuqingError, match="too short"):
            add_user(s, "y", "analyst", "short")
    with factory() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "label"))
        assert entry is not None and entry.detail == {"field": "rumour", "value": "1"}
