"""`yuqing process`: analyse new posts, update events, raise alerts, queue notifications.

Work is claimed in batches. A claim marks posts with the worker's id and a time; on
PostgreSQL the claiming query skips rows another worker has locked (``FOR UPDATE SKIP
LOCKED``), so several workers on several machines share the queue. A batch is written in
two transactions: first its event assignment, in step with the other workers
(:func:`pipeline.event_sync.assign_in_step`: stamps and event links only), then, in parallel
with them, everything else it produces (analyses, event statistics, alerts, outbox rows,
``processed_at``). A batch interrupted anywhere leaves no analysis, alert or mail behind;
its claim expires after `CLAIM_LEASE` (or sooner, see `release_dead_claims`), and any worker
redoes it, keeping the stamps and event links already made. Analyses are unique per (post,
model version) and alerts per event, so a redo cannot duplicate them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from nlp.analyze import Analysis as NlpAnalysis
from nlp.analyze import Analyzer, PostInput
from nlp.events import EventClusterer
from nlp.stories import STORY_WINDOW, StoryIndex
from pipeline.config import Config
from pipeline.db import transaction
from pipeline.event_sync import assign_in_step, sync_index, take_ticket
from pipeline.events import BIG_EVENT_REFRESH, lock_events, refresh_events, split_due
from pipeline.models import Analysis, Event, Notification, Post, Source, utcnow
from pipeline.procs import pid_alive

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class ProcessReport:
    claimed: int = 0
    analysed: int = 0
    relevant: int = 0
    events: int = 0
    alerts: int = 0
    notifications: int = 0
    batches: int = 0
    seconds: float = 0.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def load_analyzer(config: Config) -> Analyzer:
    """The NLP analyzer for this config (topics, models, event window). Models load lazily."""
    models_dir = config.path(config.nlp.models_dir) if config.nlp.models_dir else None
    stories = (StoryIndex(config.process.story_threshold, min(config.process.event_window, STORY_WINDOW),
                          max_stories=max(1000, config.process.event_index_posts // 5))
               if config.process.story_threshold > 0 else None)
    events = EventClusterer(window=config.process.event_window, max_items=config.process.event_index_posts,
                            stories=stories)
    return Analyzer.load(config.topics, models_dir, relevance_threshold=config.nlp.relevance_threshold,
                         events=events)


def rebuild_event_index(factory: sessionmaker[Session], config: Config, analyzer: Analyzer,
                        *, now: datetime) -> int:
    """Replay the processed posts of the event window into a fresh copy of the analyzer's clusterer.

    Done once when a worker starts, so new posts join the events that already exist (the first
    batch would otherwise do it); returns the number of posts replayed.
    """
    analyzer.events.applied_seq = None
    with transaction(factory) as session:
        ticket = take_ticket(session)
        return sync_index(session, analyzer, ticket, now=now, window=config.process.event_window)


def claim_batch(session: Session, worker: str, limit: int, *, now: datetime,
                lease: timedelta = CLAIM_LEASE) -> list[int]:
    """Claim up to ``limit`` unprocessed posts whose claim is free or older than ``lease``; returns their ids."""
    stale = now - lease
    free = and_(Post.processed_at.is_(None), or_(Post.claimed_at.is_(None), Post.claimed_at < stale))
    # Ordered by (processed_at, id), the columns of ix_posts_unprocessed, not by id alone: with
    # stale statistics PostgreSQL otherwise walks the primary key past every processed post
    # (290 ms a claim after 330,000 posts). processed_at is NULL here, so the order is by id.
    candidates = select(Post.id).where(free).order_by(Post.processed_at, Post.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # One statement, so the claim is atomic on SQLite too (its writers are serialised).
    claimed = session.scalars(
        update(Post).where(Post.id.in_(candidates.scalar_subquery()))
        .values(claimed_by=worker, claimed_at=now).returning(Post.id)
    )
    return sorted(claimed)


def release_dead_claims(session: Session) -> int:
    """Free the claims of this machine's workers whose process is gone (killed, crashed).

    Without this, a batch claimed by a worker that was SIGKILLed waits for the claim lease
    before anyone redoes it. Workers on other machines are left to the lease. Freeing a claim
    is always safe: a worker commits only posts still claimed by itself.
    """
    prefix = f"{socket.gethostname()}:"
    holders = session.scalars(select(Post.claimed_by).distinct().where(
        Post.processed_at.is_(None), Post.claimed_by.like(prefix + "%")))
    dead = [h for h in holders if h and not _alive(h.removeprefix(prefix))]
    if not dead:
        return 0
    result = session.execute(update(Post).where(Post.processed_at.is_(None), Post.claimed_by.in_(dead))
                             .values(claimed_by=None, claimed_at=None))
    freed = int(result.rowcount)  # type: ignore[attr-defined]
    log.warning("freed the claims of dead workers", extra={"workers": dead, "posts": freed})
    return freed


def _alive(pid_text: str) -> bool:
    try:
        pid = int(pid_text)
    except ValueError:
        return True  # not one of ours (another naming scheme): leave it to the lease
    return pid_alive(pid)


def _inputs(session: Session, ids: Sequence[int]) -> list[PostInput]:
    rows = session.execute(
        select(Post.id, Post.title, Post.text, Source.name, Post.url, Post.published_at, Post.fetched_at,
               Post.thread_url)
        .join(Source, Source.id == Post.source_id).where(Post.id.in_(ids)).order_by(Post.id)
    )
    return [PostInput(id=pid, title=title or "", text=body or "", source=source, url=url,
                      published_at=published or fetched, thread=thread_url)
            for pid, title, body, source, url, published, fetched, thread_url in rows]


def _save_analyses(session: Session, results: Sequence[NlpAnalysis]) -> None:
    if not results:
        return
    ids = [r.post_id for r in results]
    versions = {r.model_version for r in results}
    session.execute(delete(Analysis).where(Analysis.post_id.in_(ids), Analysis.model_version.in_(versions)))
    session.connection().execute(  # Core, not the ORM's bulk insert: nothing here needs the identity map
        insert(Analysis.__table__),  # type: ignore[arg-type]
        [{"post_id": r.post_id, "model_version": r.model_version, "relevance": r.relevance,
          "is_relevant": r.is_relevant, "rumour": r.rumour, "sentiment": r.sentiment, "negative": r.negative,
          "category": r.category, "topics": r.topics, "matches": r.matches,
          "explanations": {k: [[t, w] for t, w in v] for k, v in r.explanations.items()},
          "created_at": utcnow()} for r in results],
    )


def process_batch(factory: sessionmaker[Session], config: Config, analyzer: Analyzer, *, worker: str,
                  now: datetime, limit: int) -> ProcessReport | None:
    """Claim, analyse and store one batch. None when there was nothing to claim."""
    with transaction(factory) as session:
        ids = claim_batch(session, worker, limit, now=now, lease=config.process.claim_lease)
    if not ids:
        return None
    with factory() as session:
        inputs = _inputs(session, ids)
    results = analyzer.analyze(inputs, assign_events=False)  # events: below, in step with other workers
    report = ProcessReport(claimed=len(ids), batches=1)
    results, event_ids = assign_in_step(factory, analyzer, worker=worker, results=results, inputs=inputs,
                                        now=now, window=config.process.event_window)
    with transaction(factory) as session:
        # First a write (SQLite takes its lock before reading): the posts still claimed by this
        # worker become processed. A worker that took over a stale claim meanwhile has them now.
        done = set(session.scalars(
            update(Post).where(Post.id.in_([r.post_id for r in results]), Post.claimed_by == worker,
                               Post.processed_at.is_(None))
            .values(processed_at=now, claimed_by=None, claimed_at=None).returning(Post.id)))
        results = [r for r in results if r.post_id in done]
        _save_analyses(session, results)
        due, later = split_due(lock_events(session, event_ids), now=now)
        for event in later:
            event.stale = True
        alert_ids, report.notifications = _refresh_and_alert(session, config, due, now=now)
    report.analysed = len(results)
    report.relevant = sum(1 for r in results if r.is_relevant)
    report.events = len(event_ids)
    report.alerts = len(alert_ids)
    log.info("batch processed", extra={"worker": worker, "posts": len(results), "first_post": ids[0],
                                       "last_post": ids[-1], "alerts": len(alert_ids)})
    return report


def refresh_stale_events(factory: sessionmaker[Session], config: Config, *, now: datetime) -> ProcessReport:
    """Refresh the large events whose statistics were skipped by recent batches, and alert them."""
    report = ProcessReport()
    with transaction(factory) as session:
        # A write first (SQLite takes its lock before reading); it also locks the rows (PostgreSQL).
        ids = sorted(session.scalars(
            update(Event).where(Event.stale.is_(True),
                                or_(Event.refreshed_at.is_(None), Event.refreshed_at <= now - BIG_EVENT_REFRESH))
            .values(stale=False).returning(Event.id)))
        if not ids:
            return report
        alert_ids, report.notifications = _refresh_and_alert(session, config, lock_events(session, ids), now=now)
        report.alerts = len(alert_ids)
    report.events = len(ids)
    log.info("stale events refreshed", extra={"events": len(ids), "alerts": report.alerts})
    return report


def process_pending(factory: sessionmaker[Session], config: Config, *, analyzer: Analyzer,
                    now: Callable[[], datetime] = utcnow, worker: str | None = None,
                    should_stop: Callable[[], bool] = lambda: False, max_batches: int | None = None,
                    progress: Callable[[int], None] | None = None) -> ProcessReport:
    """Process batches until none is left (or ``max_batches``, or ``should_stop()``)."""
    worker = worker or worker_id()
    total = ProcessReport()
    started = time.monotonic()
    while not should_stop() and (max_batches is None or total.batches < max_batches):
        report = process_batch(factory, config, analyzer, worker=worker, now=now(),
                               limit=config.process.batch_size)
        if report is None:
            break
        for name in ("claimed", "analysed", "relevant", "events", "alerts", "notifications", "batches"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        if progress is not None:
            progress(report.analysed)
    if not should_stop():
        swept = refresh_stale_events(factory, config, now=now())
        total.alerts += swept.alerts
        total.notifications += swept.notifications
        hot = hotlist_signals(factory, config, now=now())
        total.alerts += hot.alerts
        total.notifications += hot.notifications
    total.seconds = round(time.monotonic() - started, 3)
    return total


def hotlist_signals(factory: sessionmaker[Session], config: Config, *, now: datetime) -> ProcessReport:
    """Raise the alert signals of relevant hot-list entries that reached their alert rank."""
    from pipeline.alerting import raise_hotlist_alerts

    report = ProcessReport()
    if not any(s.kind == "hotlist" for s in config.sources):
        return report
    with transaction(factory) as session:
        before = _queued(session)
        report.alerts = len(raise_hotlist_alerts(session, config, now=now))
        report.notifications = _queued(session) - before
    return report


def _refresh_and_alert(session: Session, config: Config, events: Sequence[Event], *,
                       now: datetime) -> tuple[list[int], int]:
    """Refresh the (locked) events' statistics and raise their alerts; returns the alerts created
    or re-graded and the number of notifications queued."""
    from pipeline.alerting import raise_alerts

    refresh_events(session, events, now=now)
    before = _queued(session)
    alert_ids = raise_alerts(session, config, [e.id for e in events], now=now)
    return alert_ids, _queued(session) - before


def _queued(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Notification)) or 0

