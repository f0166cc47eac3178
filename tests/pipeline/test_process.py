"""Processing: claims, idempotency, events; on SQLite and PostgreSQL with the real models."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nlp.analyze import Analyzer
from pipeline.config import Config
from pipeline.db import transaction
from pipeline.models import Alert, Analysis, Event, Post
from pipeline.process import CLAIM_LEASE, claim_batch, load_analyzer, process_pending
from pipeline.store.posts import add_posts
from tests.conftest import FakeClock
from tests.factories import make_post
from tests.pipeline.daemon_support import process_concurrently

RUMOUR = ("紧急扩散！！据内部消息，计生办下发通知，从下个月开始生二胎的家庭每户要交10万元社会抚养费，"
          "不交的孩子不给上户口，家里有二胎的赶紧转发周知！！")
UNRELATED = "香港上环新开一家茶餐厅，菠萝油和丝袜奶茶广受好评，周末排队长达两小时。"


@pytest.fixture(scope="module")
def analyzer_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    from pipeline.config import load_config
    from tests.conftest import REPO

    return load_config(REPO / "config.yaml", environ={})


@pytest.fixture
def analyzer(analyzer_config: Config) -> Analyzer:
    return load_analyzer(analyzer_config)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def seed(factory: sessionmaker[Session], posts: list) -> list[int]:  # type: ignore[type-arg]
    with transaction(factory) as s:
        return add_posts(s, posts).new_ids


def test_claims_do_not_overlap_and_expire(factory: sessionmaker[Session], clock: FakeClock) -> None:
    seed(factory, [make_post() for _ in range(10)])
    with transaction(factory) as s:
        first = claim_batch(s, "a", 6, now=clock.now())
    with transaction(factory) as s:
        second = claim_batch(s, "b", 6, now=clock.now())
    assert len(first) == 6 and len(second) == 4 and not set(first) & set(second)
    with transaction(factory) as s:
        assert claim_batch(s, "c", 6, now=clock.advance(minutes=1)) == []
    clock.advance(seconds=CLAIM_LEASE.total_seconds())
    with transaction(factory) as s:
        assert sorted(claim_batch(s, "c", 20, now=clock.now())) == sorted(first + second)


def test_each_post_analysed_once_and_rumour_alerted(factory: sessionmaker[Session], analyzer: Analyzer,
                                                    analyzer_config: Config, clock: FakeClock) -> None:
    posts = [make_post(title="紧急扩散！新规生二胎要交10万超生费", text=RUMOUR, source="bbs"),
             make_post(title="茶餐厅", text=UNRELATED, source="news")]
    seed(factory, posts)
    report = process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now)
    assert report.analysed == 2
    again = process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now)
    assert again.analysed == 0
    with factory() as s:
        assert count(s, Analysis) == 2
        assert s.scalar(select(func.count()).select_from(Post).where(Post.processed_at.is_(None))) == 0
        rumour = s.scalar(select(Analysis).join(Post).where(Post.text == RUMOUR))
        assert rumour is not None and rumour.is_relevant and rumour.rumour > 0.5
        tea = s.scalar(select(Analysis).join(Post).where(Post.text == UNRELATED))
        assert tea is not None and not tea.is_relevant
        alerts = list(s.scalars(select(Alert)))
        assert len(alerts) == 1 and alerts[0].category == "rumour"


def test_abandoned_batch_is_redone_without_duplicates(factory: sessionmaker[Session], analyzer: Analyzer,
                                                      analyzer_config: Config, clock: FakeClock) -> None:
    seed(factory, [make_post(text=RUMOUR + str(i)) for i in range(5)])
    with transaction(factory) as s:  # a worker claims, then dies before writing anything
        assert len(claim_batch(s, "dead-worker", 100, now=clock.now())) == 5
    assert process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now).analysed == 0
    clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    assert process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now).analysed == 5
    with factory() as s:
        assert count(s, Analysis) == 5
        events = list(s.scalars(select(Event)))
        assert len(events) == 1 and events[0].post_count == 5  # near-copies form one event
        assert count(s, Alert) == 1


def test_updated_post_is_reanalysed_in_place(factory: sessionmaker[Session], analyzer: Analyzer,
                                             analyzer_config: Config, clock: FakeClock) -> None:
    post = make_post(text=UNRELATED)
    seed(factory, [post])
    process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now)
    with transaction(factory) as s:
        assert add_posts(s, [make_post(url=post.url, title=post.title, text=RUMOUR)]).updated == 1
    clock.advance(minutes=5)
    process_pending(factory, analyzer_config, analyzer=analyzer, now=clock.now)
    with factory() as s:
        analyses = list(s.scalars(select(Analysis)))
        assert len(analyses) == 1 and analyses[0].rumour > 0.5


@pytest.mark.postgres
def test_two_workers_share_the_queue_on_postgres(pg_factory: sessionmaker[Session], analyzer_config: Config,
                                                 clock: FakeClock) -> None:
    seed(pg_factory, [make_post(text=f"第{i}条：三孩生育政策和育儿补贴申领解读。") for i in range(300)])
    reports = process_concurrently(pg_factory, analyzer_config, clock.now)
    with pg_factory() as s:
        assert count(s, Analysis) == 300
        assert s.scalar(select(func.count(func.distinct(Analysis.post_id)))) == 300
    assert reports["w1"].analysed + reports["w2"].analysed == 300

