"""The page cache: what the crawler last saw at a URL (`PageCache` rows).

It makes re-crawls cheap: validators (ETag, Last-Modified) for conditional GETs, a content
hash to notice an unchanged body, and ``extra`` for what a spider needs to continue from a
page it did not re-read (the links of a list page answered 304, a forum thread's signature
on its board and its last page).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.db import upsert_into
from pipeline.models import PageCache, utcnow

BATCH = 500


@dataclass(frozen=True)
class CachedPage:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    fetched_at: datetime | None = None


def load_pages(session: Session, source_id: int) -> dict[str, CachedPage]:
    """Every cached page of a source, by URL."""
    rows = session.execute(
        select(PageCache.url, PageCache.etag, PageCache.last_modified, PageCache.content_hash,
               PageCache.extra, PageCache.fetched_at).where(PageCache.source_id == source_id)
    )
    return {url: CachedPage(url, etag, modified, digest, dict(extra or {}), fetched)
            for url, etag, modified, digest, extra, fetched in rows}


def get_page(session: Session, url: str) -> CachedPage | None:
    row = session.get(PageCache, url)
    if row is None:
        return None
    return CachedPage(row.url, row.etag, row.last_modified, row.content_hash, dict(row.extra or {}), row.fetched_at)


def save_pages(session: Session, source_id: int, pages: Iterable[CachedPage], *, now: datetime | None = None) -> int:
    """Insert or replace cache rows (the last entry for a URL wins). Returns rows written."""
    latest: dict[str, CachedPage] = {page.url: page for page in pages}
    if not latest:
        return 0
    stamp = now or utcnow()
    rows = [{"url": p.url, "source_id": source_id, "etag": p.etag, "last_modified": p.last_modified,
             "content_hash": p.content_hash, "extra": p.extra, "fetched_at": p.fetched_at or stamp}
            for p in latest.values()]
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        stmt = upsert_into(session, PageCache)
        stmt = stmt.on_conflict_do_update(
            index_elements=["url"],
            set_={"source_id": stmt.excluded.source_id, "etag": stmt.excluded.etag,
                  "last_modified": stmt.excluded.last_modified, "content_hash": stmt.excluded.content_hash,
                  "extra": stmt.excluded.extra, "fetched_at": stmt.excluded.fetched_at},
        )
        session.execute(stmt, chunk)
    return len(rows)


def forget_pages(session: Session, source_id: int) -> int:
    """Drop a source's cache (the next crawl fetches everything again)."""
    result = session.execute(delete(PageCache).where(PageCache.source_id == source_id))
    return int(getattr(result, "rowcount", 0) or 0)
