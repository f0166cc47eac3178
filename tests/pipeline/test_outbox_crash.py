"""A sender process killed with SIGKILL: the message is still sent, once, after a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.models import Notification
from pipeline.outbox import deliver_due
from tests.alerts.seeding import MailSink, alert_config_overrides, smtp_server
from tests.conftest import REPO

pytestmark = pytest.mark.slow

CHILD = r"""
import json, sys
from datetime import datetime
from pipeline.config import default_config
from pipeline.db import make_engine, session_factory, transaction
from pipeline.alerting import raise_alerts
from pipeline.outbox import deliver_due
from tests.alerts.seeding import seed_event

url, base, overrides, now, step = sys.argv[1:6]
config = default_config(base, **json.loads(overrides))
now = datetime.fromisoformat(now)
factory = session_factory(make_engine(url))
if step == "write":
    with transaction(factory) as session:
        event = seed_event(session, when=now)
        raise_alerts(session, config, [event.id], now=now)
    print("written", flush=True)
    sys.stdin.read()  # wait here, between writing and sending, until killed
else:
    print("sending", flush=True)
    deliver_due(factory, config, now=now)
    print("returned", flush=True)
"""


def _child(db_url: str, tmp_path: Path, overrides: dict, now: str, step: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(tmp_path), json.dumps(overrides), now, step],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)


def _rows(factory) -> list[tuple[str, int]]:
    with factory() as session:
        return [tuple(r) for r in session.execute(select(Notification.status, Notification.attempts))]


def _overrides(port: int) -> dict:
    return alert_config_overrides(smtp={"host": "127.0.0.1", "port": port, "timeout": "30s"},
                                  notify={"lease": "5m"})


def test_killed_between_writing_and_sending_then_sent_once(db_url, factory, make_config, tmp_path, clock):
    with smtp_server() as (controller, sink):
        overrides = _overrides(controller.port)
        child = _child(db_url, tmp_path, overrides, clock.now().isoformat(), "write")
        assert child.stdout is not None and child.stdout.readline().strip() == "written"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        assert _rows(factory) == [("pending", 0)]  # written before anything was sent
        config = make_config(**overrides)
        assert deliver_due(factory, config, now=clock.now()).sent == 1
        assert deliver_due(factory, config, now=clock.now() + timedelta(hours=1)).claimed == 0
    assert len(sink.messages) == 1 and "舆情预警" in str(sink.messages[0]["Subject"])


def test_killed_in_the_middle_of_sending_then_sent_once_after_the_lease(db_url, factory, make_config, tmp_path,
                                                                         clock):
    import asyncio

    from sqlalchemy.orm import Session

    from pipeline.db import transaction
    from pipeline.store.outbox import enqueue

    sink = MailSink(hold=asyncio.Event())
    with smtp_server(sink=sink) as (controller, _):
        overrides = _overrides(controller.port)
        session: Session
        with transaction(factory) as session:
            enqueue(session, key="crash-1", channel="email", recipient="wangmin@example.gov.cn",
                    subject="中途被杀的邮件", payload={"text": "正文"}, now=clock.now())
        child = _child(db_url, tmp_path, overrides, clock.now().isoformat(), "send")
        assert child.stdout is not None and child.stdout.readline().strip() == "sending"
        # Wait (bounded; an event, not a timed sleep) until the server holds the mail's DATA.
        assert sink.data_started.wait(timeout=30)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        # The server never said 250: let its handler go on; the dropped connection cancels it.
        controller.loop.call_soon_threadsafe(sink.hold.set)  # type: ignore[union-attr]
        _wait_for_server_idle(controller)
        assert sink.messages == []
        assert _rows(factory) == [("sending", 1)]  # the dead sender's claim
        config = make_config(**overrides)
        assert deliver_due(factory, config, now=clock.now() + timedelta(minutes=1)).claimed == 0  # lease holds
        report = deliver_due(factory, config, now=clock.now() + timedelta(minutes=6))
        assert report.sent == 1
        assert deliver_due(factory, config, now=clock.now() + timedelta(hours=2)).claimed == 0
    assert [str(m["Subject"]) for m in sink.messages] == ["中途被杀的邮件"]
    assert _rows(factory) == [("sent", 2)]


def _wait_for_server_idle(controller) -> None:
    """Run one round-trip through the server's event loop so the cancelled handler has finished."""
    done = threading.Event()
    controller.loop.call_soon_threadsafe(lambda: controller.loop.call_soon(done.set))
    assert done.wait(timeout=10)
