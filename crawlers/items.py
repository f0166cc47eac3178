"""What spiders yield: posts to store, and page records for the page cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.store.pages import CachedPage


@dataclass
class PostItem:
    """One article, feed entry, forum post or reply. ``url`` is canonical."""

    url: str
    title: str
    text: str
    author: str | None = None
    published_at: datetime | None = None
    thread_url: str | None = None
    floor: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PageItem:
    """What the crawler saw at a page, stored with the posts of the same batch.

    Written in the same transaction as the posts that came before it, so the cache never
    claims a thread was read when its posts were not stored.
    """

    page: CachedPage
