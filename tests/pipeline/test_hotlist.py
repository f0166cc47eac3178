"""Hot-list rank history over several polls, and the 上榜 alert signal (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.alerting import raise_hotlist_alerts
from pipeline.digest import build_digest
from pipeline.models import Alert, HotlistRank, Notification, Post
from pipeline.store.hotlists import RankedEntry, rank_history, record_snapshot
from pipeline.store.sources import ensure_source
from tests.alerts.seeding import alert_config_overrides, seed_event

HOT_SOURCE = {"name": "weibo-hot", "kind": "hotlist", "platform": "weibo"}


def _poll(session: Session, source_id: int, now, *entries: tuple[str, int]) -> None:  # type: ignore[no-untyped-def]
    record_snapshot(session, source_id, "微博热搜", [RankedEntry(url, url, rank) for url, rank in entries], now=now)
    session.flush()


def _row(session: Session, url: str) -> HotlistRank:
    return session.scalars(select(HotlistRank).where(HotlistRank.url == url)).one()


def test_rank_history_first_seen_peak_minutes_and_leaving(session, clock):
    source_id = ensure_source(session, "weibo-hot", "hotlist").id
    t0 = clock.now()
    _poll(session, source_id, t0, ("a", 3), ("b", 2), ("c", 1))
    t1 = clock.advance(minutes=10)
    _poll(session, source_id, t1, ("a", 1), ("b", 4))            # c left
    t2 = clock.advance(minutes=10)
    _poll(session, source_id, t2, ("a", 2), ("c", 6))            # b left, c came back
    t3 = clock.advance(minutes=10)
    _poll(session, source_id, t3, ("a", 2), ("c", 5))
    a, b, c = _row(session, "a"), _row(session, "b"), _row(session, "c")
    assert (a.first_seen, a.peak_rank, a.rank, a.minutes, a.on_list, a.left_at) == (t0, 1, 2, 30.0, True, None)
    assert [rank for _, rank in a.history] == [3, 1, 2, 2]
    assert (b.peak_rank, b.minutes, b.on_list, b.left_at) == (2, 10.0, False, t2)
    assert [rank for _, rank in b.history] == [2, 4, None]
    # c stayed 0 minutes the first time (seen once), 10 minutes after it came back
    assert (c.first_seen, c.peak_rank, c.minutes, c.on_list, c.left_at) == (t0, 1, 10.0, True, None)
    assert [rank for _, rank in c.history] == [1, None, 6, 5]
    assert [r.url for r in rank_history(session, "c")] == ["c"]


def test_an_entry_entering_the_top_20_raises_a_grade_ii_alert_once(session, make_config, clock):
    config = make_config(**alert_config_overrides(sources=[HOT_SOURCE]))
    event = seed_event(session, when=clock.now(), title="多地家长追问育儿补贴何时到账", category="demand",
                       posts=1, sources=1, rumour=0.1, negative=0.2)
    url = session.scalars(select(Post.url).where(Post.event_id == event.id)).one()
    source_id = ensure_source(session, "weibo-hot", "hotlist").id
    _poll(session, source_id, clock.now(), (url, 31))
    assert raise_hotlist_alerts(session, config, now=clock.now()) == []  # below the alert rank
    clock.advance(minutes=10)
    _poll(session, source_id, clock.now(), (url, 12))
    [alert_id] = raise_hotlist_alerts(session, config, now=clock.now())
    alert = session.get_one(Alert, alert_id)
    assert alert.grade == "II" and alert.rule == "hotlist"
    assert alert.reasons[0] == "上榜 微博热搜 第12位, 在榜10分钟"
    assert alert.due_at == clock.now() + config.alerts.deadlines["II"]
    [mail] = session.scalars(select(Notification)).all()
    assert "上榜 微博热搜 第12位, 在榜10分钟" in mail.payload["text"]
    for _ in range(3):  # it climbs and stays: no second alert, no second mail
        clock.advance(minutes=10)
        _poll(session, source_id, clock.now(), (url, 3))
        assert raise_hotlist_alerts(session, config, now=clock.now()) == []
    assert session.scalar(select(func.count()).select_from(Notification)) == 1
    assert session.scalar(select(func.count()).select_from(Alert)) == 1


def test_the_signal_raises_an_existing_alert_and_respects_config(session, make_config, clock):
    source = {**HOT_SOURCE, "alert_rank": 5, "alert_grade": "I"}
    config = make_config(**alert_config_overrides(sources=[source]))
    event = seed_event(session, when=clock.now(), posts=2, sources=1)
    [first, _] = session.scalars(select(Post.url).where(Post.event_id == event.id)).all()
    source_id = ensure_source(session, "weibo-hot", "hotlist").id
    from pipeline.alerting import raise_alerts

    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    assert session.get_one(Alert, alert_id).grade != "I"
    _poll(session, source_id, clock.now(), (first, 8))
    assert raise_hotlist_alerts(session, config, now=clock.now()) == []  # rank 8 is not in the top 5
    clock.advance(minutes=20)
    _poll(session, source_id, clock.now(), (first, 4))
    assert raise_hotlist_alerts(session, config, now=clock.now()) == [alert_id]
    alert = session.get_one(Alert, alert_id)
    assert alert.grade == "I" and alert.reasons[0] == "上榜 微博热搜 第4位, 在榜20分钟"
    notes = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert len(notes) == 2 and notes[1].subject.startswith("【预警升级")


def test_an_irrelevant_entry_raises_nothing(session, make_config, clock):
    config = make_config(**alert_config_overrides(sources=[HOT_SOURCE]))
    event = seed_event(session, when=clock.now(), title="周末天气", posts=1, sources=1, relevance=0.1)
    url = session.scalars(select(Post.url).where(Post.event_id == event.id)).one()
    _poll(session, ensure_source(session, "weibo-hot", "hotlist").id, clock.now(), (url, 1))
    assert raise_hotlist_alerts(session, config, now=clock.now()) == []


def test_the_digest_has_a_hot_list_section(session, make_config, clock):
    config = make_config(**alert_config_overrides(sources=[HOT_SOURCE], timezone="UTC"))
    event = seed_event(session, when=clock.now(), title="多地家长追问育儿补贴何时到账", posts=1, sources=1)
    url = session.scalars(select(Post.url).where(Post.event_id == event.id)).one()
    source_id = ensure_source(session, "weibo-hot", "hotlist").id
    _poll(session, source_id, clock.now(), (url, 7))
    clock.advance(minutes=40)
    _poll(session, source_id, clock.now(), (url, 3))
    session.commit()
    digest = build_digest(session, config, clock.now().date())
    assert "八、热搜上榜" in digest.text
    assert "上榜 微博热搜 第3位, 在榜40分钟：多地家长追问育儿补贴何时到账" in digest.text
    assert "热搜上榜" in digest.html and "第3位" in digest.html
