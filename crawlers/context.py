"""What a running spider knows: its config, its source, the database, the page cache, the clock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config, SourceConfig
from pipeline.db import engine_from_config, session_factory, transaction
from pipeline.store.pages import CachedPage, load_pages, save_pages
from pipeline.store.posts import AddResult, PostIn, add_posts, known_urls
from pipeline.store.retrying import in_transaction
from pipeline.store.sources import ensure_source

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CrawlContext:
    config: Config
    source: SourceConfig
    engine: Engine
    sessions: sessionmaker[Session]
    source_id: int
    pages: dict[str, CachedPage] = field(default_factory=dict)
    now: Callable[[], datetime] = _utc_now

    @classmethod
    def open(cls, config: Config, source_name: str, *, now: Callable[[], datetime] = _utc_now) -> CrawlContext:
        source = config.source(source_name)
        engine = engine_from_config(config)
        sessions = session_factory(engine)
        source_id = in_transaction(sessions, lambda session: ensure_source(session, source.name, source.kind).id)
        with transaction(sessions) as session:
            pages = load_pages(session, source_id)
        return cls(config, source, engine, sessions, source_id, pages, now)

    @property
    def tz(self) -> ZoneInfo:
        return self.config.source_timezone(self.source)

    def known(self, urls: Iterable[str]) -> set[str]:
        """Which canonical URLs are stored already."""
        wanted = list(urls)
        if not wanted:
            return set()
        with self.sessions() as session:
            return known_urls(session, wanted)

    def store(self, posts: list[PostIn], pages: list[CachedPage]) -> AddResult:
        """Write one batch of posts and page records in one transaction."""
        def write(session: Session) -> AddResult:
            result = add_posts(session, posts, kind=self.source.kind, batch_size=max(len(posts), 1))
            save_pages(session, self.source_id, pages, now=self.now())
            return result

        result = in_transaction(self.sessions, write)
        for page in pages:
            self.pages[page.url] = page
        return result

    def close(self) -> None:
        self.engine.dispose()
