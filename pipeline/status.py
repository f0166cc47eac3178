"""What `yuqing status` reports, gathered from the database in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from pipeline.models import Alert, Event, Source
from pipeline.scheduler import JOBS_TABLE, LEASE_NAME
from pipeline.store.jobs import last_runs, lease_holder
from pipeline.store.outbox import status_counts
from pipeline.store.posts import unprocessed_count


@dataclass
class JobStatus:
    name: str
    next_run: datetime | None = None
    last_run: datetime | None = None
    ok: bool | None = None
    message: str | None = None


@dataclass
class OverdueAlert:
    id: int
    grade: str
    title: str
    monitor: str | None
    due_at: datetime


@dataclass
class StatusReport:
    leader: str | None
    jobs: list[JobStatus] = field(default_factory=list)
    pending_posts: int = 0
    pending_notifications: int = 0
    dead_notifications: int = 0
    sources: list[Source] = field(default_factory=list)
    # configured sources with no crawl yet (a fresh database): listed too, as "not crawled yet"
    uncrawled: list[str] = field(default_factory=list)
    overdue: list[OverdueAlert] = field(default_factory=list)


def _next_runs(engine: Engine) -> dict[str, datetime | None]:
    if not inspect(engine).has_table(JOBS_TABLE):
        return {}
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE}"))
        return {job_id: (datetime.fromtimestamp(ts, UTC) if ts is not None else None) for job_id, ts in rows}


def collect_status(engine: Engine, factory: sessionmaker[Session], *, now: datetime,
                   configured: Sequence[str] = ()) -> StatusReport:
    """Everything `yuqing status` shows; ``configured`` are the config's source names."""
    next_runs = _next_runs(engine)
    with factory() as session:
        report = StatusReport(leader=lease_holder(session, LEASE_NAME, now=now))
        runs = last_runs(session)
        for name in sorted(set(next_runs) | set(runs)):
            run = runs.get(name)
            report.jobs.append(JobStatus(name=name, next_run=next_runs.get(name),
                                         last_run=run.started_at if run else None,
                                         ok=run.ok if run else None, message=run.message if run else None))
        report.pending_posts = unprocessed_count(session)
        outbox = status_counts(session)
        report.pending_notifications = outbox.get("pending", 0) + outbox.get("sending", 0)
        report.dead_notifications = outbox.get("dead", 0)
        report.sources = list(session.scalars(select(Source).order_by(Source.name)))
        known = {s.name for s in report.sources}
        report.uncrawled = sorted(name for name in configured if name not in known)
        rows = session.execute(
            select(Alert.id, Alert.grade, Event.title, Alert.monitor, Alert.due_at)
            .join(Event, Event.id == Alert.event_id)
            .where(Alert.status == "new", Alert.due_at < now).order_by(Alert.due_at)
        )
        report.overdue = [OverdueAlert(*row) for row in rows]
    return report
