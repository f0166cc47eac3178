"""One poll of a ``kind: hotlist`` source, in this process: fetch → parse → store → record the run.

The request is conditional when the last poll's validators are cached; a 304 repeats the
cached entries, so the rank history still advances. Each entry becomes a post (title, link,
rank and heat in ``extra``) analysed like any other. A response whose shape the reader does
not know fails the run with the reader's reason, and the source turns unhealthy at once.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crawlers.extract.text import normalise_text
from crawlers.hotlists import FormatChanged, HotEntry, read_hotlist
from crawlers.urls import canonical_url
from pipeline.config import Config, SourceConfig
from pipeline.db import engine_from_config, session_factory
from pipeline.models import utcnow
from pipeline.probe.fetch import Fetcher, FetchError
from pipeline.store.hotlists import RankedEntry, record_snapshot
from pipeline.store.pages import CachedPage, get_page, save_pages
from pipeline.store.posts import AddResult, PostIn, add_posts
from pipeline.store.retrying import in_transaction
from pipeline.store.sources import CrawlOutcome, ensure_source, finish_crawl_run, start_crawl_run

log = logging.getLogger(__name__)

MAX_TITLE = 1000


def _posts(source: SourceConfig, entries: list[HotEntry], now: datetime) -> list[PostIn]:
    label = source.hotlist_label
    posts: dict[str, PostIn] = {}
    for entry in entries:
        title = normalise_text(entry.title).replace("\n", " ")[:MAX_TITLE]
        detail = normalise_text(entry.text)
        text = title if not detail or detail == title else f"{title}\n{detail}"
        url = canonical_url(entry.url)
        posts.setdefault(url, PostIn(
            source=source.name, url=url, title=title, text=text, fetched_at=now,
            extra={"hotlist": {"platform": source.platform, "label": label, "rank": entry.rank, "heat": entry.heat}}))
    return list(posts.values())


def poll_hotlist(config: Config, source: SourceConfig, *,
                 now: Callable[[], datetime] = utcnow) -> tuple[CrawlOutcome, bool, str | None, int]:
    """Poll ``source`` once and record the run; returns (outcome, healthy, health note, run id)."""
    url = source.start_urls[0]
    key = canonical_url(url)
    started = time.monotonic()
    stats: dict[str, Any] = {"pages": 0, "requests": 0, "not_modified": 0, "items_seen": 0, "error_reasons": {}}
    engine = engine_from_config(config)
    try:
        sessions = session_factory(engine)

        def begin(session: Session) -> tuple[int, int, CachedPage | None]:
            row = ensure_source(session, source.name, source.kind)
            return row.id, start_crawl_run(session, row, now=now()).id, get_page(session, key)

        source_id, run_id, cached = in_transaction(sessions, begin)
        outcome = _fetch_and_store(config, source, sessions, source_id, cached, stats, now)
        outcome.stats = {**stats, "duration_s": round(time.monotonic() - started, 3)}

        def finish(session: Session) -> tuple[bool, str | None]:
            from pipeline.models import CrawlRun

            row = finish_crawl_run(session, session.get_one(CrawlRun, run_id), outcome,
                                   unhealthy_after=config.crawl.unhealthy_after_failures, now=now())
            return row.healthy, row.health_note

        healthy, note = in_transaction(sessions, finish)
    finally:
        engine.dispose()
    log.info("hot list polled", extra={"source": source.name, "status": outcome.status,
                                       "new_posts": outcome.new_posts})
    return outcome, healthy, note, run_id


def _fetch_and_store(config: Config, source: SourceConfig, sessions: Any, source_id: int,
                     cached: CachedPage | None, stats: dict[str, Any], now: Callable[[], datetime]) -> CrawlOutcome:
    url = source.start_urls[0]
    headers = {}
    if cached is not None and cached.extra.get("entries"):
        if cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
    stats["requests"] = 1
    try:
        with Fetcher(config, allow_private=source.allow_private) as fetcher:
            page = fetcher.get(url, headers=headers)
    except FetchError as exc:
        reason = "robots" if "robots.txt" in str(exc) else "fetch"
        stats["error_reasons"] = {reason: 1}
        log.warning("hot list fetch failed: %s", exc, extra={"source": source.name, "url": url})
        return CrawlOutcome(status="failed", errors=1, message=str(exc))
    stats["pages"] = 1
    record: CachedPage | None = None
    if page.status == 304 and cached is not None:
        stats["not_modified"] = 1
        entries = [HotEntry.from_dict(e) for e in cached.extra.get("entries", [])]
    else:
        try:
            entries = read_hotlist(source.platform or "", page.body)
        except FormatChanged as exc:
            stats["format_error"] = str(exc)
            stats["error_reasons"] = {"format_changed": 1}
            log.error("hot list format changed: %s", exc, extra={"source": source.name, "url": url})
            return CrawlOutcome(status="failed", pages=1, requests=1, errors=1,
                                message=f"the response's format changed: {exc}")
        record = CachedPage(url=canonical_url(url), etag=page.headers.get("etag"),
                            last_modified=page.headers.get("last-modified"),
                            content_hash=hashlib.sha1(page.body).hexdigest(),
                            extra={"kind": "hotlist", "entries": [e.as_dict() for e in entries]}, fetched_at=now())
    stats["items_seen"] = len(entries)
    when = now()
    posts = _posts(source, entries, when)

    def write(session: Session) -> AddResult:
        result = add_posts(session, posts, kind="hotlist", batch_size=max(len(posts), 1))
        if record is not None:
            save_pages(session, source_id, [record], now=when)
        by_url = {canonical_url(e.url): e for e in entries}
        record_snapshot(session, source_id, source.hotlist_label, [
            RankedEntry(p.url or "", p.title, by_url[p.url or ""].rank, by_url[p.url or ""].heat) for p in posts],
            now=when)
        return result

    result = in_transaction(sessions, write)
    stats.update(new_posts=result.new, updated_posts=result.updated, unchanged_posts=result.unchanged)
    return CrawlOutcome(status="ok", pages=1, requests=1, new_posts=result.new, updated_posts=result.updated)
