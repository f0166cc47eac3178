"""`yuqing run`: an APScheduler 3 daemon with a persistent job store and leader election.

Jobs live in the ``apscheduler_jobs`` table of the configured database, so runs missed
while the daemon was down are run once after a restart (``coalesce`` with a generous
``misfire_grace_time``; APScheduler's default of one second would drop them). Each job
has ``max_instances=1``: it never runs twice at once. Several daemons may be started
on one database for availability; only the holder of the ``scheduler`` lease runs the
scheduler, the others wait to take over when its lease expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from pipeline.config import Config
from pipeline.db import transaction
from pipeline.jobs import DB_ERRORS, Runtime, bind_runtime
from pipeline.procs import pid_alive
from pipeline.store.jobs import acquire_lease, lease_holder, release_lease, take_lease

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
LEASE_NAME = "scheduler"
MISFIRE_GRACE_S = 3600
DAILY_GRACE_S = 12 * 3600  # daily jobs: a daemon back at 10:00 still sends the 08:00 digest, not the next morning
CATCH_UP_JOBS = ("process", "notify")
RETENTION_AT = (3, 30)  # local hour and minute of the daily retention job: a quiet time


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    trigger: BaseTrigger
    kwargs: dict[str, Any]
    misfire_grace_s: int = MISFIRE_GRACE_S


def job_specs(config: Config) -> list[JobSpec]:
    """Every job the config asks for, with its trigger in the configured timezone."""
    tz = config.tz
    specs: list[JobSpec] = []
    for source in config.sources:
        if not source.enabled:
            continue
        trigger: BaseTrigger
        if source.cron:
            trigger = CronTrigger.from_crontab(source.cron, timezone=tz)
        else:
            every = source.schedule_every or timedelta(minutes=10)
            trigger = IntervalTrigger(seconds=int(every.total_seconds()), timezone=tz)
        if source.kind == "import":
            specs.append(JobSpec(f"import:{source.name}", "pipeline.jobs:import_job", trigger,
                                 {"source": source.name}))
        else:
            specs.append(JobSpec(f"crawl:{source.name}", "pipeline.jobs:crawl_job", trigger,
                                 {"source": source.name}))
    process_every = int(config.process.every.total_seconds())
    specs += [
        JobSpec("process", "pipeline.jobs:process_job", IntervalTrigger(seconds=process_every, timezone=tz), {}),
        JobSpec("notify", "pipeline.jobs:notify_job", IntervalTrigger(seconds=30, timezone=tz), {}),
        JobSpec("escalate", "pipeline.jobs:escalate_job", IntervalTrigger(seconds=60, timezone=tz), {}),
        JobSpec("digest", "pipeline.jobs:digest_job",
                CronTrigger(hour=config.digest.time.hour, minute=config.digest.time.minute, timezone=tz), {},
                misfire_grace_s=DAILY_GRACE_S),
        JobSpec("retention", "pipeline.jobs:retention_job",
                CronTrigger(hour=RETENTION_AT[0], minute=RETENTION_AT[1], timezone=tz), {},
                misfire_grace_s=DAILY_GRACE_S),
    ]
    reports, at = config.reports, config.reports.time
    if reports.weekly_day is not None:
        specs.append(JobSpec("report:weekly", "pipeline.jobs:report_job",
                             CronTrigger(day_of_week=reports.weekly_day, hour=at.hour, minute=at.minute, timezone=tz),
                             {"kind": "weekly"}, misfire_grace_s=DAILY_GRACE_S))
    if reports.monthly_day is not None:
        specs.append(JobSpec("report:monthly", "pipeline.jobs:report_job",
                             CronTrigger(day=reports.monthly_day, hour=at.hour, minute=at.minute, timezone=tz),
                             {"kind": "monthly"}, misfire_grace_s=DAILY_GRACE_S))
    return specs


class ResilientScheduler(BackgroundScheduler):
    """A BackgroundScheduler whose loop survives a database outage.

    APScheduler guards only the job store's ``get_due_jobs``; an error in ``update_job`` or
    ``get_next_run_time`` (the database went away between two queries) would end its
    thread silently and no job would run again. Here such a pass is retried after
    ``jobstore_retry_interval``; a job whose new next run time was not stored then fires
    once more (coalesced, never twice at once), which the jobs tolerate: their work is
    driven by what is stored.
    """

    def _process_jobs(self) -> float | None:
        try:
            wait: float | None = super()._process_jobs()
        except DB_ERRORS as exc:
            log.error("scheduler: job store unavailable; retrying",
                      extra={"error": str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc),
                             "retry_s": self.jobstore_retry_interval})
            return float(self.jobstore_retry_interval)
        return wait

    def alive(self) -> bool:
        thread = getattr(self, "_thread", None)
        return bool(self.running and thread is not None and thread.is_alive())


def build_scheduler(runtime: Runtime, *, workers: int = 4) -> ResilientScheduler:
    store = SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBS_TABLE)
    return ResilientScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_S},
        timezone=runtime.config.tz,
        jobstore_retry_interval=5,
    )


def sync_jobs(scheduler: BackgroundScheduler, specs: list[JobSpec], *, now: datetime | None = None
              ) -> dict[str, str]:
    """Make the stored jobs match the config. Unchanged jobs keep their next run time, so a
    run missed during downtime still fires once; changed ones are replaced; stale ones go.
    New or changed interval jobs first run at ``now`` (a fresh daemon crawls at once instead
    of one interval later); cron jobs (the digest) wait for their time."""
    wanted = {spec.id: spec for spec in specs}
    changes: dict[str, str] = {}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            changes[job.id] = "removed"
    existing = {job.id: job for job in scheduler.get_jobs()}
    for spec in specs:
        job = existing.get(spec.id)
        if job is not None and str(job.trigger) == str(spec.trigger) and job.func_ref == spec.func \
                and job.kwargs == spec.kwargs and job.misfire_grace_time == spec.misfire_grace_s:
            changes[spec.id] = "kept"
            continue
        first: dict[str, Any] = {}
        if now is not None and isinstance(spec.trigger, IntervalTrigger):
            first["next_run_time"] = now
        scheduler.add_job(spec.func, spec.trigger, id=spec.id, name=spec.id, kwargs=spec.kwargs,
                          misfire_grace_time=spec.misfire_grace_s, replace_existing=True, **first)
        changes[spec.id] = "replaced" if job is not None else "added"
    return changes


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Daemon:
    """Leads (runs the scheduler) while it holds the lease; stops cleanly on `stop()`."""

    def __init__(self, runtime: Runtime, *, lease_ttl: timedelta = timedelta(seconds=30)) -> None:
        self.runtime = runtime
        self.lease_ttl = lease_ttl
        self.holder = holder_id()
        self.scheduler: ResilientScheduler | None = None
        self.leading = False
        self._last_renewed = 0.0

    def trigger(self, job_id: str) -> None:
        """Run a job as soon as possible (e.g. process right after a crawl)."""
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return
        job = scheduler.get_job(job_id)
        if job is not None:
            job.modify(next_run_time=datetime.now(self.runtime.config.tz))

    def stop(self) -> None:
        self.runtime.stopping.set()

    def run(self) -> None:
        """Block until `stop()`: take the lease, run the scheduler while holding it."""
        rt = self.runtime
        rt.trigger = self.trigger
        bind_runtime(rt)
        renew_every = self.lease_ttl.total_seconds() / 3
        log.info("daemon starting", extra={"holder": self.holder})
        try:
            while not rt.stopping.is_set():
                held = self._renew()
                if self.leading and self.scheduler is not None and not self.scheduler.alive():
                    log.error("scheduler thread died; restarting it", extra={"holder": self.holder})
                    self._follow()
                if held and not self.leading:
                    self._lead()
                elif not held and self.leading:
                    log.warning("lost the scheduler lease; pausing", extra={"holder": self.holder})
                    self._follow()
                rt.stopping.wait(renew_every)
        finally:
            self._follow()
            self._release()
            bind_runtime(None)
            log.info("daemon stopped", extra={"holder": self.holder})

    def _renew(self) -> bool:
        try:
            with transaction(self.runtime.factory) as session:
                held = acquire_lease(session, LEASE_NAME, self.holder, self.lease_ttl)
                if not held:
                    held = self._take_from_dead_holder(session)
        except DB_ERRORS as exc:
            log.error("cannot renew the scheduler lease", extra={"error": str(exc).splitlines()[0]})
            # Keep leading through a short outage, but never past the lease: by then another
            # daemon may have taken over.
            margin = self.lease_ttl.total_seconds() * 2 / 3
            return self.leading and time.monotonic() - self._last_renewed < margin
        if held:
            self._last_renewed = time.monotonic()
        return held

    def _take_from_dead_holder(self, session: Session) -> bool:
        """Take the lease at once from a daemon of this machine whose process is gone (SIGKILL, crash),
        instead of waiting for it to expire. Daemons on other machines are left to the expiry."""
        holder = lease_holder(session, LEASE_NAME)
        if holder is None:
            return False
        host, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        if host != socket.gethostname() or not pid.isdigit() or pid_alive(int(pid)):
            return False
        taken = take_lease(session, LEASE_NAME, holder, self.holder, self.lease_ttl)
        if taken:
            log.warning("took the lease of a dead daemon", extra={"holder": self.holder, "dead_holder": holder})
        return taken

    def _lead(self) -> None:
        scheduler = build_scheduler(self.runtime)
        scheduler.start(paused=True)
        try:
            changes = sync_jobs(scheduler, job_specs(self.runtime.config),
                                now=datetime.now(self.runtime.config.tz))
        except DB_ERRORS as exc:
            log.error("cannot load the jobs: database unavailable; retrying",
                      extra={"holder": self.holder, "error": str(exc).strip().splitlines()[0]})
            scheduler.shutdown(wait=False)
            return
        log.info("leading: scheduler started", extra={"holder": self.holder, "jobs": changes})
        self.scheduler = scheduler
        self.leading = True
        scheduler.resume()
        for job_id in CATCH_UP_JOBS:  # work left by a previous daemon is done now, not at the next interval
            if changes.get(job_id) == "kept":
                try:
                    self.trigger(job_id)
                except DB_ERRORS as exc:
                    log.warning("could not trigger a catch-up run", extra={"job": job_id, "error": str(exc)})

    def _follow(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)  # running jobs finish; their transactions commit or roll back
            self.scheduler = None
        self.leading = False

    def _release(self) -> None:
        try:
            with transaction(self.runtime.factory) as session:
                release_lease(session, LEASE_NAME, self.holder)
        except DB_ERRORS as exc:
            log.warning("could not release the lease; it expires by itself", extra={"error": str(exc)})



def install_signal_handlers(daemon: Daemon) -> None:
    """SIGINT and SIGTERM stop the daemon cleanly (from the main thread only)."""
    import signal

    def _stop(signum: int, _frame: object) -> None:
        log.warning("signal received; stopping after running jobs finish", extra={"signal": signum})
        daemon.stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
