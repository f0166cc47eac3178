"""Analysts' labels as training records for `yuqing train` (DESIGN §3 label formats)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Label, Post

MODELS = ("relevance", "rumour", "sentiment", "category")


def training_records(session: Session, model: str) -> list[dict[str, Any]]:
    """``{"text": title + newline + text, "label": ...}`` per labelled post, the latest label winning.

    Labels: 1/0 for relevance and rumour, ``neg``/``neu``/``pos`` for sentiment, category names
    for category. Posts whose latest label for ``model`` is missing are left out.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    rows = session.execute(select(Label.post_id, Label.value, Post.title, Post.text)
                           .join(Post, Post.id == Label.post_id)
                           .where(Label.field == model).order_by(Label.id))
    latest: dict[int, tuple[str, str, str]] = {}
    for post_id, value, title, text in rows:
        latest[post_id] = (value, title or "", text or "")
    records: list[dict[str, Any]] = []
    for _, (value, title, text) in sorted(latest.items()):
        label: Any = int(value) if model in ("relevance", "rumour") else value
        records.append({"text": f"{title}\n{text}".strip(), "label": label})
    return records
