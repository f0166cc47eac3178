"""Benchmark: digest build time for a day of 100,000 posts, and alert evaluation throughput.

    .venv/bin/python bench/alerts.py [--posts 100000] [--events 2000] [--db sqlite|postgresql]

Seeds a fresh database (SQLite in a temp folder by default, or a scratch PostgreSQL database)
with one day of ``--posts`` analysed posts in ``--events`` events plus six earlier days at a
third of that volume, then times `build_digest` for the day and `raise_alerts` over every
event (analyses evaluated per second). Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text

from pipeline.alerting import raise_alerts
from pipeline.config import default_config
from pipeline.db import make_engine, session_factory, transaction
from pipeline.digest import build_digest
from pipeline.migrate import upgrade
from pipeline.models import Analysis, Event, Post, Source

DAY = date(2026, 3, 5)
CATEGORIES = ["rumour", "demand", "criticism", "misunderstanding", "hot_issue", "emergency", "other", "other"]
TOPICS = ["fertility-policy", "family-support", "population"]
SOURCES = [f"source-{i:02d}" for i in range(12)]
BATCH = 5000


def _config(base: Path, url: str):  # type: ignore[no-untyped-def]
    return default_config(
        base, storage={"url": url},
        topics=[{"name": t, "label": label, "expression": label} for t, label in
                zip(TOPICS, ("生育政策", "奖励扶助", "人口发展"), strict=True)],
        monitors=[{"name": "王敏", "email": "wangmin@example.gov.cn", "supervisor": "李建国"},
                  {"name": "李建国", "email": "lijianguo@example.gov.cn"}],
        sources=[{"name": s, "kind": "list", "start_urls": [f"https://{s}.example.cn/"]} for s in SOURCES],
        alerts={"rules": [
            {"name": "rumour", "categories": ["rumour"], "min_relevance": 0.5, "min_rumour": 0.6},
            {"name": "emergency", "categories": ["emergency"], "min_relevance": 0.5},
            {"name": "criticism", "categories": ["criticism"], "min_relevance": 0.5, "min_negative": 0.6},
            {"name": "hot", "min_relevance": 0.6, "burst": True, "min_sources": 2}]},
        digest={"recipients": ["lijianguo@example.gov.cn"]})


def seed(engine, posts_day: int, n_events: int, tz) -> list[int]:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    day_start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=tz).astimezone(UTC)
    with engine.begin() as conn:
        conn.execute(insert(Source), [{"name": s, "kind": "list", "healthy": True, "consecutive_failures": 0,
                                       "created_at": day_start} for s in SOURCES])
        source_ids = [r[0] for r in conn.execute(text("SELECT id FROM sources ORDER BY id"))]
        events = []
        for i in range(n_events):
            cat = CATEGORIES[i % len(CATEGORIES)]
            events.append({"key": f"e{i}", "title": f"事件{i}：网传生育政策新规", "topic": TOPICS[i % 3],
                           "category": cat, "first_seen": day_start - timedelta(days=6), "last_seen": day_start
                           + timedelta(hours=23), "post_count": 0, "source_count": 0, "negative_share": 0.5,
                           "rumour_score": 0.8 if cat == "rumour" else 0.1, "heat": rng.uniform(1, 200),
                           "burst": i % 10 == 0, "stats": {}, "updated_at": day_start})
        conn.execute(insert(Event), events)
        event_ids = [r[0] for r in conn.execute(text("SELECT id FROM events ORDER BY id"))]
    plan = [(DAY, posts_day)] + [(DAY - timedelta(days=d), posts_day // 3) for d in range(1, 7)]
    n = 0
    for day, count in plan:
        start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
        for offset in range(0, count, BATCH):
            size = min(BATCH, count - offset)
            posts, ids = [], list(range(n + 1, n + size + 1))
            for pid in ids:
                posts.append({"id": pid, "source_id": source_ids[pid % len(source_ids)],
                              "url": f"https://x.example.cn/{pid}", "content_hash": f"{pid:064x}",
                              "title": f"帖子{pid}", "text": "网传二孩罚款十万元", "author": None,
                              "published_at": start + timedelta(seconds=rng.randrange(86400)), "fetched_at": start,
                              "event_id": event_ids[rng.randrange(len(event_ids))] if pid % 4 else None,
                              "processed_at": start, "extra": {}})
            analyses = [{"post_id": pid, "model_version": "bench", "relevance": (r := rng.random()),
                         "is_relevant": r >= 0.5, "rumour": rng.random(), "sentiment": "neg",
                         "negative": rng.random(), "category": CATEGORIES[pid % len(CATEGORIES)],
                         "topics": [TOPICS[pid % 3]], "matches": [], "explanations": {}, "created_at": start}
                        for pid in ids]
            with engine.begin() as conn:
                conn.execute(insert(Post), posts)
                conn.execute(insert(Analysis), analyses)
            n += size
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET post_count = (SELECT count(*) FROM posts"
                          " WHERE posts.event_id = events.id),"
                          " source_count = (SELECT count(DISTINCT source_id) FROM posts"
                          " WHERE posts.event_id = events.id)"))
    return event_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        pg_name = None
        if args.db == "postgresql":
            pg_name = f"yuqing_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
        else:
            url = f"sqlite:///{base / 'bench.db'}"
        try:
            config = _config(base, url)
            engine = make_engine(url)
            upgrade(engine)
            t0 = time.perf_counter()
            event_ids = seed(engine, args.posts, args.events, config.tz)
            print(f"seeded {args.posts:,} posts on {DAY} (+6 days at a third), {args.events:,} events "
                  f"on {args.db} in {time.perf_counter() - t0:.1f} s")
            factory = session_factory(engine)
            with factory() as session:
                t0 = time.perf_counter()
                result = build_digest(session, config, DAY)
                digest_s = time.perf_counter() - t0
            totals = result.stats["totals"]
            print(f"digest {DAY}: {digest_s:.2f} s for {totals['posts']:,} posts ({totals['relevant']:,} relevant), "
                  f"html {len(result.html):,} chars, chart {len(result.images['trend']):,} bytes")
            with factory() as session:
                analyses = session.execute(text(
                    "SELECT count(*) FROM analyses JOIN posts ON posts.id = analyses.post_id "
                    "WHERE posts.event_id IS NOT NULL")).scalar_one()
            now = datetime(DAY.year, DAY.month, DAY.day, 23, 30, tzinfo=config.tz)
            t0 = time.perf_counter()
            with transaction(factory) as session:
                alert_ids = raise_alerts(session, config, event_ids, now=now)
            eval_s = time.perf_counter() - t0
            with transaction(factory) as session:
                t1 = time.perf_counter()
                again = raise_alerts(session, config, event_ids, now=now)
                steady_s = time.perf_counter() - t1
            print(f"alerts: {len(event_ids):,} events / {analyses:,} analyses evaluated in {eval_s:.2f} s, "
                  f"{len(alert_ids):,} alerts raised with drafts and notifications; re-evaluation "
                  f"(nothing new) {steady_s:.2f} s, {len(again)} changed")
            engine.dispose()
        finally:
            if pg_name:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
    print(json.dumps({"digest_100k_s": round(digest_s, 2), "alert_eval_per_s": round(analyses / eval_s)}))


if __name__ == "__main__":
    main()
