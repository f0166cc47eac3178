"""Reads for the review app's alert pages: lists, an alert's posts, the people to assign to."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.workflow import ALERT_STATUSES
from pipeline.exceptions import NotFound
from pipeline.models import Alert, Event, Post, User
from pipeline.store.alerts import most_urgent_first


def list_alerts(session: Session, status: str = "open", *, limit: int = 500) -> list[Alert]:
    """``open`` (not closed), one status, or anything else for all; the most urgent first."""
    stmt = select(Alert).order_by(*most_urgent_first()).limit(limit)
    if status == "open":
        stmt = stmt.where(Alert.status != "closed")
    elif status in ALERT_STATUSES:
        stmt = stmt.where(Alert.status == status)
    return list(session.scalars(stmt))


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"预警 #{alert_id}")
    return alert


def alert_posts(session: Session, alert: Alert, *, limit: int = 20) -> list[Post]:
    return list(session.scalars(select(Post).where(Post.event_id == alert.event_id)
                                .order_by(Post.published_at.desc().nulls_last(), Post.id.desc()).limit(limit)))


def active_user_names(session: Session) -> list[str]:
    return list(session.scalars(select(User.name).where(User.active.is_(True)).order_by(User.name)))


def event_titles(session: Session, event_ids: Iterable[int | None]) -> dict[int, str]:
    """Titles of these events (for lists of drafts, which name the event they answer)."""
    wanted = {e for e in event_ids if e is not None}
    if not wanted:
        return {}
    return {eid: title or f"事件 #{eid}" for eid, title in session.execute(
        select(Event.id, Event.title).where(Event.id.in_(wanted)))}
