"""Alert notifications through the outbox to a robot webhook on a real local HTTP server."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.alerting import raise_alerts
from pipeline.db import transaction
from pipeline.models import Notification
from pipeline.outbox import deliver_due
from pipeline.store.outbox import enqueue
from tests.alerts.seeding import alert_config_overrides, config_with_env, free_port, seed_event, webhook_server


def _config(tmp_path, url: str, kind: str):
    monitors = [{"name": "王敏", "email": "wangmin@example.gov.cn", "topics": ["fertility-policy"],
                 "webhooks": ["office"]}]
    return config_with_env(tmp_path, {"HOOK": url}, **alert_config_overrides(
        monitors=monitors, webhooks=[{"name": "office", "kind": kind, "url": "${HOOK}"}],
        smtp={"outbox_dir": "outbox", "port": free_port()}))


def test_an_alert_reaches_the_wecom_robot_once(factory, tmp_path, clock):
    with webhook_server() as (url, log):
        config = _config(tmp_path, url + "/cgi-bin/webhook/send?key=k", "wecom")
        with transaction(factory) as session:
            event = seed_event(session, when=clock.now(), title="网传**二孩**罚款[链接](http://x)")
            raise_alerts(session, config, [event.id], now=clock.now())
        assert deliver_due(factory, config, now=clock.now()).sent == 2  # mail (to a file) + robot
        assert deliver_due(factory, config, now=clock.now()).claimed == 0
    [body] = log.bodies()
    content = body["markdown"]["content"]
    assert body["msgtype"] == "markdown" and "报告时限" in content and "王敏" in content
    assert "**二孩**" not in content and "](http://x)" not in content  # crawled markdown neutralised


def test_a_split_message_resumes_after_the_part_that_failed(factory, tmp_path, clock):
    with webhook_server() as (url, log):
        config = _config(tmp_path, url, "wecom")
        long_md = "\n".join(f"第{i}行 网传信息摘要" * 20 for i in range(60))
        with transaction(factory) as session:
            enqueue(session, key="wh-1", channel="webhook:office", recipient="office", subject="长消息",
                    payload={"markdown": long_md, "grade": "III"}, now=clock.now())
        log.replies = [(200, {"errcode": 0}), (200, {"errcode": 45009, "errmsg": "freq"})]
        first = deliver_due(factory, config, now=clock.now())
        assert (first.sent, first.retried) == (0, 1)
        with factory() as session:
            row = session.scalars(select(Notification)).one()
            assert row.payload["parts_sent"] == 1 and row.status == "pending"
        clock.advance(hours=1)
        assert deliver_due(factory, config, now=clock.now()).sent == 1
    parts = log.bodies()
    assert len(parts) >= 3
    assert len({p["markdown"]["content"] for p in parts}) == len(parts)  # no part twice
