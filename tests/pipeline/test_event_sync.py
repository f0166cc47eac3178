"""Several workers, one set of events: each story forms one event and raises one alert, whichever
worker analyses its posts (SQLite and PostgreSQL; on PostgreSQL also with truly concurrent workers)."""

from __future__ import annotations

from types import ModuleType

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nlp.analyze import Analyzer
from pipeline.config import Config
from pipeline.db import transaction
from pipeline.event_sync import sync_index, take_ticket
from pipeline.models import Alert, Analysis, EventClock, Post
from pipeline.process import load_analyzer, process_batch, process_pending, rebuild_event_index
from pipeline.store.posts import PostIn, add_posts
from tests.conftest import FakeClock
from tests.factories import make_post
from tests.pipeline.daemon_support import RUMOURS, filler_text, process_concurrently

STORIES = RUMOURS[:4]
COPIES = 6


@pytest.fixture(scope="module")
def analyzer_config() -> Config:
    from pipeline.config import load_config
    from tests.conftest import REPO

    return load_config(REPO / "config.yaml", environ={})


def story_posts() -> list[PostIn]:
    """COPIES reposts of each story, interleaved with chatter, so that every small batch holds a
    repost of a story whose first post another batch (another worker) clustered."""
    posts = []
    for copy in range(COPIES):
        for k, (title, body) in enumerate(STORIES):
            posts.append(make_post(source=f"bbs-{copy % 3}", title=title, text=f"{body}（转{copy}）",
                                   url=f"https://bbs.example.cn/story{k}/{copy}"))
            posts.append(make_post(source="news", title="城市生活", text=filler_text(100 * copy + k)))
    return posts


def story_events(factory: sessionmaker[Session]) -> dict[int, set[int | None]]:
    with factory() as s:
        rows = s.execute(select(Post.url, Post.event_id).where(Post.url.like("https://bbs.example.cn/story%")))
        out: dict[int, set[int | None]] = {}
        for url, event_id in rows:
            out.setdefault(int(url.split("/story")[1].split("/")[0]), set()).add(event_id)
    return out


def assert_one_event_and_alert_per_story(factory: sessionmaker[Session]) -> None:
    events = story_events(factory)
    assert len(events) == len(STORIES)
    for k, ids in events.items():
        assert len(ids) == 1 and None not in ids, f"story {k} is split or missing: events {ids}"
    assert len({next(iter(ids)) for ids in events.values()}) == len(STORIES)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == len(STORIES)


def test_workers_taking_turns_build_the_events_one_worker_would(
        factory: sessionmaker[Session], analyzer_config: Config, clock: FakeClock) -> None:
    with transaction(factory) as s:
        add_posts(s, story_posts())
    workers = {name: load_analyzer(analyzer_config) for name in ("w1", "w2", "w3")}
    turns = 0
    while True:
        reports = [process_batch(factory, analyzer_config, analyzer, worker=name, now=clock.now(), limit=5)
                   for name, analyzer in workers.items()]
        if all(r is None for r in reports):
            break
        turns += 1
    assert turns >= 3  # every worker had several batches
    assert_one_event_and_alert_per_story(factory)
    # Caught up once more, every worker's index holds every post with the same assignments.
    for analyzer in workers.values():
        with transaction(factory) as s:
            sync_index(s, analyzer, take_ticket(s), now=clock.now(), window=analyzer_config.process.event_window)
    w1, w2, w3 = (analyzer.events.event_of for analyzer in workers.values())
    assert len(w1) == len(story_posts()) and w1 == w2 == w3


@pytest.mark.parametrize("signatures", ["stored", "cleared"])
def test_a_restarted_worker_rebuilds_from_stored_signatures_or_texts(
        factory: sessionmaker[Session], analyzer_config: Config, clock: FakeClock, signatures: str) -> None:
    posts = story_posts()
    half = len(posts) // 2
    with transaction(factory) as s:
        add_posts(s, posts[:half])
    process_pending(factory, analyzer_config, analyzer=load_analyzer(analyzer_config), now=clock.now)
    with transaction(factory) as s:
        assert s.scalar(select(func.count()).select_from(Post).where(Post.minhash.is_(None))) == 0
        if signatures == "cleared":  # as retention clears them; the rebuild segments the texts again
            s.execute(update(Post).values(minhash=None))
    restarted = load_analyzer(analyzer_config)
    assert rebuild_event_index(factory, analyzer_config, restarted, now=clock.now()) == half
    with transaction(factory) as s:
        add_posts(s, posts[half:])
    process_pending(factory, analyzer_config, analyzer=restarted, now=clock.now)
    assert_one_event_and_alert_per_story(factory)


def database_gone(*_args: object, **_kwargs: object) -> list[int]:
    raise OperationalError("UPDATE events", {}, Exception("server closed the connection"))


def fail_one_batch(factory: sessionmaker[Session], config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
                   module: ModuleType, step: str, limit: int) -> Analyzer:
    """Store the stories, then process one batch of ``limit`` posts with ``module.step`` failing as a
    lost database connection would; returns the worker's analyzer."""
    with transaction(factory) as s:
        add_posts(s, story_posts())
    analyzer = load_analyzer(config)
    with monkeypatch.context() as patch:
        patch.setattr(module, step, database_gone)
        with pytest.raises(OperationalError):
            process_batch(factory, config, analyzer, worker="w1", now=clock.now(), limit=limit)
    return analyzer


def test_a_batch_that_fails_after_touching_the_index_rebuilds_it(
        factory: sessionmaker[Session], analyzer_config: Config, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.event_sync

    # the database fails in the middle of the event transaction
    analyzer = fail_one_batch(factory, analyzer_config, clock, monkeypatch, pipeline.event_sync, "link_events", 8)
    assert analyzer.events.applied_seq is None
    with factory() as s:  # rolled back: nothing stamped
        assert s.scalar(select(func.count()).select_from(Post).where(Post.event_seq.is_not(None))) == 0
    clock.advance(seconds=analyzer_config.process.claim_lease.total_seconds() + 1)
    process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now)
    assert_one_event_and_alert_per_story(factory)


def test_a_batch_that_fails_after_its_events_were_assigned_is_redone_with_them(
        factory: sessionmaker[Session], analyzer_config: Config, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.process

    # stamped and linked, then the second transaction fails
    fail_one_batch(factory, analyzer_config, clock, monkeypatch, pipeline.process, "refresh_events", 12)
    with factory() as s:
        stamped = s.scalar(select(func.count()).select_from(Post).where(
            Post.event_seq.is_not(None), Post.processed_at.is_(None)))
        assert stamped == 12
        assert s.scalar(select(func.count()).select_from(Analysis)) == 0
    clock.advance(seconds=analyzer_config.process.claim_lease.total_seconds() + 1)
    process_pending(factory, analyzer_config, analyzer=load_analyzer(analyzer_config), now=clock.now)
    assert_one_event_and_alert_per_story(factory)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Analysis)) == len(story_posts())


def test_the_clock_row_comes_back_after_the_tables_were_emptied(
        factory: sessionmaker[Session], analyzer_config: Config, clock: FakeClock) -> None:
    with transaction(factory) as s:
        add_posts(s, [make_post()])
    process_pending(factory, analyzer_config, analyzer=load_analyzer(analyzer_config), now=clock.now)
    with transaction(factory) as s:
        s.execute(delete(EventClock))
        s.execute(update(Post).values(event_seq=41))
        add_posts(s, [make_post()])
    process_pending(factory, analyzer_config, analyzer=load_analyzer(analyzer_config), now=clock.now)
    with factory() as s:
        assert s.scalar(select(func.max(Post.event_seq))) == 42  # counting on from the highest stamp


@pytest.mark.postgres
def test_concurrent_workers_on_postgres_split_no_story(pg_factory: sessionmaker[Session], analyzer_config: Config,
                                                       clock: FakeClock) -> None:
    with transaction(pg_factory) as s:
        add_posts(s, story_posts())
    small = analyzer_config.model_copy(
        update={"process": analyzer_config.process.model_copy(update={"batch_size": 4})})
    reports = process_concurrently(pg_factory, small, clock.now)
    assert sum(r.analysed for r in reports.values()) == len(story_posts())
    assert_one_event_and_alert_per_story(pg_factory)
