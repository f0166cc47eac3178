"""The page cache store, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import transaction
from pipeline.store.pages import CachedPage, forget_pages, get_page, load_pages, save_pages
from pipeline.store.sources import ensure_source


def test_save_load_replace_forget(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        news = ensure_source(session, "news", "list").id
        forum = ensure_source(session, "forum", "forum").id
        written = save_pages(session, news, [
            CachedPage("http://x.cn/list", etag='"v1"', last_modified="Tue, 05 Mar 2024 02:32:00 GMT",
                       content_hash="abc", extra={"links": ["http://x.cn/a"], "next": []}),
            CachedPage("http://x.cn/list", etag='"v2"'),  # the last record of a URL wins
        ])
        save_pages(session, forum, [CachedPage("http://bbs.cn/t/1", extra={"signature": "s1", "last_page": "p1"})])
    assert written == 1
    with factory() as session:
        pages = load_pages(session, news)
        assert set(pages) == {"http://x.cn/list"}
        assert pages["http://x.cn/list"].etag == '"v2"' and pages["http://x.cn/list"].extra == {}
        assert pages["http://x.cn/list"].fetched_at is not None
    with transaction(factory) as session:
        save_pages(session, forum, [CachedPage("http://bbs.cn/t/1", extra={"signature": "s2", "last_page": "p2"})])
    with factory() as session:
        thread = get_page(session, "http://bbs.cn/t/1")
        assert thread is not None and thread.extra == {"signature": "s2", "last_page": "p2"}
        assert get_page(session, "http://nowhere/") is None
    with transaction(factory) as session:
        assert forget_pages(session, forum) == 1
    with factory() as session:
        assert load_pages(session, forum) == {} and len(load_pages(session, news)) == 1
