"""SQLAlchemy 2 models: the schema every part of yuqing shares.

Alembic migrations in ``pipeline/migrations`` create these tables; the models are the
reference that the migrations must match (a test compares them). Times are stored
timezone-aware (UTC) through `UtcDateTime`, so SQLite and PostgreSQL behave alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT primary keys on PostgreSQL, INTEGER (rowid alias, autoincrementing) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive values are rejected."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: yuqing stores timezone-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite returns naive values: they were stored as UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    health_note: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_items: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running ok failed timeout
    pages: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    new_posts: Mapped[int] = mapped_column(Integer, default=0)
    updated_posts: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PageCache(Base):
    """What the crawler last saw at a URL, for conditional GETs and skipping unchanged pages."""

    __tablename__ = "page_cache"
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Event(Base):
    """A cluster of posts about the same story or claim."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    category: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    source_count: Mapped[int] = mapped_column(Integer, default=0)
    negative_share: Mapped[float] = mapped_column(Float, default=0.0)
    rumour_score: Mapped[float] = mapped_column(Float, default=0.0)
    heat: Mapped[float] = mapped_column(Float, default=0.0)
    burst: Mapped[bool] = mapped_column(Boolean, default=False)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Statistics of a large event are recomputed at most once a minute (pipeline.events): when
    # they were, and whether posts have joined since.
    refreshed_at: Mapped[datetime | None]
    stale: Mapped[bool] = mapped_column(Boolean, default=False)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_unprocessed", "processed_at", "id"),
        Index("ix_posts_published", "published_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # compared per URL; no index (costs half the insert speed)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(256))
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime | None]
    thread_url: Mapped[str | None] = mapped_column(String(2048), index=True)
    floor: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    processed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None]
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set when the post's event is assigned (pipeline.event_sync): the ticket of that batch, and
    # what another worker needs to apply the post to its own event index without re-analysing it.
    event_seq: Mapped[int | None] = mapped_column(BigInteger, index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    word_count: Mapped[int | None] = mapped_column(Integer)

    source: Mapped[Source] = relationship(lazy="joined")


class ForgottenUrl(Base):
    """A URL whose post retention deleted (pipeline.retention). Crawls and imports do not store
    it again: a sitemap or an old list page may list it for years. Only a hash of it is kept."""

    __tablename__ = "forgotten_urls"
    url_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(default=utcnow)


class HotlistRank(Base):
    """One entry's life on one hot list (a ``kind: hotlist`` source): when it came, its best rank,
    how long it stayed, when it left; ``history`` holds the (time, rank) of each poll it was seen in.
    ``alerted_at`` is set once the entry raised its alert signal, so a poll never raises it again."""

    __tablename__ = "hotlist_ranks"
    __table_args__ = (UniqueConstraint("source_id", "url", name="uq_hotlist_ranks_source_url"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    left_at: Mapped[datetime | None]
    on_list: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    rank: Mapped[int] = mapped_column(Integer)
    peak_rank: Mapped[int] = mapped_column(Integer)
    heat: Mapped[float | None] = mapped_column(Float)
    minutes: Mapped[float] = mapped_column(Float, default=0.0)
    history: Mapped[list[Any]] = mapped_column(default=list)
    alerted_at: Mapped[datetime | None]


class EventClock(Base):
    """One row: the last ticket handed out for assigning events. Taking a ticket locks the row
    until the batch commits, so batches assign events one after another, in ticket order."""

    __tablename__ = "event_clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Analysis(Base):
    __tablename__ = "analyses"
    __table_args__ = (UniqueConstraint("post_id", "model_version", name="uq_analyses_post_model"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(200))
    relevance: Mapped[float] = mapped_column(Float)
    is_relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    rumour: Mapped[float] = mapped_column(Float)
    sentiment: Mapped[str] = mapped_column(String(8))
    negative: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(32), index=True)
    topics: Mapped[list[Any]] = mapped_column(default=list)
    matches: Mapped[list[Any]] = mapped_column(default=list)
    explanations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    grade: Mapped[str] = mapped_column(String(4))
    notified_grade: Mapped[str | None] = mapped_column(String(4))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)  # new acknowledged responding closed
    monitor: Mapped[str | None] = mapped_column(String(128))
    supervisor: Mapped[str | None] = mapped_column(String(128))
    assignee: Mapped[str | None] = mapped_column(String(128))
    due_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    escalated_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_followup_at: Mapped[datetime | None]
    followups_sent: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(lazy="joined")


class ResponseDraft(Base):
    __tablename__ = "response_drafts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft reviewed approved
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    author: Mapped[str | None] = mapped_column(String(128))
    reviewer: Mapped[str | None] = mapped_column(String(128))
    approver: Mapped[str | None] = mapped_column(String(128))
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DraftRevision(Base):
    """Every change of a draft's text or status: the version history and who did what."""

    __tablename__ = "draft_revisions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("response_drafts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A written report (舆情专报 初报/续报, 周报, 月报): its facts, its editable sections, its review.

    ``facts`` is the snapshot of figures the report was written from (so every version
    and every export shows the same numbers); ``sections`` is the text people edit.
    """

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("series", "year", "issue_no", name="uq_reports_series_year_issue"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert weekly monthly
    series: Mapped[str] = mapped_column(String(16))  # special (专报) weekly monthly: issue numbers count per series
    year: Mapped[int] = mapped_column(Integer)
    issue_no: Mapped[int] = mapped_column(Integer)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    followup_no: Mapped[int] = mapped_column(Integer, default=0)  # 0: 初报; n: 续报n
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sections: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft reviewed approved
    version: Mapped[int] = mapped_column(Integer, default=1)
    author: Mapped[str | None] = mapped_column(String(128))
    reviewer: Mapped[str | None] = mapped_column(String(128))
    approver: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportRevision(Base):
    """Every change of a report's text or status, with who did it (the report's version history)."""

    __tablename__ = "report_revisions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    sections: Mapped[list[Any]] = mapped_column(default=list)
    actor: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Label(Base):
    """An analyst's judgement on a post; these retrain the models."""

    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), index=True)
    field: Mapped[str] = mapped_column(String(32))  # relevance rumour sentiment category verdict
    value: Mapped[str] = mapped_column(String(64))
    user: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """The persistent outbox: written before sending, sent at most once per idempotency key."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(256), unique=True)
    channel: Mapped[str] = mapped_column(String(64))  # email | webhook:<name>
    recipient: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending sending sent dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Digest(Base):
    __tablename__ = "digests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(512))
    role: Mapped[str] = mapped_column(String(16))  # analyst monitor approver admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # in every session cookie and checked on every request: bumping it ends all of the user's sessions
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who viewed, labelled, approved or exported what (DESIGN §5)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user: Mapped[str | None] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class JobRun(Base):
    """The last runs of scheduled and manual jobs, for `yuqing status`."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(128), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    ok: Mapped[bool | None] = mapped_column(Boolean)
    message: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Lease(Base):
    """A named lease on the database: one daemon leads, the others wait (leader election)."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class ImportFile(Base):
    """A file an import source picked up, and how far its import got (resumes after a failure).

    ``offset``/``line`` mark the end of the last committed chunk: posts and progress are
    committed together, so a retry resumes there and imports no row twice.
    """

    __tablename__ = "import_files"
    __table_args__ = (UniqueConstraint("source_id", "fingerprint", name="uq_import_files_source_fingerprint"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    fingerprint: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    line: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    bad: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="importing")  # importing done failed
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
