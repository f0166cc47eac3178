"""Retention: expired posts go with their analyses and emptied events; labelled posts, posts of
open alerts and unprocessed posts stay; old audit entries and crawl runs go. On both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config, ConfigError
from pipeline.db import make_engine, session_factory, transaction
from pipeline.migrate import upgrade
from pipeline.models import Alert, Analysis, AuditEntry, CrawlRun, Event, Label, Post, Source
from pipeline.retention import apply_retention, count_expired
from pipeline.store.posts import add_posts, known_urls
from tests.conftest import FakeClock
from tests.factories import make_post
from tests.review.builders import add_alert, add_event, add_item

KEEP = timedelta(days=30)


def _post(session: Session, now: datetime, *, age: timedelta, event: Event | None = None,
          processed: bool = True) -> int:
    post = add_item(session, event=event, published_at=now - age)
    post.fetched_at = now - age
    post.processed_at = now - age if processed else None
    session.flush()
    return post.id


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def retention_config(make_config) -> Config:  # type: ignore[no-untyped-def]
    return make_config(retention={"posts": "30d", "audit": "60d", "crawl_runs": "90d"})


@pytest.fixture
def stored(factory: sessionmaker[Session], clock: FakeClock) -> dict[str, int]:
    """One post (or row) of each kind retention must tell apart; returns their ids by kind."""
    now, old = clock.now(), timedelta(days=31)
    ids: dict[str, int] = {}
    with transaction(factory) as session:
        chatter = add_event(session, title="旧闻")
        ids["old_a"] = _post(session, now, age=old, event=chatter)
        ids["old_b"] = _post(session, now, age=old + timedelta(days=5), event=chatter)
        ids["chatter_event"] = chatter.id
        ids["labelled"] = _post(session, now, age=old)
        session.add(Label(post_id=ids["labelled"], field="rumour", value="1", user="ana"))
        open_event = add_event(session, title="仍在处置的谣言")
        add_alert(session, open_event, status="acknowledged")
        ids["open_alert"] = _post(session, now, age=old, event=open_event)
        closed_event = add_event(session, title="已办结的诉求")
        add_alert(session, closed_event, status="closed")
        ids["closed_alert"] = _post(session, now, age=old, event=closed_event)
        ids["closed_event"] = closed_event.id
        ids["unprocessed"] = _post(session, now, age=old, processed=False)
        ids["recent"] = _post(session, now, age=KEEP - timedelta(hours=1), event=chatter)
        source = session.scalars(select(Source)).first()
        assert source is not None
        for days in (59, 61):
            session.add(AuditEntry(at=now - timedelta(days=days), user="ana", action="label"))
        for days in (89, 91, 120):
            session.add(CrawlRun(source_id=source.id, started_at=now - timedelta(days=days), status="ok"))
    return ids


def test_expired_posts_go_and_what_must_stay_stays(factory: sessionmaker[Session], clock: FakeClock,
                                                   retention_config: Config, stored: dict[str, int]) -> None:
    with factory() as session:
        due = count_expired(session, retention_config, now=clock.now())
    assert (due.posts, due.audit_entries, due.crawl_runs) == (3, 1, 2)

    report = apply_retention(factory, retention_config, now=clock.now(), batch=2)

    assert (report.posts, report.audit_entries, report.crawl_runs) == (3, 1, 2)
    with factory() as session:
        left = set(session.scalars(select(Post.id)))
        assert left == {stored["labelled"], stored["open_alert"], stored["unprocessed"], stored["recent"]}
        assert set(session.scalars(select(Analysis.post_id))) == left  # analyses went with their posts
        assert _count(session, Label) == 1
        events = set(session.scalars(select(Event.id)))
        assert stored["chatter_event"] in events  # its recent post keeps it
        assert stored["closed_event"] in events  # no posts left, but its alert is the office's record
        assert _count(session, Alert) == 2
        assert [e.at for e in session.scalars(select(AuditEntry))] == [clock.now() - timedelta(days=59)]
        assert sorted(r.started_at for r in session.scalars(select(CrawlRun))) == [clock.now() - timedelta(days=89)]
        assert count_expired(session, retention_config, now=clock.now()).posts == 0


def test_an_event_left_without_posts_and_alert_goes(factory: sessionmaker[Session], clock: FakeClock,
                                                    retention_config: Config, stored: dict[str, int]) -> None:
    report = apply_retention(factory, retention_config, now=clock.now() + timedelta(days=1))
    assert report.posts == 4 and report.events == 1  # the recent post expired a day later
    with factory() as session:
        assert session.get(Event, stored["chatter_event"]) is None
        assert session.get(Event, stored["closed_event"]) is not None


def test_labelled_posts_go_too_when_not_kept(factory: sessionmaker[Session], clock: FakeClock, make_config,  # type: ignore[no-untyped-def]
                                             stored: dict[str, int]) -> None:
    config = make_config(retention={"posts": "30d", "keep_labelled": False})
    report = apply_retention(factory, config, now=clock.now())
    assert report.posts == 4
    assert report.audit_entries == 0  # audit kept: retention.audit not set
    with factory() as session:
        assert session.get(Post, stored["labelled"]) is None
        assert _count(session, Label) == 0


def test_nothing_goes_without_retention_settings(factory: sessionmaker[Session], clock: FakeClock, make_config,  # type: ignore[no-untyped-def]
                                                 stored: dict[str, int]) -> None:
    config = make_config(retention={"crawl_runs": None})
    report = apply_retention(factory, config, now=clock.now() + timedelta(days=3650))
    assert (report.posts, report.events, report.audit_entries, report.crawl_runs) == (0, 0, 0, 0)
    with factory() as session:
        assert _count(session, Post) == len(stored) - 2  # every post (the ids less the two events)


def test_a_stopped_run_deletes_whole_batches_and_the_next_run_finishes(
        factory: sessionmaker[Session], clock: FakeClock, retention_config: Config, stored: dict[str, int]) -> None:
    batches: list[int] = []
    first = apply_retention(factory, retention_config, now=clock.now(), batch=2, progress=batches.append,
                            should_stop=lambda: bool(batches))
    assert (first.posts, batches) == (2, [2])
    assert first.crawl_runs == 0  # stopped before the logs
    second = apply_retention(factory, retention_config, now=clock.now(), batch=2)
    assert (second.posts, second.crawl_runs) == (1, 2)


def test_retention_shorter_than_the_event_window_is_a_config_error(make_config) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        make_config(retention={"posts": "2d"}, process={"event_window": "3d"})
    assert "retention.posts" in str(caught.value) and "event_window" in str(caught.value)


def test_prune_command_counts_then_deletes(tmp_path: Path) -> None:
    db = tmp_path / "yuqing.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    now = datetime.now().astimezone()
    with transaction(session_factory(engine)) as session:
        for age in (40, 41, 1):
            _post(session, now, age=timedelta(days=age))
    engine.dispose()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"storage": {"url": f"sqlite:///{db}"},
                                      "retention": {"posts": "30d"}}), encoding="utf-8")

    def prune(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
        done = subprocess.run([sys.executable, "-m", "pipeline", "--config", str(config), "prune", *args],
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "would delete 2 posts" in prune("--dry-run")
    assert "deleted 2 posts" in prune()
    assert "would delete 0 posts" in prune("--dry-run")


def test_signatures_are_cleared_once_posts_are_past_two_event_windows(
        factory: sessionmaker[Session], clock: FakeClock, make_config) -> None:  # type: ignore[no-untyped-def]
    config = make_config(process={"event_window": "3d"})
    now = clock.now()
    with transaction(factory) as session:
        ages = {_post(session, now, age=timedelta(days=days)): days for days in (1, 5, 7, 30)}
        for post in session.scalars(select(Post)):
            post.minhash = bytes(256)

    report = apply_retention(factory, config, now=now, batch=1)

    assert report.signatures == 2 and report.posts == 0
    with factory() as session:
        kept = {ages[pid] for pid, sig in session.execute(select(Post.id, Post.minhash)) if sig is not None}
    assert kept == {1, 5}


def test_a_deleted_post_is_not_stored_again_by_a_crawl_or_an_import(
        factory: sessionmaker[Session], clock: FakeClock, retention_config: Config) -> None:
    now = clock.now()
    with transaction(factory) as session:
        old = session.get_one(Post, _post(session, now, age=timedelta(days=40)))
        url, title, text = old.url, old.title, old.text
    apply_retention(factory, retention_config, now=now)

    with transaction(factory) as session:
        assert known_urls(session, [url, "https://news.example.cn/never-seen"]) == {url}  # the crawler skips it
        again = add_posts(session, [make_post("city-news", url=url, title=title, text=text),
                                    make_post("city-news")])  # an import or a re-listed page
        assert (again.new, again.unchanged, again.forgotten) == (1, 1, 1)
        assert session.scalar(select(func.count()).select_from(Post).where(Post.url == url)) == 0


def test_the_rank_history_of_an_expired_post_goes_with_it(factory: sessionmaker[Session], clock: FakeClock,
                                                          retention_config: Config, stored: dict[str, int]) -> None:
    from pipeline.models import HotlistRank
    from pipeline.store.hotlists import RankedEntry, record_snapshot

    with transaction(factory) as session:
        urls = {kind: session.get_one(Post, stored[kind]).url for kind in ("old_a", "recent")}
        source = session.scalars(select(Source)).first()
        assert source is not None
        record_snapshot(session, source.id, "微博热搜", [RankedEntry(urls["old_a"], "旧", 1),
                                                         RankedEntry(urls["recent"], "新", 2)], now=clock.now())
    apply_retention(factory, retention_config, now=clock.now())
    with factory() as session:
        assert list(session.scalars(select(HotlistRank.url))) == [urls["recent"]]
