"""Job runs (for `yuqing status`) and leases (one daemon leads, the others wait)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.models import JobRun, Lease, utcnow

KEEP_RUNS_PER_JOB = 50


def start_job_run(session: Session, job: str, *, now: datetime | None = None) -> JobRun:
    run = JobRun(job=job, started_at=now or utcnow())
    session.add(run)
    session.flush()
    return run


def finish_job_run(session: Session, run_id: int, *, ok: bool, message: str | None = None,
                   stats: dict[str, Any] | None = None, now: datetime | None = None) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id).values(
        finished_at=now or utcnow(), ok=ok, message=message, stats=stats or {}))
    old = select(JobRun.id).where(JobRun.job == select(JobRun.job).where(JobRun.id == run_id).scalar_subquery()) \
        .order_by(JobRun.id.desc()).offset(KEEP_RUNS_PER_JOB)
    session.execute(delete(JobRun).where(JobRun.id.in_(list(session.scalars(old)))))


def last_runs(session: Session) -> dict[str, JobRun]:
    """The newest run of every job."""
    newest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    rows = session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job: run for run in rows}


def acquire_lease(session: Session, name: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another holder's lease runs.

    The conditional UPDATE is atomic on both SQLite and PostgreSQL, so two daemons
    racing for an expired lease cannot both win.
    """
    now = now or utcnow()
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(Lease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def take_lease(session: Session, name: str, old_holder: str, new_holder: str, ttl: timedelta, *,
               now: datetime | None = None) -> bool:
    """Take the lease from ``old_holder`` (known to be dead); False if it changed hands meanwhile."""
    now = now or utcnow()
    taken = session.execute(update(Lease).where(Lease.name == name, Lease.holder == old_holder)
                            .values(holder=new_holder, expires_at=now + ttl))
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def release_lease(session: Session, name: str, holder: str) -> None:
    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def lease_holder(session: Session, name: str, *, now: datetime | None = None) -> str | None:
    lease = session.get(Lease, name)
    if lease is None or lease.expires_at < (now or utcnow()):
        return None
    return lease.holder
