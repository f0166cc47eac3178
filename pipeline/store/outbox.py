"""The outbox table: enqueue once per idempotency key, claim due rows with a lease, settle them.

A claim is one UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING, so two
senders never claim the same row, on SQLite or PostgreSQL. Claiming counts an attempt and
moves ``next_attempt_at`` to the end of the lease: a sender that dies leaves a ``sending``
row that becomes due again when the lease runs out. Settling a row checks the attempt
number it was claimed with, so a sender whose lease expired cannot overwrite a newer claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from pipeline.db import upsert_into
from pipeline.models import Notification

ERROR_CHARS = 1000


@dataclass(frozen=True)
class Claimed:
    """A notification claimed for sending (a snapshot: the row may change under it)."""

    id: int
    idempotency_key: str
    channel: str
    recipient: str
    subject: str
    payload: dict[str, Any]
    attempts: int
    alert_id: int | None


def enqueue(session: Session, *, key: str, channel: str, recipient: str, subject: str,
            payload: dict[str, Any], now: datetime, alert_id: int | None = None) -> bool:
    """Write a message to the outbox unless one with ``key`` exists; True when written."""
    values = {"idempotency_key": key, "channel": channel, "recipient": recipient, "subject": subject,
              "payload": payload, "status": "pending", "attempts": 0, "next_attempt_at": now,
              "alert_id": alert_id, "created_at": now}
    stmt = (upsert_into(session, Notification).values(**values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Notification.id))
    return session.execute(stmt).first() is not None


def _due(now: datetime) -> Any:
    return and_(Notification.status.in_(("pending", "sending")), Notification.next_attempt_at <= now)


def claim_due(session: Session, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Claim up to ``limit`` due messages (oldest first) for one sender."""
    pick = select(Notification.id).where(_due(now)).order_by(Notification.next_attempt_at,
                                                             Notification.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (update(Notification)
            .where(Notification.id.in_(pick.scalar_subquery()), _due(now))
            .values(status="sending", attempts=Notification.attempts + 1, next_attempt_at=lease_until)
            .returning(Notification.id, Notification.idempotency_key, Notification.channel,
                       Notification.recipient, Notification.subject, Notification.payload,
                       Notification.attempts, Notification.alert_id)
            .execution_options(synchronize_session=False))
    rows = session.execute(stmt).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _settle(session: Session, claimed: Claimed, **values: Any) -> bool:
    stmt = (update(Notification)
            .where(Notification.id == claimed.id, Notification.status == "sending",
                   Notification.attempts == claimed.attempts)
            .values(**values).execution_options(synchronize_session=False))
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def mark_sent(session: Session, claimed: Claimed, *, now: datetime) -> bool:
    return _settle(session, claimed, status="sent", sent_at=now, last_error=None)


def mark_failed(session: Session, claimed: Claimed, *, error: str, retry_at: datetime | None) -> bool:
    """Back to ``pending`` until ``retry_at``, or ``dead`` when ``retry_at`` is None."""
    if retry_at is None:
        return _settle(session, claimed, status="dead", last_error=error[:ERROR_CHARS])
    return _settle(session, claimed, status="pending", next_attempt_at=retry_at, last_error=error[:ERROR_CHARS])


def save_progress(session: Session, claimed: Claimed, payload: dict[str, Any]) -> bool:
    """Store a changed payload (e.g. how many webhook parts went out) while the claim holds."""
    return _settle(session, claimed, payload=payload)


def status_counts(session: Session) -> dict[str, int]:
    """How many messages are pending, sending, sent and dead."""
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
    return {status: int(n) for status, n in rows}


def overdue_count(session: Session, *, now: datetime) -> int:
    """Pending messages due now (the queue a `yuqing notify` would work through)."""
    return int(session.scalar(select(func.count()).select_from(Notification).where(
        or_(Notification.status == "pending", Notification.status == "sending"),
        Notification.next_attempt_at <= now)) or 0)
