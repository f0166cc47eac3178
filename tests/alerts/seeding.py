"""Test helpers for alerts and notifications: seeded events, a real SMTP server, a webhook server."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from pipeline.models import Analysis, Event, Post
from pipeline.store.sources import ensure_source

_seq = count(1)

MONITORS = [
    {"name": "王敏", "email": "wangmin@example.gov.cn", "topics": ["fertility-policy"], "supervisor": "李建国",
     "webhooks": []},
    {"name": "李建国", "email": "lijianguo@example.gov.cn"},
]
RULES = [
    {"name": "rumour", "categories": ["rumour"], "min_relevance": 0.5, "min_rumour": 0.6},
    {"name": "emergency", "categories": ["emergency"], "min_relevance": 0.5},
    {"name": "criticism", "categories": ["criticism"], "min_relevance": 0.5, "min_negative": 0.6},
]
TOPICS = [{"name": "fertility-policy", "label": "生育政策", "expression": "生育 OR 二孩 OR 三孩"}]


def alert_config_overrides(**extra: Any) -> dict[str, Any]:
    overrides: dict[str, Any] = {"monitors": MONITORS, "topics": TOPICS, "alerts": {"rules": RULES}}
    overrides.update(extra)
    return overrides


def seed_event(session: Session, *, when: datetime, title: str = "网传二孩要罚款10万元", topic: str | None =
               "fertility-policy", category: str = "rumour", posts: int = 3, sources: int = 2,
               relevance: float = 0.9, rumour: float = 0.8, negative: float = 0.7, heat: float | None = None,
               burst: bool = False, text: str = "网传：新规规定生二孩罚款10万元，紧急扩散！",
               spacing: timedelta = timedelta(minutes=5)) -> Event:
    """An event with ``posts`` analysed posts spread over ``sources`` sources, ending at ``when``."""
    n = next(_seq)
    event = Event(key=f"ev-{n}", title=title, topic=topic, category=category,
                  first_seen=when - spacing * (posts - 1), last_seen=when, post_count=posts,
                  source_count=sources, negative_share=1.0 if negative > 0.5 else 0.0, rumour_score=rumour,
                  heat=heat if heat is not None else float(posts * 2), burst=burst, stats={})
    session.add(event)
    session.flush()
    add_posts(session, event, posts, sources=sources, when=when, relevance=relevance, rumour=rumour,
              negative=negative, category=category, topic=topic, text=text, spacing=spacing)
    return event


def add_posts(session: Session, event: Event, n: int, *, when: datetime, sources: int = 1,
              relevance: float = 0.9, rumour: float = 0.8, negative: float = 0.7, category: str = "rumour",
              topic: str | None = "fertility-policy", text: str = "网传消息", spacing: timedelta = timedelta(0),
              title: str | None = None, source_names: tuple[str, ...] | None = None) -> None:
    names = source_names or tuple(f"src-{i}" for i in range(sources))
    source_ids = [ensure_source(session, name, "list").id for name in names[:sources]]
    for i in range(n):
        k = next(_seq)
        post = Post(source_id=source_ids[i % len(source_ids)], url=f"https://bbs.example.cn/t/{k}",
                    content_hash=f"h{k}", title=title or event.title, text=text,
                    published_at=when - spacing * (n - 1 - i), fetched_at=when, event_id=event.id,
                    processed_at=when)
        session.add(post)
        session.flush()
        session.add(Analysis(post_id=post.id, model_version="test", relevance=relevance,
                             is_relevant=relevance >= 0.5, rumour=rumour,
                             sentiment="neg" if negative > 0.5 else "neu", negative=negative, category=category,
                             topics=[topic] if topic else [], matches=[], explanations={}))
    session.flush()


# --- a real SMTP server in this process --------------------------------------------------

@dataclass
class MailSink:
    """aiosmtpd handler keeping every accepted mail; ``refuse`` makes it answer 451 (try later)."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False
    hold: asyncio.Event | None = None  # DATA waits for this before answering (a slow server)
    data_started: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_started.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.refuse:
            return "451 4.3.0 try again later"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"


@contextmanager
def smtp_server(port: int = 0, sink: MailSink | None = None) -> Iterator[tuple[Controller, MailSink]]:
    sink = sink or MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a real HTTP server for webhooks -----------------------------------------------------

@dataclass
class HookLog:
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # queued replies, then 200 ok

    def bodies(self) -> list[Any]:
        return [body for _, _, body in self.requests]


@contextmanager
def webhook_server() -> Iterator[tuple[str, HookLog]]:
    log = HookLog()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status, reply = log.replies.pop(0) if log.replies else (200, {"errcode": 0, "errmsg": "ok"})
                if status == 200 and reply.get("errcode", 0) == 0:
                    log.requests.append((self.path, dict(self.headers), json.loads(raw)))
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


def config_with_env(base_dir: Any, environ: dict[str, str], **overrides: Any) -> Any:
    """A validated Config whose ``${VAR}`` secrets come from ``environ`` (webhook URLs, passwords)."""
    from pipeline.config import parse_config

    return parse_config(overrides, base_dir=base_dir, environ=environ, source="<test>")


# --- a realistic day for the digest ------------------------------------------------------

DIGEST_SOURCES = [
    {"name": "city-news", "kind": "list", "start_urls": ["https://news.example.cn/"]},
    {"name": "tieba", "kind": "list", "start_urls": ["https://tieba.example.cn/"]},
    {"name": "dead-forum", "kind": "list", "start_urls": ["https://bbs.example.cn/"]},
]
NEWS = ("tieba", "city-news")
DIGEST_TOPICS = [
    {"name": "fertility-policy", "label": "生育政策", "expression": "生育 OR 二孩 OR 三孩"},
    {"name": "family-support", "label": "奖励扶助", "expression": "奖励扶助 OR 特别扶助"},
]


def digest_config_overrides(**extra: Any) -> dict[str, Any]:
    return {"monitors": MONITORS[:1] + MONITORS[1:], "topics": DIGEST_TOPICS, "sources": DIGEST_SOURCES,
            "alerts": {"rules": RULES}, "digest": {"recipients": ["lijianguo@example.gov.cn"], "top_events": 5},
            **extra}


def seed_digest_week(session: Session, day_start: datetime) -> dict[str, Any]:
    """Seven days of posts ending with the day starting at ``day_start`` (UTC instant of local midnight).

    On the digest day: a rumour (unanswered, with an alert), a rumour answered the day before,
    a hot issue, an overdue alert, a failed source (dead-forum) and a hostile title.
    """
    from pipeline.models import Alert, CrawlRun, ResponseDraft

    def event(title: str, category: str, topic: str, first: datetime, last: datetime, n: int) -> Event:
        k = next(_seq)
        e = Event(key=f"digest-{k}", title=title, topic=topic, category=category, first_seen=first, last_seen=last,
                  post_count=n, source_count=2, negative_share=0.6, rumour_score=0.8 if category == "rumour" else 0.1,
                  heat=float(n), burst=False, stats={})
        session.add(e)
        session.flush()
        return e

    noon = day_start + timedelta(hours=12)
    rumour = event("网传“二孩罚款10万”<script>alert(1)</script>", "rumour", "fertility-policy",
                   noon - timedelta(hours=3), noon, 1)
    answered = event("网传奖励扶助金取消", "rumour", "family-support", noon - timedelta(days=2), noon, 1)
    hot = event("三孩育儿补贴如何申领引热议", "hot_issue", "fertility-policy", noon - timedelta(days=6), noon, 1)
    for d in range(7):  # a rising week for the hot issue; the rumours only lately
        when = day_start - timedelta(days=6 - d) + timedelta(hours=9)
        add_posts(session, hot, 3 + 4 * d, source_names=NEWS,
              when=when, sources=2, relevance=0.9, rumour=0.1,
                  negative=0.6 if d % 2 else 0.2, category="hot_issue", topic="fertility-policy",
                  text="三孩育儿补贴怎么领？", spacing=timedelta(minutes=7))
    add_posts(session, rumour, 25, source_names=NEWS,
              when=noon, sources=2, rumour=0.9, negative=0.8, category="rumour",
              text="紧急扩散：新规生二孩罚款10万元！", spacing=timedelta(minutes=3))
    add_posts(session, answered, 6, source_names=NEWS,
              when=day_start - timedelta(hours=20), sources=1, rumour=0.8, negative=0.9,
              category="rumour", topic="family-support", spacing=timedelta(minutes=10))
    add_posts(session, answered, 2, source_names=NEWS,
              when=noon, sources=1, rumour=0.7, negative=0.2, category="rumour",
              topic="family-support", spacing=timedelta(minutes=10))
    add_posts(session, hot, 5, source_names=NEWS,
              when=noon, sources=1, relevance=0.1, rumour=0.0, negative=0.1, category="other",
              topic=None, text="某明星晒二胎", title="明星二胎")  # irrelevant keyword hits
    session.add(ResponseDraft(alert_id=None, event_id=answered.id, category="rumour", status="approved",
                              body="辟谣稿", author="yuqing", reviewer="赵磊", approver="李建国",
                              published_at=day_start - timedelta(hours=12)))
    for e, grade, due, status in ((rumour, "III", noon + timedelta(hours=2), "acknowledged"),
                                  (hot, "II", day_start + timedelta(hours=2), "new")):
        session.add(Alert(event_id=e.id, rule="seed", topic=e.topic, category=e.category, grade=grade,
                          notified_grade=grade, reasons=["种子数据"], status=status, monitor="王敏",
                          supervisor="李建国", due_at=due, created_at=due - timedelta(hours=2),
                          acknowledged_at=noon if status == "acknowledged" else None))
    # city-news and tieba crawled fine; dead-forum failed all day.
    dead = ensure_source(session, "dead-forum", "list")
    dead.healthy, dead.health_note = False, "连续3次超时"
    session.add(CrawlRun(source_id=dead.id, started_at=day_start + timedelta(hours=8), status="failed",
                         message="timeout"))
    for name in ("city-news", "tieba"):
        ensure_source(session, name, "list")
    session.flush()
    return {"rumour": rumour.id, "answered": answered.id, "hot": hot.id}
