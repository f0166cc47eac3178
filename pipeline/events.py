"""Events in the database: link analysed posts to their event and refresh its statistics.

The clustering itself is `nlp.events` (in the worker's memory); this module stores its
result: one ``events`` row per event key, ``posts.event_id``, and the numbers alert
rules and the digest read (post count, distinct sources, negative share, rumour score,
heat, burst and growth against the event's own baseline).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, true, update
from sqlalchemy.orm import Session, aliased

from nlp.analyze import Analysis as NlpAnalysis
from nlp.analyze import PostInput
from nlp.bursts import detect_burst
from nlp.categories import Category
from nlp.events import EventPost, summarize_event
from pipeline.models import Analysis, Event, Post, Source

# Categories that matter most decide an event's category even when outnumbered.
CATEGORY_WEIGHT = {Category.EMERGENCY.value: 4.0, Category.RUMOUR.value: 3.0}
HEAT_HORIZON = timedelta(days=3)  # older posts add < 1/8 each to the heat
HEAT_SAMPLE = 5000
BURST_WINDOW = timedelta(hours=1)
BURST_BASELINE = timedelta(hours=24)
# Statistics are recomputed from an event's posts. Below this size on every batch that touches
# the event; above it at most every BIG_EVENT_REFRESH (the event is marked stale meanwhile, and
# `yuqing process` refreshes stale events at the end of each run), so a story with tens of
# thousands of posts does not slow every batch down.
BIG_EVENT_POSTS = 500
BIG_EVENT_REFRESH = timedelta(minutes=1)


def link_events(session: Session, results: Sequence[NlpAnalysis], inputs: Sequence[PostInput],
                *, now: datetime) -> list[int]:
    """Create the events of these analysed posts and link the posts; returns the touched event ids.
    Their statistics are refreshed later (:func:`refresh_events`).

    An event is stored once one of its posts is relevant (the office's business); after that
    every post the clusterer puts in it is linked, relevant or not. Chatter that never touches
    the office's field forms no stored events: at scale most posts are such singletons, and
    storing and refreshing an event for each of them cost most of the processing time.
    """
    keyed = [r for r in results if r.event_key]
    if not keyed:
        return []
    by_post = {p.id: p for p in inputs}
    keys = sorted({r.event_key for r in keyed if r.event_key})
    events = {e.key: e for e in session.scalars(select(Event).where(Event.key.in_(keys)))}
    wanted = set(events) | {r.event_key for r in keyed if r.is_relevant}
    keyed = [r for r in keyed if r.event_key in wanted]
    if not keyed:
        return []
    for result in keyed:
        key = result.event_key or ""
        if key not in events:
            post = by_post[result.post_id]
            when = post.published_at or now
            event = Event(key=key, title="", first_seen=when, last_seen=when)
            session.add(event)
            events[key] = event
    session.flush()
    for key, event in events.items():
        post_ids = [r.post_id for r in keyed if r.event_key == key]
        session.execute(update(Post).where(Post.id.in_(post_ids)).values(event_id=event.id))
    return sorted(e.id for e in events.values())


def lock_events(session: Session, event_ids: Sequence[int]) -> list[Event]:
    """Load and lock events for refreshing (PostgreSQL: ``FOR NO KEY UPDATE``, in id order, so two
    workers refreshing the same event take turns and never deadlock; linking posts to an event
    only needs a key-share lock, so it is not held up)."""
    query = select(Event).where(Event.id.in_(list(event_ids))).order_by(Event.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    return list(session.scalars(query))


def split_due(events: Sequence[Event], *, now: datetime) -> tuple[list[Event], list[Event]]:
    """The events to refresh now, and the large ones refreshed less than BIG_EVENT_REFRESH ago."""
    due: list[Event] = []
    later: list[Event] = []
    for event in events:
        recent = event.refreshed_at is not None and now - event.refreshed_at < BIG_EVENT_REFRESH
        (later if event.post_count >= BIG_EVENT_POSTS and recent else due).append(event)
    return due, later


def refresh_events(session: Session, events: Sequence[Event], *, now: datetime) -> None:
    """Recompute events' statistics from their stored posts and those posts' newest analyses.

    Two queries for all the events of a batch (each event's newest ``HEAT_SAMPLE`` posts, and
    every event's counts), not two per event.
    """
    if not events:
        return
    ids = [e.id for e in events]
    # Each event's newest posts first, then each one's newest analysis by an index probe (a join
    # with every post's newest analysis scanned the whole analyses table on every batch).
    ranked = (
        select(Post.event_id, Post.id, Post.title, Post.text, Post.source_id, Post.published_at, Post.fetched_at,
               func.row_number().over(partition_by=Post.event_id, order_by=Post.id.desc()).label("rank"))
        .where(Post.event_id.in_(ids))
        .subquery()
    )
    wanted = (Analysis.negative, Analysis.rumour, Analysis.relevance, Analysis.is_relevant, Analysis.category,
              Analysis.topics)
    post_cols = (ranked.c.event_id, ranked.c.id, ranked.c.title, ranked.c.text, Source.name, ranked.c.published_at,
                 ranked.c.fetched_at)
    if session.get_bind().dialect.name == "postgresql":  # one probe of ix_analyses_post_id per post
        newest = (select(*wanted).where(Analysis.post_id == ranked.c.id).order_by(Analysis.id.desc()).limit(1)
                  .lateral())
        query = select(*post_cols, *newest.c).select_from(ranked).join(newest, true())
    else:  # SQLite has no LATERAL; it probes the same way for a correlated max in the join
        other = aliased(Analysis)
        newest_id = select(func.max(other.id)).where(other.post_id == ranked.c.id).correlate(ranked).scalar_subquery()
        query = select(*post_cols, *wanted).select_from(ranked).join(Analysis, Analysis.id == newest_id)
    query = (query.join(Source, Source.id == ranked.c.source_id).where(ranked.c.rank <= HEAT_SAMPLE)
            .order_by(ranked.c.event_id, ranked.c.rank))
    sample: dict[int, list[Any]] = {}
    for row in session.execute(query):
        sample.setdefault(row.event_id, []).append(row)
    counts = {
        event_id: (n, sources, first, last)
        for event_id, n, sources, first, last in session.execute(
            select(Post.event_id, func.count(Post.id), func.count(func.distinct(Post.source_id)),
                   func.min(func.coalesce(Post.published_at, Post.fetched_at)),
                   func.max(func.coalesce(Post.published_at, Post.fetched_at)))
            .where(Post.event_id.in_(ids)).group_by(Post.event_id))
    }
    for event in events:
        rows = sample.get(event.id)
        if rows:
            _refresh(event, rows, counts[event.id], now=now)
        event.refreshed_at, event.stale = now, False


def _refresh(event: Event, rows: Sequence[Any], counts: tuple[Any, ...], *, now: datetime) -> None:
    posts = [EventPost(post_id=r.id, title=r.title or "", text=r.text or "", source=r.name,
                       published_at=r.published_at or r.fetched_at, negative=r.negative) for r in rows]
    summary = summarize_event(event.key, posts, now=now)
    relevant = [r for r in rows if r.is_relevant] or rows
    topics = Counter(t for r in relevant for t in (r.topics or []))
    categories: dict[str, float] = {}
    for r in relevant:
        weight = CATEGORY_WEIGHT.get(r.category, 1.0) if r.category != "other" else 0.1
        categories[r.category] = categories.get(r.category, 0.0) + weight
    times = [p.published_at for p in posts]
    burst = detect_burst(times, now, BURST_WINDOW, BURST_BASELINE)
    event.title = summary.title
    event.topic = topics.most_common(1)[0][0] if topics else None
    event.category = max(categories, key=lambda c: categories[c]) if categories else None
    event.post_count = int(counts[0])
    event.source_count = int(counts[1])
    event.first_seen = counts[2] or summary.first_seen
    event.last_seen = counts[3] or summary.last_seen
    event.negative_share = summary.negative_share
    event.rumour_score = max((r.rumour for r in relevant), default=0.0)
    event.heat = summary.heat
    event.burst = burst.is_burst
    event.stats = {
        "relevance_max": max(r.relevance for r in rows),
        "relevant_posts": sum(1 for r in rows if r.is_relevant),
        "categories": dict(Counter(r.category for r in rows)),
        "topics": dict(topics),
        "recent": burst.observed, "expected": round(burst.expected, 3), "growth": round(burst.ratio, 3),
        "burst_p": burst.p_value,
    }
