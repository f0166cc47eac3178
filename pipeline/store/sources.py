"""Sources, crawl runs and source health."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import CrawlRun, Source, utcnow

log = logging.getLogger(__name__)

# A source that used to return at least this many items and now returns none is suspect.
SILENT_AFTER_ITEMS = 5


def ensure_source(session: Session, name: str, kind: str) -> Source:
    """The row for a configured source, created on first use."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind=kind)
        session.add(source)
        session.flush()
    elif source.kind != kind:
        source.kind = kind
    return source


def source_ids(session: Session) -> dict[str, int]:
    return {name: id_ for id_, name in session.execute(select(Source.id, Source.name))}


def start_crawl_run(session: Session, source: Source, *, now: datetime | None = None) -> CrawlRun:
    run = CrawlRun(source_id=source.id, started_at=now or utcnow(), status="running")
    session.add(run)
    session.flush()
    return run


@dataclass
class CrawlOutcome:
    """What a finished crawl reports; ``status`` is ok, failed or timeout."""

    status: str
    pages: int = 0
    requests: int = 0
    new_posts: int = 0
    updated_posts: int = 0
    errors: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)
    message: str | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)


def finish_crawl_run(session: Session, run: CrawlRun, outcome: CrawlOutcome, *, unhealthy_after: int,
                     now: datetime | None = None) -> Source:
    """Record the run's result and update the source's health. Returns the source."""
    now = now or utcnow()
    run.finished_at = now
    run.status = outcome.status
    run.pages, run.requests, run.errors = outcome.pages, outcome.requests, outcome.errors
    run.new_posts, run.updated_posts = outcome.new_posts, outcome.updated_posts
    run.dropped, run.message, run.stats = dict(outcome.dropped), outcome.message, dict(outcome.stats)
    source = session.get_one(Source, run.source_id)
    items = outcome.new_posts + outcome.updated_posts + int(outcome.stats.get("items_seen", 0))
    source.last_run_at = now
    if outcome.status == "ok":
        previous = source.last_items or 0
        source.consecutive_failures = 0
        source.last_ok_at = now
        if items == 0 and previous >= SILENT_AFTER_ITEMS:
            source.healthy = False
            source.health_note = f"returned no items (it used to return {previous})"
        else:
            source.healthy = True
            source.health_note = None
            source.last_items = items
    elif outcome.status == "stopped":
        pass  # we stopped it (a shutdown): says nothing about the source's health
    else:
        source.consecutive_failures += 1
        if outcome.stats.get("format_error"):  # a changed format does not mend itself: say so at once
            source.healthy = False
            source.health_note = outcome.message or f"format changed: {outcome.stats['format_error']}"
        elif source.consecutive_failures >= unhealthy_after:
            source.healthy = False
            reason = outcome.message or outcome.status
            source.health_note = f"failed {source.consecutive_failures} runs in a row: {reason}"
    if not source.healthy:
        log.warning("source unhealthy", extra={"source": source.name, "note": source.health_note})
    return source


def source_health(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))
