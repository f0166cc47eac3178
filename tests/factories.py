"""Factories for test data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from pipeline.store.posts import PostIn

_seq = count(1)


def make_post(source: str = "test-news", **fields: object) -> PostIn:
    n = next(_seq)
    base: dict[str, object] = {
        "source": source,
        "url": f"https://news.example.cn/a/{n}.html",
        "title": f"第{n}条 关于生育登记的通知",
        "text": f"这是第{n}条测试新闻，介绍三孩生育政策和育儿补贴的办理流程。",
        "author": "记者",
        "published_at": datetime(2026, 3, 5, 2, 0, tzinfo=UTC) + timedelta(minutes=n),
    }
    base.update(fields)
    return PostIn(**base)  # type: ignore[arg-type]


def make_posts(n: int, source: str = "test-news") -> list[PostIn]:
    return [make_post(source) for _ in range(n)]
