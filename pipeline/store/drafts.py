"""Response drafts: create them with their first revision, and gather a template's context."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.drafts import DraftContext
from pipeline.config import Config
from pipeline.exceptions import NotFound
from pipeline.models import Alert, Analysis, DraftRevision, Event, Post, ResponseDraft, Source

CLAIM_CHARS = 80
SAMPLE_URLS = 5


def create_draft(session: Session, *, alert_id: int, category: str, body: str, author: str | None,
                 now: datetime | None = None) -> ResponseDraft:
    """A new draft (status ``draft``, version 1) for an alert, with its first revision recorded."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"预警 #{alert_id}")
    draft = ResponseDraft(alert_id=alert_id, event_id=alert.event_id, category=category, status="draft",
                          body=body, version=1, author=author)
    if now is not None:
        draft.created_at = draft.updated_at = now
    session.add(draft)
    session.flush()
    revision = DraftRevision(draft_id=draft.id, version=1, status="draft", action="create", body=body,
                             actor=author)
    if now is not None:
        revision.at = now
    session.add(revision)
    session.flush()
    return draft


def latest_draft(session: Session, alert_id: int) -> ResponseDraft | None:
    """The newest draft of an alert (highest id), or None."""
    return session.scalars(select(ResponseDraft).where(ResponseDraft.alert_id == alert_id)
                           .order_by(ResponseDraft.id.desc()).limit(1)).first()


def _topic_label(config: Config, topic: str | None) -> str | None:
    for t in config.topics:
        if t.name == topic:
            return t.label
    return None


def _monitor_phone(config: Config, name: str | None) -> str | None:
    for m in config.monitors:
        if m.name == name:
            return m.phone
    return None


def event_context(session: Session, config: Config, event: Event, *, grade: str | None = None,
                  monitor: str | None = None, category: str | None = None) -> DraftContext:
    """The template context for an event: its sources, a representative post (the claim), volume."""
    sources = list(session.scalars(
        select(Source.name).join(Post, Post.source_id == Source.id).where(Post.event_id == event.id)
        .group_by(Source.name).order_by(func.count(Post.id).desc(), Source.name)))
    # The representative post: the most rumour-like relevant one, else the earliest.
    sample = session.execute(
        select(Post.title, Post.text, Post.url)
        .outerjoin(Analysis, Analysis.post_id == Post.id)
        .where(Post.event_id == event.id)
        .order_by(func.coalesce(Analysis.rumour, 0).desc(), Post.published_at, Post.id)
        .limit(SAMPLE_URLS)).all()
    claim = ""
    if sample:
        title, text, _ = sample[0]
        claim = (title or text or "").strip().replace("\n", " ")[:CLAIM_CHARS]
    summary = str(event.stats.get("summary", "")) if isinstance(event.stats, dict) else ""
    return DraftContext(
        category=category or event.category or "other",
        title=event.title or claim,
        topic=event.topic,
        topic_label=_topic_label(config, event.topic),
        summary=summary,
        claim=claim,
        first_seen=event.first_seen,
        last_seen=event.last_seen,
        timezone=config.timezone,
        sources=tuple(sources),
        post_count=event.post_count,
        source_count=event.source_count or len(sources),
        negative_share=event.negative_share,
        grade=grade,
        monitor=monitor,
        contact=_monitor_phone(config, monitor),
        urls=tuple(url for _, _, url in sample),
    )


def draft_context(session: Session, config: Config, alert_id: int) -> DraftContext:
    """The context to (re)start a draft for ``alert_id`` from its category's template."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"预警 #{alert_id}")
    return event_context(session, config, alert.event, grade=alert.grade, monitor=alert.monitor,
                         category=alert.category)
