"""Posts: bulk insert with de-duplication by canonical URL and content hash."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline.models import Post, utcnow
from pipeline.store.bulk import existing_posts, insert_new_posts, rows_where_in
from pipeline.store.forgotten import any_forgotten, forgotten_among
from pipeline.store.hashing import content_hash, content_urn
from pipeline.store.sources import ensure_source

log = logging.getLogger(__name__)

BATCH = 1000


@dataclass(frozen=True)
class PostIn:
    """A post as a crawler or an import hands it over. ``url`` must already be canonical."""

    source: str
    url: str | None
    title: str
    text: str
    author: str | None = None
    published_at: datetime | None = None
    thread_url: str | None = None
    floor: int | None = None
    fetched_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AddResult:
    """``unchanged`` counts every post not stored, ``forgotten`` among them the ones whose URL
    retention deleted (pipeline.store.forgotten)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    forgotten: int = 0
    new_ids: list[int] = field(default_factory=list)

    def __iadd__(self, other: AddResult) -> AddResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.forgotten += other.forgotten
        self.new_ids.extend(other.new_ids)
        return self


def _batches(items: Iterable[PostIn], size: int) -> Iterator[list[PostIn]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def add_posts(session: Session, posts: Iterable[PostIn], *, kind: str = "list",
              batch_size: int = BATCH) -> AddResult:
    """Store posts; a known URL with the same content is skipped, with new content updated.

    Posts without a URL are keyed by their content hash. An updated post is marked
    unprocessed so it is analysed again. Runs in the caller's transaction.
    """
    result = AddResult()
    source_cache: dict[str, int] = {}
    check_forgotten = any_forgotten(session)
    for batch in _batches(posts, batch_size):
        result += _add_batch(session, batch, kind, source_cache, check_forgotten=check_forgotten)
    return result


def _add_batch(session: Session, batch: Sequence[PostIn], kind: str, source_cache: dict[str, int], *,
               check_forgotten: bool) -> AddResult:
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for post in batch:
        if post.source not in source_cache:
            source_cache[post.source] = ensure_source(session, post.source, kind).id
        digest = content_hash(post.title, post.text)
        url = post.url or content_urn(digest)
        rows[url] = {  # a later copy of the same URL in one batch wins
            "source_id": source_cache[post.source], "url": url, "content_hash": digest,
            "title": post.title, "text": post.text, "author": post.author,
            "published_at": post.published_at, "fetched_at": post.fetched_at or now,
            "thread_url": post.thread_url, "floor": post.floor, "extra": post.extra,
        }
    result = AddResult()
    existing = existing_posts(session, list(rows))
    fresh = [row for url, row in rows.items() if url not in existing]
    if check_forgotten and fresh and (forgotten := forgotten_among(session, [row["url"] for row in fresh])):
        fresh = [row for row in fresh if row["url"] not in forgotten]
        result.forgotten = len(forgotten)
    changed = [(existing[url][0], row) for url, row in rows.items()
               if url in existing and existing[url][1] != row["content_hash"]]
    result.unchanged = len(rows) - len(fresh) - len(changed) + (len(batch) - len(rows))
    if fresh:
        result.new_ids = insert_new_posts(session, fresh)
        result.new = len(result.new_ids)
        result.unchanged += len(fresh) - result.new
    for post_id, row in changed:
        session.execute(
            update(Post).where(Post.id == post_id).values(
                title=row["title"], text=row["text"], content_hash=row["content_hash"],
                author=row["author"], published_at=row["published_at"], updated_at=now,
                processed_at=None, claimed_by=None, claimed_at=None, extra=row["extra"],
            )
        )
    result.updated = len(changed)
    return result


def known_urls(session: Session, urls: Iterable[str]) -> set[str]:
    """Which of ``urls`` are stored already, or were and retention deleted them (crawlers skip
    those detail pages)."""
    wanted = list(urls)
    found: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start:start + BATCH]
        found.update(rows_where_in(session, "SELECT url FROM posts", "url", chunk).scalars())
    return found | forgotten_among(session, [url for url in wanted if url not in found])


def thread_floors(session: Session, thread_url: str) -> set[int]:
    """The floors of a forum thread that are stored already."""
    rows = session.scalars(select(Post.floor).where(Post.thread_url == thread_url, Post.floor.is_not(None)))
    return {int(f) for f in rows if f is not None}


def unprocessed_count(session: Session) -> int:
    """Posts waiting for analysis (new or updated)."""
    return session.scalar(select(func.count()).select_from(Post).where(Post.processed_at.is_(None))) or 0
