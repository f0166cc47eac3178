"""Deadlines: escalation to the supervisor, 续报 reminders for open emergencies."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.alerting import raise_alerts
from pipeline.escalation import check_deadlines
from pipeline.models import Alert, Notification
from tests.alerts.seeding import alert_config_overrides, seed_event


def _mails(session) -> list[tuple[str, str]]:
    return [(n.recipient, n.subject) for n in session.scalars(select(Notification).order_by(Notification.id))]


def test_an_unacknowledged_alert_escalates_to_the_supervisor_once(session, make_config, clock):
    config = make_config(**alert_config_overrides())
    event = seed_event(session, when=clock.now())
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    clock.advance(minutes=119)
    assert check_deadlines(session, config, now=clock.now()).escalated == 0  # III–IV: 2 h
    clock.advance(minutes=2)
    assert check_deadlines(session, config, now=clock.now()).escalated == 1
    assert check_deadlines(session, config, now=clock.now()).escalated == 0  # only once
    alert = session.get(Alert, alert_id)
    assert alert.escalation_level == 1 and alert.escalated_at == clock.now()
    recipient, subject = _mails(session)[-1]
    assert recipient == "lijianguo@example.gov.cn" and subject.startswith("【逾期未确认")


def test_an_acknowledged_alert_does_not_escalate(session, make_config, clock):
    config = make_config(**alert_config_overrides())
    [alert_id] = raise_alerts(session, config, [seed_event(session, when=clock.now()).id], now=clock.now())
    alert = session.get(Alert, alert_id)
    alert.status, alert.acknowledged_at, alert.acknowledged_by = "acknowledged", clock.now(), "王敏"
    clock.advance(hours=5)
    assert check_deadlines(session, config, now=clock.now()).escalated == 0
    config_off = make_config(**alert_config_overrides(alerts={"rules": [], "escalate": False}))
    assert check_deadlines(session, config_off, now=clock.now()).escalated == 0


def test_open_emergencies_get_followup_reminders_until_closed(session, make_config, clock):
    config = make_config(**alert_config_overrides(alerts={"rules": [{"name": "e", "categories": ["emergency"]}],
                                                          "followup_every": "4h", "escalate": False}))
    event = seed_event(session, when=clock.now(), category="emergency", posts=10, sources=3, heat=40)
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    clock.advance(hours=3)
    assert check_deadlines(session, config, now=clock.now()).followups == 0
    clock.advance(hours=1)
    assert check_deadlines(session, config, now=clock.now()).followups == 1
    assert check_deadlines(session, config, now=clock.now()).followups == 0
    clock.advance(hours=13)  # the daemon was down: one reminder, then back on the 4-hour cycle
    assert check_deadlines(session, config, now=clock.now()).followups == 1
    alert = session.get(Alert, alert_id)
    assert alert.followups_sent == 2 and alert.next_followup_at > clock.now()
    assert [s for _, s in _mails(session)][-2:] == [f"【续报提醒·第{n}次】{event.title}" for n in (1, 2)]
    alert.status = "closed"
    clock.advance(hours=8)
    assert check_deadlines(session, config, now=clock.now()).followups == 0
