"""Archived digests: one row per day, replaced when the day's digest is rebuilt."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Digest


def save_digest(session: Session, *, day: date, subject: str, html: str, text: str, stats: dict[str, Any],
                now: datetime) -> Digest:
    """Archive the digest of ``day`` (replacing an earlier build of the same day, keeping sent_at)."""
    digest = session.scalars(select(Digest).where(Digest.day == day)).first()
    if digest is None:
        digest = Digest(day=day, subject=subject, html=html, text=text, stats=stats, created_at=now)
        session.add(digest)
    else:
        digest.subject, digest.html, digest.text, digest.stats, digest.created_at = subject, html, text, stats, now
    session.flush()
    return digest


def get_digest(session: Session, day: date) -> Digest | None:
    return session.scalars(select(Digest).where(Digest.day == day)).first()


def mark_digest_sent(session: Session, day: date, *, now: datetime) -> None:
    digest = get_digest(session, day)
    if digest is not None and digest.sent_at is None:
        digest.sent_at = now
