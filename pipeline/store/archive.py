"""Read-only lists the review app shows: the digests archive and the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.exceptions import NotFound
from pipeline.models import AuditEntry, Digest


def list_digests(session: Session, *, limit: int = 100, offset: int = 0) -> list[Digest]:
    return list(session.scalars(select(Digest).order_by(Digest.day.desc()).limit(limit).offset(offset)))


def get_digest(session: Session, digest_id: int) -> Digest:
    digest = session.get(Digest, digest_id)
    if digest is None:
        raise NotFound(f"日报 #{digest_id}")
    return digest


def audit_entries(session: Session, *, user: str | None = None, limit: int = 200) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if user:
        stmt = stmt.where(AuditEntry.user == user)
    return list(session.scalars(stmt))
