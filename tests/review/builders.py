"""Test data for the review app: flagged posts with analyses, events, alerts, users, digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from pipeline.models import Alert, Analysis, Digest, Event, Post, User
from pipeline.store.posts import add_posts
from pipeline.store.users import hash_password
from tests.factories import make_post

PASSWORD = "correct horse battery"
USERS = {"ana": "analyst", "ana2": "analyst", "mon": "monitor", "appr": "approver", "appr2": "approver",
         "adm": "admin"}
NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
_seq = count(1)


@cache
def _hash() -> str:
    return hash_password(PASSWORD)


def add_users(session: Session, users: dict[str, str] | None = None) -> None:
    """Logins with one shared argon2 hash (hashing once keeps the tests fast)."""
    for name, role in (users or USERS).items():
        session.add(User(name=name, role=role, password_hash=_hash()))
    session.flush()


def add_event(session: Session, *, title: str = "三孩补贴发放延迟", topic: str | None = "fertility",
              category: str = "demand", at: datetime = NOW, heat: float = 5.0) -> Event:
    event = Event(key=f"ev-{next(_seq)}", title=title, topic=topic, category=category,
                  first_seen=at - timedelta(hours=3), last_seen=at, post_count=1, source_count=1, heat=heat)
    session.add(event)
    session.flush()
    return event


def add_item(session: Session, *, title: str = "育儿补贴什么时候发",
             text: str = "我家三孩育儿补贴迟迟没有到账，希望政府回应。",
             source: str = "city-news", url: str | None = None, published_at: datetime = NOW - timedelta(hours=1),
             category: str = "demand", relevance: float = 0.9, rumour: float = 0.1, negative: float = 0.6,
             sentiment: str = "neg", relevant: bool = True, topics: list[str] | None = None,
             matches: list[dict[str, Any]] | None = None, explanations: dict[str, Any] | None = None,
             event: Event | None = None) -> Post:
    """A post with one analysis, optionally in ``event``."""
    fields: dict[str, Any] = {"title": title, "text": text, "published_at": published_at}
    if url is not None:
        fields["url"] = url
    result = add_posts(session, [make_post(source, **fields)])
    post = session.get_one(Post, result.new_ids[0])
    if event is not None:
        post.event_id = event.id
    session.add(Analysis(
        post_id=post.id, model_version="test-1", relevance=relevance, is_relevant=relevant, rumour=rumour,
        sentiment=sentiment, negative=negative, category=category,
        topics=topics if topics is not None else ["fertility"],
        matches=matches if matches is not None else [], explanations=explanations or {}))
    session.flush()
    return post


def add_alert(session: Session, event: Event, *, grade: str = "II", status: str = "new", rule: str = "demand-rule",
              category: str = "demand", due_at: datetime = NOW + timedelta(hours=1)) -> Alert:
    alert = Alert(event_id=event.id, rule=rule, topic=event.topic, category=category, grade=grade, status=status,
                  monitor="mon", due_at=due_at, reasons=["负面占比高"])
    session.add(alert)
    session.flush()
    return alert


def add_digest(session: Session, html: str, day: Any = None) -> Digest:
    digest = Digest(day=day or NOW.date(), subject="舆情日报 3月5日", html=html, text="text")
    session.add(digest)
    session.flush()
    return digest
