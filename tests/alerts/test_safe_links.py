"""Links in alert mails, webhook messages and digests are http(s) or not links at all (exports
are plain text: CSV/JSONL/XLSX cells, never links; tests/review/test_security.py keeps them verbatim)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from alerts.channels.webhook import build_bodies
from alerts.messages import render_alert_message
from pipeline.alerting import alert_view
from pipeline.db import make_engine, session_factory
from pipeline.digest import build_digest
from tests.review.builders import NOW, add_alert, add_event, add_item, add_users

BAD = ["javascript:alert(document.domain)//a", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="]


def _no_bad_links(text: str) -> None:
    assert "javascript:" not in text.lower() and "data:text" not in text.lower()


@pytest.fixture
def hostile_alert(make_config, sqlite_url):  # type: ignore[no-untyped-def]
    """An alert whose posts were stored with script links (before this check, or by an old version)."""
    config = make_config(review={"base_url": "https://yuqing.example.org"},
                         monitors=[{"name": "mon", "email": "mon@example.org"}])
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        add_users(s)
        event = add_event(s, title="补贴发放")
        for i, url in enumerate([*BAD, "https://news.example.cn/a.html"]):
            add_item(s, title=f"帖子{i}", url=url, event=event, negative=0.9 - i / 10)
        alert_id = add_alert(s, event).id
    yield config, factory, alert_id
    engine.dispose()


def test_mail_and_webhook_bodies_carry_no_script_links(hostile_alert) -> None:  # type: ignore[no-untyped-def]
    config, factory, alert_id = hostile_alert
    from pipeline.models import Alert

    with factory() as s:
        message = render_alert_message(alert_view(s, config, s.get_one(Alert, alert_id), "new"))
    for text in (message.html, message.text, message.markdown, json.dumps(message.fields, ensure_ascii=False)):
        _no_bad_links(text)
    assert '<a href="https://news.example.cn/a.html">' in message.html
    assert "帖子0" in message.html and "帖子1" in message.html, "the posts are still shown, as plain text"
    for kind in ("dingtalk", "wecom", "feishu", "generic"):
        bodies = build_bodies(kind, title=message.subject, markdown=message.markdown, fields=message.fields)
        _no_bad_links(json.dumps(bodies, ensure_ascii=False))


def test_the_digest_carries_no_script_links(hostile_alert) -> None:  # type: ignore[no-untyped-def]
    config, factory, _ = hostile_alert
    with factory() as s:
        digest = build_digest(s, config, (NOW - timedelta(hours=1)).astimezone(config.tz).date())
        _no_bad_links(digest.html + digest.text)
