"""The export query: posts with their source, newest analysis and event, streamed.

Rows come through `yield_per`, which on PostgreSQL opens a server-side cursor and on
SQLite steps the cursor lazily, so memory stays flat however many posts match.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from pipeline.exceptions import NotFound
from pipeline.models import Alert, Analysis, Post, Source, UtcDateTime
from pipeline.store.search import parse_query, search_condition

STREAM_ROWS = 2000


@dataclass(frozen=True)
class ExportFilter:
    """Which posts to export. ``since`` is inclusive, ``until`` exclusive (both aware).

    The time is the post's ``published_at``, or ``fetched_at`` when the page showed none.
    ``flagged`` keeps posts whose newest analysis is relevant or whose event has an alert.
    ``q`` is a search expression (`pipeline.store.search`); over all dates, a short term scans.
    """

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    flagged: bool = False
    q: str | None = None


def export_query(flt: ExportFilter, search: ColumnElement[bool] | None = None) -> Select[*tuple[Any, ...]]:
    # The newest analysis of a post is the one inserted last (analyses are only added).
    newest = (select(Analysis.post_id.label("post_id"), func.max(Analysis.id).label("analysis_id"))
              .group_by(Analysis.post_id).subquery("newest"))
    stmt: Select[*tuple[Any, ...]] = (
        select(Post.url, Source.name.label("source"), Post.title, Post.text, Post.author, Post.published_at,
               Post.thread_url, Post.floor, Analysis.relevance, Analysis.rumour, Analysis.sentiment,
               Analysis.category, Post.event_id)
        .join(Source, Source.id == Post.source_id)
        .outerjoin(newest, newest.c.post_id == Post.id)
        .outerjoin(Analysis, Analysis.id == newest.c.analysis_id)
        .order_by(Post.id)
    )
    when = func.coalesce(Post.published_at, Post.fetched_at, type_=UtcDateTime())
    if flt.since is not None:
        stmt = stmt.where(when >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(when < flt.until)
    if flt.source is not None:
        stmt = stmt.where(Source.name == flt.source)
    if flt.flagged:
        alerted = exists().where(Alert.event_id == Post.event_id)
        stmt = stmt.where(or_(Analysis.is_relevant.is_(True), alerted))
    if search is not None:
        stmt = stmt.where(search)
    return stmt


def stream_export_rows(session: Session, flt: ExportFilter, *, batch: int = STREAM_ROWS) -> Iterator[Row[Any]]:
    """The rows of `export_query` in post order, ``batch`` at a time from the database."""
    if flt.source is not None and session.scalar(select(Source.id).where(Source.name == flt.source)) is None:
        raise NotFound(f"no source named {flt.source!r} in the database")
    search = search_condition(session, parse_query(flt.q)) if flt.q else None
    result = session.execute(export_query(flt, search).execution_options(yield_per=batch))
    try:
        yield from result
    finally:
        result.close()
