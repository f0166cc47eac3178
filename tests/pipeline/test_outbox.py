"""The outbox against a real SMTP server (aiosmtpd in this process): content, retries, exactly once."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header

from sqlalchemy import select

from pipeline.alerting import raise_alerts
from pipeline.db import transaction
from pipeline.models import Notification
from pipeline.outbox import backoff, deliver_due
from pipeline.store.outbox import enqueue
from tests.alerts.seeding import alert_config_overrides, free_port, seed_event, smtp_server


def _config(make_config, port: int, **notify):
    return make_config(**alert_config_overrides(
        smtp={"host": "127.0.0.1", "port": port, "sender": "舆情监测 <yuqing@example.gov.cn>", "timeout": "5s"},
        notify={"backoff_base": "30s", "backoff_max": "10m", "max_attempts": 8, **notify}))


def _statuses(factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Notification.status).order_by(Notification.id)))


def test_an_alert_mail_arrives_with_grade_deadline_monitor_post_and_draft(factory, make_config, clock):
    with smtp_server() as (controller, sink):
        config = _config(make_config, controller.port)
        with transaction(factory) as session:
            event = seed_event(session, when=clock.now(), title="网传<b>二孩</b>罚款10万",
                               text="网传：新规规定生二孩罚款10万元 <script>alert(1)</script>")
            raise_alerts(session, config, [event.id], now=clock.now())
        report = deliver_due(factory, config, now=clock.now())
    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    [mail] = sink.messages
    raw_subject = mail["Subject"]
    assert str(raw_subject).startswith("【舆情预警·") and "网传<b>二孩</b>罚款10万" in str(raw_subject)
    assert "=?utf-8?" in mail.as_string().split("Subject:", 1)[1].splitlines()[0].lower()  # RFC 2047 on the wire
    assert decode_header(mail.as_string().split("Subject:", 1)[1].splitlines()[0].strip())[0][1] == "utf-8"
    assert mail["To"] == "wangmin@example.gov.cn" and "舆情监测" in str(mail["From"])
    # Date: in the configured zone with its offset (was -0000, which mail clients show as UTC)
    assert str(mail["Date"]).endswith("+0800") and mail["Date"].datetime.utcoffset() == timedelta(hours=8)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "级（" in body and "报告时限" in body and "王敏" in body  # grade, deadline, monitor
        assert "2026-03-05 12:00" in body  # the deadline in Asia/Shanghai: 02:00Z + 2 h
        assert "新规规定生二孩罚款10万元" in body  # the post
        assert "【待核实" in body and "情况说明" in body  # the draft
    assert "<script>" not in html and "&lt;script&gt;" in html  # crawled text escaped
    assert "<b>二孩</b>" not in html


def test_smtp_down_then_up_every_mail_arrives_exactly_once(factory, make_config, clock):
    port = free_port()
    config = _config(make_config, port)
    with transaction(factory) as session:
        for i in range(5):
            enqueue(session, key=f"k{i}", channel="email", recipient="wangmin@example.gov.cn",
                    subject=f"测试邮件 {i}", payload={"text": f"正文 {i}", "html": f"<p>正文 {i}</p>"}, now=clock.now())
    # Server down: every message fails and waits with backoff; nothing is lost.
    report = deliver_due(factory, config, now=clock.now())
    assert (report.sent, report.retried) == (0, 5)
    assert _statuses(factory) == ["pending"] * 5
    clock.advance(seconds=10)  # not due yet: the backoff holds
    assert deliver_due(factory, config, now=clock.now()).claimed == 0
    clock.advance(seconds=25)
    assert deliver_due(factory, config, now=clock.now()).retried == 5  # still down: second attempt
    with smtp_server(port) as (_, sink):
        clock.advance(minutes=2)
        report = deliver_due(factory, config, now=clock.now())
        assert report.sent == 5
        for _ in range(3):  # more runs later send nothing again
            clock.advance(hours=1)
            assert deliver_due(factory, config, now=clock.now()).claimed == 0
    assert sorted(str(m["Subject"]) for m in sink.messages) == [f"测试邮件 {i}" for i in range(5)]
    assert len({m["Message-ID"] for m in sink.messages}) == 5
    assert _statuses(factory) == ["sent"] * 5


def test_a_temporary_refusal_retries_and_a_message_dies_after_max_attempts(factory, make_config, clock):
    with smtp_server() as (controller, sink):
        config = _config(make_config, controller.port, max_attempts=3, backoff_base="1m")
        with transaction(factory) as session:
            enqueue(session, key="a", channel="email", recipient="x@example.gov.cn", subject="s",
                    payload={"text": "t"}, now=clock.now())
        sink.refuse = True
        for expected in ("pending", "pending", "dead"):
            deliver_due(factory, config, now=clock.now())
            assert _statuses(factory) == [expected]
            clock.advance(hours=1)
        sink.refuse = False
        assert deliver_due(factory, config, now=clock.now()).claimed == 0
    assert sink.messages == []
    with factory() as session:
        row = session.scalars(select(Notification)).one()
        assert row.attempts == 3 and "451" in (row.last_error or "")


def test_backoff_doubles_up_to_the_maximum(make_config):
    config = make_config(notify={"backoff_base": "30s", "backoff_max": "5m"})
    assert [backoff(config, n).total_seconds() for n in (1, 2, 3, 4, 5, 6)] == [30, 60, 120, 240, 300, 300]


def test_outbox_dir_writes_eml_files_instead_of_sending(factory, make_config, clock, tmp_path):
    config = make_config(**alert_config_overrides(smtp={"outbox_dir": "outbox", "port": free_port()}))
    with transaction(factory) as session:
        event = seed_event(session, when=clock.now())
        raise_alerts(session, config, [event.id], now=clock.now())
    assert deliver_due(factory, config, now=clock.now()).sent == 1
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    assert b"Subject: =?utf-8?" in eml.read_bytes()
    assert "报告时限" in eml.with_suffix(".html").read_text(encoding="utf-8")


def test_an_expired_lease_is_claimed_again_and_the_stale_sender_cannot_settle_it(factory, make_config, clock):
    from pipeline.store.outbox import claim_due, mark_sent

    config = make_config()
    with transaction(factory) as session:
        enqueue(session, key="z", channel="email", recipient="x@example.gov.cn", subject="s", payload={},
                now=clock.now())
    with transaction(factory) as session:
        [first] = claim_due(session, now=clock.now(), lease_until=clock.now() + timedelta(minutes=5), limit=10)
        assert claim_due(session, now=clock.now(), lease_until=clock.now(), limit=10) == []  # held
    clock.advance(minutes=6)
    with transaction(factory) as session:
        [second] = claim_due(session, now=clock.now(), lease_until=clock.now() + timedelta(minutes=5), limit=10)
        assert second.attempts == first.attempts + 1
        assert not mark_sent(session, first, now=clock.now())  # the stale claim lost
        assert mark_sent(session, second, now=clock.now())
    assert _statuses(factory) == ["sent"]
    assert config.notify.lease == timedelta(minutes=5)
