"""The audit log: who viewed, labelled, approved or exported what."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pipeline.models import AuditEntry


def record(session: Session, user: str | None, action: str, object_type: str | None = None,
           object_id: str | int | None = None, **detail: Any) -> None:
    session.add(AuditEntry(user=user, action=action, object_type=object_type,
                           object_id=None if object_id is None else str(object_id), detail=detail))
