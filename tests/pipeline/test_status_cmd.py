"""`yuqing status` after the daemon ran: next run and last result of every job, queue sizes,
source health, overdue alerts (the real program in a subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.alerting import raise_alerts
from pipeline.config import load_config
from pipeline.db import make_engine, session_factory, transaction
from tests.alerts.seeding import free_port, seed_event, smtp_server
from tests.pipeline.daemon_support import (
    REPO,
    DaemonProcess,
    list_source,
    news_site,
    scalar,
    seed_posts,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.slow


def _status(config: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "pipeline", "--config", str(config), "status"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_status_shows_jobs_queues_source_health_and_overdue_alerts(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    dead = f"http://127.0.0.1:{free_port()}/"
    with news_site() as site, smtp_server() as (controller, _):
        config = write_config(tmp_path, sqlite_url, smtp_port=controller.port, crawl={"unhealthy_after_failures": 1},
                              sources=[list_source("city-news", site.start_url, every="30m"),
                                       list_source("dead-forum", dead, every="30m")])
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            wait_until(lambda: scalar(engine, "SELECT count(*) FROM crawl_runs WHERE finished_at IS NOT NULL") == 2
                       and scalar(engine, "SELECT count(*) FROM job_runs WHERE job = 'notify' AND ok") >= 1,
                       60, what="both crawls and a notify run")
            running = _status(config)
            assert daemon.terminate() == 0
    cfg = load_config(config, environ={})
    with transaction(session_factory(engine)) as session:  # an alert raised 3 hours ago, never acknowledged
        event = seed_event(session, when=datetime.now(UTC) - timedelta(hours=3), title="网传二孩要罚款10万元")
        raise_alerts(session, cfg, [event.id], now=datetime.now(UTC) - timedelta(hours=3))
    seed_posts(sqlite_url, 7)
    out = _status(config)

    assert f"scheduler leader: {socket.gethostname()}:" in running
    assert "scheduler leader: (no daemon running)" in out
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in out.splitlines() if line.count("│") >= 4}
    for job in ("crawl:city-news", "crawl:dead-forum", "process", "notify", "escalate", "digest"):
        assert job in rows, out
        assert rows[job][0] != "-", f"{job}: next run missing\n{out}"
    assert rows["crawl:city-news"][2] == "ok"
    assert rows["crawl:dead-forum"][2].startswith("FAILED: failed")
    assert rows["digest"][1] == "-"  # never ran yet: 08:00 local
    assert rows["city-news"][0] == "ok" and rows["dead-forum"][0] == "UNHEALTHY"
    assert "failed 1 runs in a row" in rows["dead-forum"][3]
    assert "queues: 7 posts to process, 1 notifications to send, 0 undeliverable" in out
    assert "overdue alerts (1)" in out and "网传二孩要罚款10万元" in out and "王敏" in out
    engine.dispose()
