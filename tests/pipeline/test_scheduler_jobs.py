"""The jobs `yuqing run` schedules, stored in the database and kept in step with the config.

In-process against the real APScheduler SQLAlchemy job store (SQLite and PostgreSQL); the
scheduler stays paused and every run time is in the future, so nothing runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, inspect, text

from pipeline.scheduler import DAILY_GRACE_S, JOBS_TABLE, MISFIRE_GRACE_S, job_specs, sync_jobs


def _source(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "list", "start_urls": [f"https://{name}.example.cn/"], **extra}


def _paused(engine: Engine, tz: Any) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": MISFIRE_GRACE_S}, timezone=tz)
    scheduler.start(paused=True)
    return scheduler


def test_sync_keeps_unchanged_jobs_and_their_next_runs(engine: Engine, make_config) -> None:  # type: ignore[no-untyped-def]
    config = make_config(sources=[_source("news", every="10m"), _source("forum", cron="*/20 * * * *"),
                                  _source("off", every="1m", enabled=False)],
                         process={"every": "2m"}, digest={"time": "08:30"})
    tz = config.tz
    start = datetime.now(tz).replace(microsecond=0) + timedelta(days=1)
    with engine.begin() as conn:  # jobs a daemon test left in the session's PostgreSQL database
        if inspect(engine).has_table(JOBS_TABLE):
            conn.execute(text(f"DELETE FROM {JOBS_TABLE}"))
    scheduler = _paused(engine, tz)
    try:
        changes = sync_jobs(scheduler, job_specs(config), now=start)
        assert changes == {"crawl:news": "added", "crawl:forum": "added", "process": "added", "notify": "added",
                           "escalate": "added", "digest": "added", "retention": "added", "report:weekly": "added",
                           "report:monthly": "added"}
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert jobs["crawl:news"].next_run_time == start  # interval jobs run as soon as a daemon starts
        assert jobs["process"].next_run_time == start
        forum_next = jobs["crawl:forum"].next_run_time
        assert forum_next.minute % 20 == 0 and forum_next.second == 0  # cron waits for its time
        digest_next = jobs["digest"].next_run_time
        assert (digest_next.hour, digest_next.minute) == (8, 30) and digest_next.utcoffset() == timedelta(hours=8)
        assert jobs["digest"].misfire_grace_time == DAILY_GRACE_S
        retention_next = jobs["retention"].next_run_time
        assert (retention_next.hour, retention_next.minute) == (3, 30)  # daily, at a quiet local hour
        assert jobs["retention"].misfire_grace_time == DAILY_GRACE_S  # a daemon down at 03:30 still prunes
        weekly, monthly = jobs["report:weekly"].next_run_time, jobs["report:monthly"].next_run_time
        assert (weekly.weekday(), weekly.hour, monthly.day, monthly.hour) == (0, 9, 1, 9)  # Mondays, the 1st, 09:00
        assert jobs["report:weekly"].kwargs == {"kind": "weekly"}
        assert {j.misfire_grace_time for i, j in jobs.items()
                if i not in ("digest", "retention", "report:weekly", "report:monthly")} == {MISFIRE_GRACE_S}
        assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
        assert jobs["crawl:news"].func_ref == "pipeline.jobs:crawl_job" and jobs["crawl:news"].kwargs == {
            "source": "news"}

        later = start + timedelta(hours=3)
        scheduler.modify_job("crawl:news", next_run_time=later)  # as a past run left it
        again = sync_jobs(scheduler, job_specs(config), now=start + timedelta(hours=1))
        assert set(again.values()) == {"kept"}
        assert scheduler.get_job("crawl:news").next_run_time == later  # a restart keeps the schedule

        changed = make_config(sources=[_source("news", every="5m"), _source("weibo", every="1m")],
                              process={"every": "2m"}, digest={"time": "08:30"})
        third = sync_jobs(scheduler, job_specs(changed), now=start + timedelta(hours=2))
        assert third == {"crawl:forum": "removed", "crawl:news": "replaced", "crawl:weibo": "added",
                         "process": "kept", "notify": "kept", "escalate": "kept", "digest": "kept",
                         "retention": "kept", "report:weekly": "kept", "report:monthly": "kept"}
        assert str(scheduler.get_job("crawl:news").trigger) == "interval[0:05:00]"
        assert scheduler.get_job("crawl:news").next_run_time == start + timedelta(hours=2)
    finally:
        scheduler.shutdown(wait=False)
