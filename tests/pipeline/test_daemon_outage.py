"""The database locked (SQLite) or unreachable (PostgreSQL) while `yuqing run` runs.

Jobs fail and are logged while the database is away, the scheduler's loop survives, and
once it is back the jobs catch up: every post stored meanwhile is analysed exactly once
and its alert mailed exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from pipeline.db import make_engine, session_factory
from pipeline.store.posts import add_posts
from tests.alerts.seeding import smtp_server
from tests.pipeline.daemon_support import (
    DaemonProcess,
    TcpProxy,
    build_posts,
    fresh_postgres,
    scalar,
    seed_posts,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.slow

PROCESSED = "SELECT count(*) FROM posts WHERE processed_at IS NOT NULL"
FAST_JOBS = {"process": {"every": "2s", "batch_size": 50}}


def _ran_ok(engine, job: str) -> int:  # type: ignore[no-untyped-def]
    return int(scalar(engine, f"SELECT count(*) FROM job_runs WHERE job = '{job}' AND ok"))


def _caught_up(engine, posts: int, sink) -> bool:  # type: ignore[no-untyped-def]
    return bool(scalar(engine, PROCESSED) == posts and sink.messages
                and scalar(engine, "SELECT count(*) FROM notifications WHERE status <> 'sent'") == 0)


def test_sqlite_locked_for_a_while_jobs_retry_and_catch_up(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url, busy_timeout_s=1)
    with smtp_server() as (controller, sink):
        config = write_config(tmp_path, sqlite_url, sources=[], smtp_port=controller.port, **FAST_JOBS)
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            wait_until(lambda: _ran_ok(engine, "process") >= 1, 60, what="a first process run")
            # Another connection holds a write transaction (in WAL mode EXCLUSIVE is the same lock):
            # it stores 300 posts, among them a rumour, and keeps the database locked for a while.
            holder = engine.connect()
            add_posts(session_factory(holder)(), build_posts(300, rumours=1))  # type: ignore[arg-type]
            wait_until(lambda: daemon.log().count("database is locked") >= 3, 60, what="jobs failing on the lock")
            assert scalar(engine, "SELECT count(*) FROM posts") == 0  # still uncommitted
            holder.commit()
            holder.close()
            wait_until(lambda: _caught_up(engine, 300, sink), 60, what="processing and mail to catch up")
            assert daemon.running(), daemon.log()
            assert daemon.terminate() == 0
        log = daemon.log()
    assert "job failed; it will retry on its next run" in log or "job cannot start" in log
    assert "Traceback" not in log, log
    assert scalar(engine, "SELECT count(*) FROM analyses") == 300
    assert scalar(engine, "SELECT count(DISTINCT post_id) FROM analyses") == 300
    assert scalar(engine, "SELECT count(*) FROM alerts") == 1
    assert [str(m["Subject"]).count("舆情预警") for m in sink.messages] == [1]
    engine.dispose()


@pytest.mark.postgres
def test_postgres_unreachable_for_a_while_jobs_retry_and_catch_up(pg_migrated: str, tmp_path: Path) -> None:
    engine = fresh_postgres(pg_migrated)
    url = make_url(pg_migrated)
    proxy = TcpProxy(url.port or 5432)
    proxy.start()
    through_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
    try:
        with smtp_server() as (controller, sink):
            config = write_config(tmp_path, through_proxy, sources=[], smtp_port=controller.port, **FAST_JOBS)
            with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
                wait_until(lambda: _ran_ok(engine, "process") >= 1, 60, what="a first process run")
                proxy.stop()  # the daemon's connections are cut and new ones refused
                seed_posts(pg_migrated, 300, rumours=1)  # stored meanwhile (say, by a crawler elsewhere)
                wait_until(lambda: daemon.log().count("Connection refused") >= 3, 60,
                           what="jobs failing while the database is unreachable")
                assert scalar(engine, PROCESSED) == 0
                proxy.start()
                wait_until(lambda: _caught_up(engine, 300, sink), 60, what="processing and mail to catch up")
                assert daemon.running(), daemon.log()
                assert daemon.terminate() == 0
            log = daemon.log()
    finally:
        proxy.stop()
    assert "Traceback" not in log, log
    assert scalar(engine, "SELECT count(*) FROM analyses") == 300
    assert scalar(engine, "SELECT count(DISTINCT post_id) FROM analyses") == 300
    assert scalar(engine, "SELECT count(*) FROM alerts") == 1
    assert len(sink.messages) == 1
    engine.dispose()
