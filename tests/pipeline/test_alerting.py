"""raise_alerts against SQLite and PostgreSQL: rules, grades, deadlines, routing, drafts, outbox rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.drafts import PENDING_MARK
from pipeline.alerting import raise_alerts
from pipeline.models import Alert, DraftRevision, Notification, ResponseDraft
from pipeline.store.drafts import create_draft, draft_context
from tests.alerts.seeding import TOPICS, add_posts, alert_config_overrides, config_with_env, seed_event


def _notifications(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_a_rumour_raises_one_graded_alert_with_deadline_monitor_draft_and_mail(session, make_config, clock):
    config = make_config(**alert_config_overrides(review={"base_url": "https://yq.example.gov.cn"}))
    event = seed_event(session, when=clock.now(), posts=3, sources=2)
    ids = raise_alerts(session, config, [event.id], now=clock.now())
    session.commit()
    assert len(ids) == 1
    alert = session.get(Alert, ids[0])
    assert alert is not None
    assert (alert.rule, alert.category, alert.monitor, alert.supervisor) == ("rumour", "rumour", "王敏", "李建国")
    assert alert.grade in ("III", "IV") and alert.reasons and "谣言" in alert.reasons[0]
    assert alert.due_at == clock.now() + timedelta(hours=2)  # III–IV: two hours
    assert alert.next_followup_at is None  # not an emergency
    draft = session.scalars(select(ResponseDraft).where(ResponseDraft.alert_id == alert.id)).one()
    assert (draft.status, draft.author, draft.version) == ("draft", "yuqing", 1)
    assert PENDING_MARK in draft.body and "网传二孩要罚款10万元" in draft.body
    assert session.scalar(select(func.count()).select_from(DraftRevision)) == 1
    [mail] = _notifications(session)
    assert (mail.channel, mail.recipient, mail.status) == ("email", "wangmin@example.gov.cn", "pending")
    assert mail.subject.startswith("【舆情预警·") and mail.alert_id == alert.id
    assert "https://yq.example.gov.cn/alerts/" in mail.payload["text"]


def test_nothing_is_alerted_twice_and_a_raised_grade_notifies_again(session, make_config, clock):
    config = make_config(**alert_config_overrides())
    event = seed_event(session, when=clock.now(), posts=2, sources=1, heat=3)
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    first_grade = session.get(Alert, alert_id).grade
    assert raise_alerts(session, config, [event.id, event.id], now=clock.now()) == []
    assert len(_notifications(session)) == 1
    # The event grows fast across many sources: the grade goes up, one more mail.
    clock.advance(minutes=30)
    add_posts(session, event, 40, when=clock.now(), sources=6, spacing=timedelta(seconds=30))
    event.post_count, event.source_count, event.heat, event.last_seen = 42, 6, 160.0, clock.now()
    assert raise_alerts(session, config, [event.id], now=clock.now()) == [alert_id]
    alert = session.get(Alert, alert_id)
    assert alert.grade != first_grade and alert.notified_grade == alert.grade
    assert alert.due_at == clock.now() + config.alerts.deadlines[alert.grade]
    notes = _notifications(session)
    assert len(notes) == 2 and notes[1].subject.startswith("【预警升级")
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    # Same facts again: nothing new.
    assert raise_alerts(session, config, [event.id], now=clock.now()) == []
    assert len(_notifications(session)) == 2


def test_unrelated_events_raise_nothing(session, make_config, clock):
    config = make_config(**alert_config_overrides())
    celebrity = seed_event(session, when=clock.now(), title="某明星晒二胎", relevance=0.1, rumour=0.9)
    mild = seed_event(session, when=clock.now(), title="三孩政策解读", category="hot_issue", rumour=0.1,
                      negative=0.1)
    assert raise_alerts(session, config, [celebrity.id, mild.id], now=clock.now()) == []
    assert session.scalar(select(func.count()).select_from(Alert)) == 0
    assert _notifications(session) == []


def test_an_emergency_is_graded_high_with_one_hour_and_followups(session, tmp_path, clock):
    config = config_with_env(tmp_path, {"HOOK": "http://127.0.0.1:9/hook"}, **alert_config_overrides(monitors=[
        {"name": "王敏", "email": "wangmin@example.gov.cn", "topics": ["fertility-policy"],
         "supervisor": "李建国", "webhooks": ["office"]},
        {"name": "李建国", "email": "lijianguo@example.gov.cn"}],
        webhooks=[{"name": "office", "kind": "wecom", "url": "${HOOK}"}]))
    event = seed_event(session, when=clock.now(), title="计生服务站发生冲突 多人受伤", category="emergency",
                       posts=12, sources=4, negative=0.9, heat=60)
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    alert = session.get(Alert, alert_id)
    assert alert.grade in ("I", "II")
    assert alert.due_at == clock.now() + timedelta(hours=1)
    assert alert.next_followup_at == clock.now() + config.alerts.followup_every
    channels = sorted(n.channel for n in _notifications(session))
    assert channels == ["email", "webhook:office"]


def test_min_grade_and_topic_conditions(session, make_config, clock):
    rules = [{"name": "only-severe", "min_grade": "II", "min_relevance": 0.5},
             {"name": "other-topic", "topics": ["population"], "min_relevance": 0.5}]
    topics = [*TOPICS, {"name": "population", "label": "人口发展", "expression": "出生人口"}]
    config = make_config(**alert_config_overrides(alerts={"rules": rules}, topics=topics))
    small = seed_event(session, when=clock.now(), posts=1, sources=1, heat=1)
    assert raise_alerts(session, config, [small.id], now=clock.now()) == []
    big = seed_event(session, when=clock.now(), category="emergency", posts=30, sources=5, heat=200)
    [alert_id] = raise_alerts(session, config, [big.id], now=clock.now())
    assert session.get(Alert, alert_id).rule == "only-severe"


def test_no_matching_monitor_still_alerts_without_mail(session, make_config, clock):
    config = make_config(**alert_config_overrides(monitors=[
        {"name": "赵磊", "email": "zhaolei@example.gov.cn", "topics": ["cadre-conduct"]}],
        topics=[*TOPICS, {"name": "cadre-conduct", "label": "计生干部作风", "expression": "作风"}]))
    event = seed_event(session, when=clock.now())
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    assert session.get(Alert, alert_id).monitor is None
    assert _notifications(session) == []


def test_draft_context_and_a_second_draft_for_the_review_app(session, make_config, clock):
    config = make_config(**alert_config_overrides())
    event = seed_event(session, when=clock.now(), posts=4, sources=2)
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    ctx = draft_context(session, config, alert_id)
    assert ctx.topic_label == "生育政策" and ctx.post_count == 4 and ctx.source_count == 2
    assert set(ctx.sources) == {"src-0", "src-1"} and "罚款" in ctx.claim
    draft = create_draft(session, alert_id=alert_id, category="rumour", body="改写稿", author="王敏")
    assert draft.event_id == event.id and draft.status == "draft"
