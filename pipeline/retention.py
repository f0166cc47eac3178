"""Retention (DESIGN §5): delete what the office has configured yuqing not to keep.

``retention.posts``: processed posts fetched longer ago than this go, with their analyses.
Two kinds stay: posts analysts labelled, while ``retention.keep_labelled`` (they are the
models' training set, and deleting a post deletes its labels), and posts of an event whose
alert is not closed (the monitor is still answering it). An event left without posts goes
too unless it has an alert, which stays as the record of what the office did. A deleted post's
URL is remembered (hashed, pipeline.store.forgotten) so that no crawl or import stores it again.
``retention.audit`` and ``retention.crawl_runs`` bound the audit log and the crawl history.
And a post's stored MinHash signature (256 bytes, there so that other workers can add it to
their event index without re-analysing it) is cleared once the post is well past the event
window: no index reads it then, and a replay would recompute it from the text.

Rows are deleted in batches, each its own transaction, so SQLite is never locked for long
and a run that is stopped or fails halfway has deleted whole batches only; the next run
(the daemon's daily ``retention`` job, or `yuqing prune`) goes on from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config
from pipeline.db import transaction
from pipeline.models import Alert, AuditEntry, CrawlRun, Event, HotlistRank, Label, Post
from pipeline.store.forgotten import forget_urls

log = logging.getLogger(__name__)

RETENTION_BATCH = 2_000  # posts (or log rows) per transaction
SIGNATURE_WINDOWS = 2  # a post's signature is kept while it was fetched less than this many event windows ago


@dataclass
class RetentionReport:
    """What a run deleted (or, for a dry run, would delete)."""

    posts: int = 0
    events: int = 0
    audit_entries: int = 0
    crawl_runs: int = 0
    signatures: int = 0  # posts whose stored MinHash signature was cleared
    seconds: float = 0.0


def expired_posts(config: Config, *, now: datetime) -> Select[int] | None:
    """Ids of the posts ``retention.posts`` says to delete now; None when posts are kept forever."""
    keep_for = config.retention.posts
    if keep_for is None:
        return None
    open_alert = exists().where(Alert.event_id == Post.event_id, Alert.status != "closed")
    conditions: list[ColumnElement[bool]] = [
        Post.fetched_at < now - keep_for,
        Post.processed_at.is_not(None),  # a post still queued (or being analysed) is left to its worker
        or_(Post.event_id.is_(None), ~open_alert),
    ]
    if config.retention.keep_labelled:
        conditions.append(~exists().where(Label.post_id == Post.id))
    return select(Post.id).where(*conditions)


def _log_conditions(config: Config, *, now: datetime) -> list[tuple[str, Any, ColumnElement[bool]]]:
    rules: list[tuple[str, Any, ColumnElement[bool]]] = []
    if config.retention.audit is not None:
        rules.append(("audit_entries", AuditEntry, AuditEntry.at < now - config.retention.audit))
    if config.retention.crawl_runs is not None:
        rules.append(("crawl_runs", CrawlRun, CrawlRun.started_at < now - config.retention.crawl_runs))
    return rules


def count_expired(session: Session, config: Config, *, now: datetime) -> RetentionReport:
    """What :func:`apply_retention` would delete now (events not counted: that depends on the posts)."""
    report = RetentionReport()
    posts = expired_posts(config, now=now)
    if posts is not None:
        report.posts = session.scalar(select(func.count()).select_from(posts.subquery())) or 0
    for field, model, condition in _log_conditions(config, now=now):
        setattr(report, field, session.scalar(select(func.count()).select_from(model).where(condition)) or 0)
    return report


def apply_retention(factory: sessionmaker[Session], config: Config, *, now: datetime,
                    should_stop: Callable[[], bool] = lambda: False,
                    progress: Callable[[int], None] = lambda n: None,
                    batch: int = RETENTION_BATCH) -> RetentionReport:
    """Delete expired posts (with their analyses and emptied events), audit entries and crawl
    runs, ``batch`` rows per transaction. ``progress`` gets the number of posts deleted per batch."""
    started = perf_counter()
    report = RetentionReport()

    def delete_posts(session: Session, ids: list[int]) -> None:
        doomed = session.execute(select(Post.url, Post.event_id).where(Post.id.in_(ids))).all()
        forget_urls(session, [url for url, _ in doomed], now=now)  # so that no crawl stores them again
        events = {event_id for _, event_id in doomed if event_id is not None}
        session.execute(delete(Post).where(Post.id.in_(ids)))  # analyses and labels cascade
        session.execute(delete(HotlistRank).where(HotlistRank.url.in_([url for url, _ in doomed])))
        if events:
            emptied = delete(Event).where(Event.id.in_(events), ~exists().where(Post.event_id == Event.id),
                                          ~exists().where(Alert.event_id == Event.id))
            report.events += cast(CursorResult[Any], session.execute(emptied)).rowcount
        progress(len(ids))
        log.debug("expired posts deleted", extra={"posts": len(ids), "first_post": ids[0], "last_post": ids[-1]})

    posts = expired_posts(config, now=now)
    if posts is not None:
        report.posts = _in_batches(factory, posts.order_by(Post.id), delete_posts, batch=batch,
                                   should_stop=should_stop)
    for field, model, condition in _log_conditions(config, now=now):
        rows = select(model.id).where(condition).order_by(model.id)
        setattr(report, field, _in_batches(factory, rows, _deleter(model), batch=batch, should_stop=should_stop))
    before = now - SIGNATURE_WINDOWS * config.process.event_window
    signed = select(Post.id).where(Post.fetched_at < before, Post.minhash.is_not(None)).order_by(Post.id)
    report.signatures = _in_batches(factory, signed, _clear_signatures, batch=batch, should_stop=should_stop)
    report.seconds = perf_counter() - started
    if report.posts or report.audit_entries or report.crawl_runs or report.signatures:
        log.info("retention applied", extra={"posts": report.posts, "events": report.events,
                                             "audit_entries": report.audit_entries,
                                             "crawl_runs": report.crawl_runs, "signatures": report.signatures,
                                             "seconds": round(report.seconds, 1)})
    return report


def _in_batches(factory: sessionmaker[Session], ids: Select[Any], act: Callable[[Session, list[int]], object], *,
                batch: int, should_stop: Callable[[], bool]) -> int:
    """Apply ``act`` to the rows ``ids`` selects, ``batch`` at a time, each batch its own transaction;
    returns how many rows it was applied to."""
    done = 0
    while not should_stop():
        with transaction(factory) as session:
            chunk = list(session.scalars(ids.limit(batch)))
            if chunk:
                act(session, chunk)
        done += len(chunk)
        if len(chunk) < batch:
            break
    return done


def _deleter(model: Any) -> Callable[[Session, list[int]], object]:
    return lambda session, ids: session.execute(delete(model).where(model.id.in_(ids)))


def _clear_signatures(session: Session, ids: list[int]) -> None:
    session.execute(update(Post).where(Post.id.in_(ids)).values(minhash=None))
