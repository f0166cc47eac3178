"""Alerts: the facts rules and grading need about events, and the alert rows themselves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from alerts.grading import EventFacts
from alerts.messages import PostView
from nlp.categories import Category
from pipeline.models import Alert, Analysis, Event, Post, Source

RECENT = timedelta(hours=1)
NEGATIVE_CUTOFF = 0.5


def _post_time() -> ColumnElement[datetime]:
    return func.coalesce(Post.published_at, Post.fetched_at)


def event_facts(session: Session, events: Sequence[Event], *, now: datetime) -> dict[int, EventFacts]:
    """`EventFacts` for each event, from its row and aggregates over its posts' analyses."""
    if not events:
        return {}
    ids = [e.id for e in events]
    when = _post_time()
    recent = func.count(func.distinct(case((when >= now - RECENT, Post.id))))
    previous = func.count(func.distinct(case((and_(when >= now - 2 * RECENT, when < now - RECENT), Post.id))))
    rows = session.execute(
        select(Post.event_id, func.max(Analysis.relevance), func.max(Analysis.rumour),
               func.avg(case((Analysis.negative > NEGATIVE_CUTOFF, 1.0), else_=0.0)),
               func.count(func.distinct(Post.id)), func.count(func.distinct(Post.source_id)), recent, previous)
        .outerjoin(Analysis, Analysis.post_id == Post.id)
        .where(Post.event_id.in_(ids)).group_by(Post.event_id)).all()
    agg = {row[0]: row[1:] for row in rows}
    need_topics = [e.id for e in events if not e.topic]
    topics: dict[int, set[str]] = {i: set() for i in [*need_topics, 0]}
    if need_topics:
        for event_id, values in session.execute(
                select(Post.event_id, Analysis.topics).join(Analysis, Analysis.post_id == Post.id)
                .where(Post.event_id.in_(need_topics), Analysis.is_relevant.is_(True))):
            topics[event_id or 0].update(str(t) for t in (values or []))
    need_category = [e.id for e in events if not e.category]
    categories: dict[int, Counter[str]] = {i: Counter() for i in [*need_category, 0]}
    if need_category:
        for event_id, category, n in session.execute(
                select(Post.event_id, Analysis.category, func.count()).join(Analysis, Analysis.post_id == Post.id)
                .where(Post.event_id.in_(need_category)).group_by(Post.event_id, Analysis.category)):
            categories[event_id or 0][category] += int(n)
    facts: dict[int, EventFacts] = {}
    for e in events:
        relevance, rumour, negative, posts, sources, n_recent, n_previous = agg.get(
            e.id, (0.0, 0.0, 0.0, 0, 0, 0, 0))
        category = e.category or (categories[e.id].most_common(1)[0][0] if categories.get(e.id)
                                  else Category.OTHER.value)
        facts[e.id] = EventFacts(
            event_id=e.id, category=category,
            topics=frozenset([e.topic]) if e.topic else frozenset(topics.get(e.id, ())),
            relevance=float(relevance or 0.0), rumour=max(float(rumour or 0.0), e.rumour_score or 0.0),
            negative_share=e.negative_share if e.post_count else float(negative or 0.0),
            heat=e.heat or 0.0, post_count=max(e.post_count or 0, int(posts or 0)),
            source_count=max(e.source_count or 0, int(sources or 0)), burst=bool(e.burst),
            recent_posts=int(n_recent or 0), previous_posts=int(n_previous or 0))
    return facts


def alerts_by_event(session: Session, event_ids: Iterable[int]) -> dict[int, Alert]:
    ids = list(event_ids)
    if not ids:
        return {}
    return {a.event_id: a for a in session.scalars(select(Alert).where(Alert.event_id.in_(ids)))}


def sample_posts(session: Session, event_id: int, limit: int = 3) -> list[PostView]:
    """The posts a notification shows: the most rumour-like / negative first, then the earliest."""
    rows = session.execute(
        select(Post.title, Post.text, Post.url, Source.name, Post.published_at)
        .join(Source, Source.id == Post.source_id)
        .outerjoin(Analysis, Analysis.post_id == Post.id)
        .where(Post.event_id == event_id)
        .order_by(func.coalesce(Analysis.rumour, 0).desc(), func.coalesce(Analysis.negative, 0).desc(),
                  Post.published_at, Post.id)
        .limit(limit * 3)).all()
    seen: set[str] = set()
    posts: list[PostView] = []
    for title, text, url, source, published in rows:
        if url in seen:
            continue
        seen.add(url)
        posts.append(PostView(title=title or "", text=text or "", url=url, source=source, published_at=published))
        if len(posts) == limit:
            break
    return posts


def most_urgent_first() -> tuple[Any, ...]:
    """ORDER BY for every list of alerts a person reads: awaiting acknowledgement first (the overdue
    ones, whose deadlines are earliest, at the top), then the least time left, then the grade (I first);
    acknowledged and in-hand alerts after them, closed ones last (latest deadline first)."""
    closed = Alert.status == "closed"
    rank = case((Alert.status == "new", 0), (closed, 2), else_=1)
    return (rank, case((closed, None), else_=Alert.due_at).asc().nulls_last(), Alert.due_at.desc(),
            Alert.grade, Alert.id)


def overdue_unacknowledged(session: Session, *, now: datetime, limit: int = 1000) -> list[Alert]:
    """New alerts past their deadline that have not been escalated yet."""
    return list(session.scalars(select(Alert).where(
        Alert.status == "new", Alert.due_at <= now, Alert.escalation_level == 0)
        .order_by(Alert.due_at).limit(limit)))


def followups_due(session: Session, *, now: datetime, limit: int = 1000) -> list[Alert]:
    """Open emergencies whose next 续报 reminder is due."""
    return list(session.scalars(select(Alert).where(
        Alert.status != "closed", Alert.next_followup_at.is_not(None), Alert.next_followup_at <= now)
        .order_by(Alert.next_followup_at).limit(limit)))


def open_alert_counts(session: Session, *, now: datetime) -> dict[str, int]:
    """Open and overdue alerts (for `yuqing status`)."""
    row = session.execute(select(
        func.count(),
        func.sum(case((and_(Alert.status == "new", Alert.due_at <= now), 1), else_=0).cast(Integer)),
    ).where(or_(Alert.status != "closed"))).one()
    return {"open": int(row[0] or 0), "overdue": int(row[1] or 0)}
