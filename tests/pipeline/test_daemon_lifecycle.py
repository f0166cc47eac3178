"""`yuqing run` as a service: one leader among several daemons, a clean stop on SIGTERM,
and runs missed during downtime run once after a restart (coalesce)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from pipeline.db import make_engine
from pipeline.scheduler import JOBS_TABLE
from tests.alerts.seeding import free_port
from tests.pipeline.daemon_support import DaemonProcess, fresh_postgres, scalar, wait_until, write_config

pytestmark = pytest.mark.slow

FAST = {"process": {"every": "1s"}}


def _runs(engine, job: str) -> int:  # type: ignore[no-untyped-def]
    return int(scalar(engine, f"SELECT count(*) FROM job_runs WHERE job = '{job}'"))


@pytest.mark.postgres
def test_two_daemons_one_leader_sigterm_stops_cleanly_and_the_other_takes_over(pg_migrated: str,
                                                                                tmp_path: Path) -> None:
    engine = fresh_postgres(pg_migrated)
    config = write_config(tmp_path, pg_migrated, sources=[], smtp_port=free_port(), **FAST)
    with DaemonProcess(config, tmp_path / "a.log") as a:
        wait_until(lambda: "leading: scheduler started" in a.log(), 60, what="the first daemon to lead")
        with DaemonProcess(config, tmp_path / "b.log") as b:
            wait_until(lambda: "daemon starting" in b.log(), 60, what="the second daemon to start")
            before = _runs(engine, "process")
            wait_until(lambda: _runs(engine, "process") >= before + 3, 30, what="jobs running under the leader")
            assert "leading" not in b.log() and "Running job" not in b.log()
            holder_a = scalar(engine, "SELECT holder FROM leases WHERE name = 'scheduler'")
            assert holder_a in a.log()

            assert a.terminate(timeout=30) == 0  # SIGTERM: running jobs finish, the lease is released
            assert "signal received" in a.log() and "daemon stopped" in a.log()
            assert "Traceback" not in a.log()
            wait_until(lambda: "leading: scheduler started" in b.log(), 30, what="the second daemon to take over")
            holder_b = scalar(engine, "SELECT holder FROM leases WHERE name = 'scheduler'")
            assert holder_b != holder_a and holder_b in b.log()
            taken_over = _runs(engine, "process")
            wait_until(lambda: _runs(engine, "process") > taken_over, 30, what="jobs running under the new leader")
            assert b.terminate(timeout=30) == 0
    assert scalar(engine, "SELECT count(*) FROM leases") == 0
    assert scalar(engine, "SELECT count(*) FROM job_runs WHERE finished_at IS NULL") == 0  # none cut short
    engine.dispose()


def test_runs_missed_during_downtime_run_once_after_restart(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    config = write_config(tmp_path, sqlite_url, sources=[], smtp_port=free_port(), **FAST)
    with DaemonProcess(config, tmp_path / "first.log") as first:
        wait_until(lambda: _runs(engine, "escalate") >= 1, 60, what="a first escalate run")
        assert first.terminate() == 0
    # The daemon stays down for 45 minutes: the one-minute escalate job misses 45 runs.
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    store.start(BackgroundScheduler(), "default")  # the stored jobs, read and written without running them
    job = store.lookup_job("escalate")
    assert job is not None
    job._modify(next_run_time=datetime.now(job.next_run_time.tzinfo) - timedelta(minutes=45))
    store.update_job(job)
    before = _runs(engine, "escalate")
    with DaemonProcess(config, tmp_path / "second.log") as second:
        wait_until(lambda: _runs(engine, "escalate") > before, 60, what="the missed escalate run")
        processes = _runs(engine, "process")
        wait_until(lambda: _runs(engine, "process") >= processes + 3, 30, what="a few more seconds of jobs")
        assert second.terminate() == 0
    assert _runs(engine, "escalate") == before + 1  # once, not 45 times, and not dropped
    assert r'\"escalate\": \"kept\"' in second.log()  # the stored next run time was kept
    engine.dispose()
