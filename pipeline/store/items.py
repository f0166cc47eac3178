"""One flagged item as the review app shows it: the post, its analysis, its event and alert."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.exceptions import NotFound
from pipeline.models import Alert, Analysis, Event, HotlistRank, Label, Post, ResponseDraft, Source
from pipeline.store.hotlists import rank_history

EVENT_POSTS_SHOWN = 50
TIMELINE_POSTS = 5000


@dataclass(frozen=True)
class EventPost:
    post_id: int
    title: str
    url: str
    source: str
    published_at: datetime | None


@dataclass
class ItemView:
    post: Post
    source: str
    analysis: Analysis | None
    event: Event | None
    alert: Alert | None
    labels: list[Label] = field(default_factory=list)
    event_posts: list[EventPost] = field(default_factory=list)
    event_sources: list[tuple[str, int]] = field(default_factory=list)
    timeline: list[tuple[str, int]] = field(default_factory=list)
    drafts: list[ResponseDraft] = field(default_factory=list)
    hot_ranks: list[HotlistRank] = field(default_factory=list)


def latest_analysis(session: Session, post_id: int) -> Analysis | None:
    return session.scalar(select(Analysis).where(Analysis.post_id == post_id)
                          .order_by(Analysis.id.desc()).limit(1))


def alert_for_event(session: Session, event_id: int | None) -> Alert | None:
    if event_id is None:
        return None
    return session.scalar(select(Alert).where(Alert.event_id == event_id))


def post_alert_id(session: Session, post_id: int) -> int | None:
    """The id of the alert on the post's event, if any."""
    return session.scalar(select(Alert.id).join(Post, Post.event_id == Alert.event_id).where(Post.id == post_id))


def event_timeline(session: Session, event_id: int, tz: ZoneInfo) -> list[tuple[str, int]]:
    """Posts per local day (or per hour when the event spans under two days)."""
    times = [t for t in session.scalars(
        select(Post.published_at).where(Post.event_id == event_id, Post.published_at.is_not(None))
        .order_by(Post.published_at).limit(TIMELINE_POSTS)) if t is not None]
    if not times:
        return []
    hourly = (times[-1] - times[0]).total_seconds() < 2 * 86400
    fmt = "%m-%d %H:00" if hourly else "%Y-%m-%d"
    buckets = Counter(t.astimezone(tz).strftime(fmt) for t in times)
    return sorted(buckets.items())


def item_view(session: Session, post_id: int, tz: ZoneInfo) -> ItemView:
    """Everything the item page shows; `NotFound` if there is no such post."""
    row = session.execute(select(Post, Source.name).join(Source, Source.id == Post.source_id)
                          .where(Post.id == post_id)).first()
    if row is None:
        raise NotFound(f"信息 #{post_id}")
    post, source = row
    event = session.get(Event, post.event_id) if post.event_id is not None else None
    alert = alert_for_event(session, post.event_id)
    view = ItemView(post=post, source=source, analysis=latest_analysis(session, post_id), event=event, alert=alert)
    view.labels = list(session.scalars(select(Label).where(Label.post_id == post_id).order_by(Label.id.desc())))
    view.hot_ranks = rank_history(session, post.url)
    if event is not None:
        others = session.execute(
            select(Post.id, Post.title, Post.url, Source.name, Post.published_at)
            .join(Source, Source.id == Post.source_id)
            .where(Post.event_id == event.id, Post.id != post_id)
            .order_by(Post.published_at.desc().nulls_last(), Post.id.desc()).limit(EVENT_POSTS_SHOWN))
        view.event_posts = [EventPost(*values) for values in others]
        sources = session.execute(
            select(Source.name, func.count()).join(Post, Post.source_id == Source.id)
            .where(Post.event_id == event.id).group_by(Source.name).order_by(func.count().desc()))
        view.event_sources = [(name, int(n)) for name, n in sources]
        view.timeline = event_timeline(session, event.id, tz)
    if alert is not None:
        view.drafts = list(session.scalars(select(ResponseDraft).where(ResponseDraft.alert_id == alert.id)
                                           .order_by(ResponseDraft.id.desc())))
    return view


def explanation_terms(analysis: Analysis | None) -> dict[str, list[tuple[str, float]]]:
    """``{model: [(term, weight), ...]}`` from the stored explanations, tolerating odd shapes."""
    if analysis is None or not isinstance(analysis.explanations, dict):
        return {}
    out: dict[str, list[tuple[str, float]]] = {}
    for model, pairs in analysis.explanations.items():
        terms: list[tuple[str, float]] = []
        for pair in pairs if isinstance(pairs, list) else []:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                try:
                    terms.append((str(pair[0]), float(pair[1])))
                except (TypeError, ValueError):
                    continue
        out[str(model)] = terms
    return out


def match_spans(analysis: Analysis | None, field_name: str) -> list[tuple[int, int, str]]:
    """(start, end, topic) of keyword hits in ``field_name`` (``title`` or ``body``)."""
    if analysis is None:
        return []
    spans: list[tuple[int, int, str]] = []
    for match in analysis.matches or []:
        if not isinstance(match, dict) or match.get("field") != field_name:
            continue
        start: Any = match.get("start")
        end: Any = match.get("end")
        if isinstance(start, int) and isinstance(end, int):
            spans.append((start, end, str(match.get("topic") or "")))
    return spans
