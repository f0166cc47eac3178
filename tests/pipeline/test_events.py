"""Event statistics: small events are refreshed by every batch, large ones at most once a minute,
and the ones skipped meanwhile by the end of the next `process` run."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import pipeline.events
from pipeline.config import Config
from pipeline.db import transaction
from pipeline.models import Analysis, Event, Post
from pipeline.process import load_analyzer, process_batch, process_pending
from pipeline.store.posts import add_posts
from tests.conftest import FakeClock
from tests.factories import make_post
from tests.pipeline.daemon_support import RUMOURS

COPIES = 10


@pytest.fixture(scope="module")
def analyzer_config() -> Config:
    from pipeline.config import load_config
    from tests.conftest import REPO

    return load_config(REPO / "config.yaml", environ={})


def the_event(factory: sessionmaker[Session]) -> Event:
    with factory() as s:
        (event,) = s.scalars(select(Event))
        s.expunge(event)
        return event


def test_a_large_event_is_refreshed_once_a_minute_and_swept_after(
        factory: sessionmaker[Session], analyzer_config: Config, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline.events, "BIG_EVENT_POSTS", 3)
    title, body = RUMOURS[0]
    with transaction(factory) as s:
        add_posts(s, [make_post(title=title, text=f"{body}（转{i}）", source=f"bbs-{i % 4}") for i in range(COPIES)])
    analyzer = load_analyzer(analyzer_config)
    while process_batch(factory, analyzer_config, analyzer, worker="w1", now=clock.now(), limit=2):
        pass
    skipped = the_event(factory)
    assert skipped.stale and 3 <= skipped.post_count < COPIES  # counted until it became large
    assert process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now).analysed == 0
    assert the_event(factory).stale  # refreshed less than a minute ago: the sweep leaves it
    clock.advance(seconds=pipeline.events.BIG_EVENT_REFRESH.total_seconds())
    process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now)
    swept = the_event(factory)
    assert not swept.stale and swept.post_count == COPIES and swept.source_count == 4
    assert swept.refreshed_at == clock.now()


def test_a_small_event_is_refreshed_by_every_batch(factory: sessionmaker[Session], analyzer_config: Config,
                                                   clock: FakeClock) -> None:
    title, body = RUMOURS[1]
    with transaction(factory) as s:
        add_posts(s, [make_post(title=title, text=f"{body}（转{i}）") for i in range(COPIES)])
    analyzer = load_analyzer(analyzer_config)
    while process_batch(factory, analyzer_config, analyzer, worker="w1", now=clock.now(), limit=2):
        event = the_event(factory)
        assert not event.stale
    assert the_event(factory).post_count == COPIES


def test_statistics_come_from_each_posts_newest_analysis(factory: sessionmaker[Session], analyzer_config: Config,
                                                         clock: FakeClock) -> None:
    """A post re-analysed by a newer model counts with its newest analysis only (on both databases:
    PostgreSQL probes it with LATERAL, SQLite with a correlated max)."""
    title, body = RUMOURS[2]
    with transaction(factory) as s:
        add_posts(s, [make_post(title=title, text=f"{body}（转{i}）") for i in range(COPIES)])
    analyzer = load_analyzer(analyzer_config)
    process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now)
    for version, negative, category in (("v-2", 0.95, "emergency"), ("v-3", 0.05, "criticism")):
        with transaction(factory) as s:
            event = s.scalars(select(Event)).one()
            post_ids = s.scalars(select(Post.id).where(Post.event_id == event.id)).all()
            s.add_all(Analysis(post_id=pid, model_version=version, relevance=0.9, is_relevant=True, rumour=0.1,
                               sentiment="neg", negative=negative, category=category) for pid in post_ids)
            s.flush()
            pipeline.events.refresh_events(s, [event], now=clock.now())
        refreshed = the_event(factory)
        assert refreshed.post_count == COPIES
        assert refreshed.negative_share == (1.0 if negative > 0.5 else 0.0)
        assert refreshed.category == category and refreshed.stats["categories"] == {category: COPIES}
