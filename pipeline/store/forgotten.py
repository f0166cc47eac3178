"""Forgotten URLs: posts retention deleted are not stored again.

A site keeps listing old articles (a sitemap lists everything it ever published), and the
crawler skips only the URLs it finds in ``posts``. Without this list a post deleted after two
years would come back as a new post the next day, be analysed again and perhaps alert on a
two-year-old story. Only a 16-byte hash of each URL is kept (``url_key``), for as long as the
database lives: ~60 bytes per deleted post.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db import upsert_into
from pipeline.models import ForgottenUrl
from pipeline.store.bulk import rows_where_in
from pipeline.store.hashing import url_key

BATCH = 1000


def forget_urls(session: Session, urls: Sequence[str], *, now: datetime) -> None:
    """Remember ``urls`` as deleted (idempotent)."""
    for start in range(0, len(urls), BATCH):
        rows = [{"url_hash": url_key(url), "forgotten_at": now} for url in urls[start:start + BATCH]]
        session.execute(upsert_into(session, ForgottenUrl).values(rows).on_conflict_do_nothing())


def any_forgotten(session: Session) -> bool:
    """Whether retention has deleted any post yet (until then, storing posts skips the lookup)."""
    return session.scalar(select(ForgottenUrl.url_hash).limit(1)) is not None


def forgotten_among(session: Session, urls: Sequence[str]) -> set[str]:
    """Which of ``urls`` retention deleted: one indexed lookup per thousand URLs."""
    found: set[str] = set()
    for start in range(0, len(urls), BATCH):
        by_key = {url_key(url): url for url in urls[start:start + BATCH]}
        rows = rows_where_in(session, "SELECT url_hash FROM forgotten_urls", "url_hash", list(by_key))
        found.update(by_key[key] for (key,) in rows)
    return found
