"""Written reports at scale: a monthly report over 1,000,000 posts, and an alert's 初报.

    .venv/bin/python bench/reports.py --backend postgresql --posts 1000000
    .venv/bin/python bench/reports.py --backend sqlite --posts 200000

Seeds a month (March 2026, Asia/Shanghai) of posts, one analysis each (~30% relevant),
~20% in 20,000 events, one event of 5,000 posts with an alert, 2,000 alerts and 30
published responses, in chunks (PostgreSQL COPY or SQLite executemany). Then times, in
this process: the monthly report (31 days of the digest's daily totals, top events,
rumours, response effects, source health, the report row, the Word file with its two
charts) and the 初报 of the big event's alert (facts, chart, Word file). Peak RSS is
sampled while the reports are built (seeding streams its rows and is not counted).
The last line is one JSON object: monthly_report_s, alert_report_s, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, insert, text

from bench.export import PeakRss
from bench.review import CATEGORIES, PHRASES, SOURCES, _copy
from pipeline.config import default_config
from pipeline.db import make_engine, session_factory, transaction
from pipeline.migrate import upgrade
from pipeline.models import Alert, Analysis, Event, Post, ResponseDraft, Source
from pipeline.reports import SYSTEM_AUTHOR, initial_report, periodic_report, render_report

MONTH_START = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # 2026-03-01 00:00 in Asia/Shanghai
SPAN_S = 31 * 86400
N_EVENTS = 20_000
BIG_EVENT_EVERY = 200  # every 200th post joins event 1: 5,000 posts at 1,000,000
CHUNK = 50_000
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _events(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    events = [{"id": e + 1, "key": f"ev{e}", "title": rng.choice(PHRASES), "topic": "fertility",
               "category": "rumour" if e % 10 == 0 else rng.choice(CATEGORIES),
               "first_seen": MONTH_START + timedelta(seconds=rng.random() * SPAN_S * 0.9),
               "last_seen": MONTH_START + timedelta(seconds=SPAN_S - 60), "post_count": 10, "source_count": 3,
               "negative_share": 0.4, "rumour_score": 0.3, "heat": rng.random() * 20, "burst": False, "stats": {},
               "updated_at": MONTH_START} for e in range(N_EVENTS)]
    events[0].update(title="网传二孩罚款十万元", category="rumour", first_seen=MONTH_START + timedelta(days=10),
                     last_seen=MONTH_START + timedelta(days=12), post_count=0, heat=80.0)
    alerts = [{"id": a + 1, "event_id": a + 1, "rule": f"rule-{a % 4}", "topic": "fertility",
               "category": events[a]["category"], "grade": "II" if a == 0 else rng.choice(["I", "II", "III", "IV"]),
               "reasons": ["类别为“谣言、不实信息”（+30）"], "status": rng.choice(["new", "acknowledged", "closed"]),
               "monitor": "王敏", "due_at": MONTH_START + timedelta(days=rng.randint(0, 30)), "escalation_level": 0,
               "followups_sent": 0, "created_at": MONTH_START + timedelta(days=rng.randint(0, 30)),
               "updated_at": MONTH_START} for a in range(2000)]
    drafts = [{"id": d + 1, "alert_id": d + 1, "event_id": d + 1, "category": "rumour", "status": "approved",
               "body": "辟谣稿", "version": 2, "author": "ana", "reviewer": "bob", "approver": "lee",
               "published_at": MONTH_START + timedelta(days=1 + d), "created_at": MONTH_START,
               "updated_at": MONTH_START} for d in range(30)]
    return events, alerts, drafts


def _posts(n: int, rng: random.Random) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    posts, analyses = [], []
    for i in range(1, n + 1):
        phrase = PHRASES[i % len(PHRASES)]
        published = MONTH_START + timedelta(seconds=SPAN_S * (i - 0.5) / n)
        event = 1 if i % BIG_EVENT_EVERY == 0 else (rng.randrange(2, N_EVENTS + 1) if rng.random() < 0.2 else None)
        if event == 1:
            published = MONTH_START + timedelta(days=10, seconds=(i // BIG_EVENT_EVERY) * 30)
        posts.append({"id": i, "source_id": rng.randrange(len(SOURCES)) + 1, "url": f"https://bbs.example.cn/t/{i}",
                      "content_hash": f"{i:040x}", "title": f"{phrase}（{i}）", "author": "网友",
                      "text": f"{phrase}，网友第{i}号留言：希望有关部门尽快回应。", "published_at": published,
                      "fetched_at": published + timedelta(minutes=5), "event_id": event, "extra": {}})
        analyses.append({"id": i, "post_id": i, "model_version": "bench-1", "relevance": 0.8,
                         "is_relevant": event == 1 or rng.random() < 0.3, "rumour": rng.random(), "sentiment": "neg",
                         "negative": rng.random(), "category": rng.choice(CATEGORIES), "topics": ["fertility"],
                         "matches": [], "explanations": {}, "created_at": published})
        if len(posts) == CHUNK:
            yield posts, analyses
            posts, analyses = [], []
    if posts:
        yield posts, analyses


def seed(engine: Engine, n_posts: int) -> float:
    started = time.perf_counter()
    rng = random.Random(11)
    events, alerts, drafts = _events(rng)
    sources = [{"id": k + 1, "name": name, "kind": "list", "healthy": True, "consecutive_failures": 0,
                "created_at": MONTH_START} for k, name in enumerate(SOURCES)]
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        for table, data in (("sources", sources), ("events", events), ("alerts", alerts),
                            ("response_drafts", drafts)):
            _copy(engine, table, data)
    else:
        with engine.begin() as conn:
            for model, data in ((Source, sources), (Event, events), (Alert, alerts), (ResponseDraft, drafts)):
                conn.execute(insert(model), data)
    big = 0
    for posts, analyses in _posts(n_posts, rng):
        big += sum(1 for p in posts if p["event_id"] == 1)
        if postgres:
            _copy(engine, "posts", posts)
            _copy(engine, "analyses", analyses)
        else:
            with engine.begin() as conn:
                conn.execute(insert(Post), posts)
                conn.execute(insert(Analysis), analyses)
        print(f"seeded {posts[-1]['id']:,} posts", file=sys.stderr, flush=True)
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET post_count = :n, source_count = 20 WHERE id = 1"), {"n": big})
        if postgres:
            for table in ("sources", "events", "alerts", "response_drafts", "posts", "analyses"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _database(backend: str, folder: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", None
    name = f"yuqing_bench_reports_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def _drop(name: str | None) -> None:
    if name is None:
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="also write the two reports into this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, dbname = _database(args.backend, Path(tmp))
        try:
            engine = make_engine(url)
            upgrade(engine)
            seeded = seed(engine, args.posts)
            print(f"seeded {args.posts:,} posts on {args.backend} in {seeded:.0f} s", file=sys.stderr)
            config = default_config(Path(tmp), storage={"url": url})
            factory = session_factory(engine)
            now = MONTH_START + timedelta(days=32)
            with PeakRss() as rss:
                started = time.perf_counter()
                with transaction(factory) as session:
                    month = periodic_report(session, config, "monthly", date(2026, 3, 15), author=SYSTEM_AUTHOR,
                                            now=now)
                    monthly_doc = render_report(config, month)
                monthly_s = time.perf_counter() - started
                started = time.perf_counter()
                with transaction(factory) as session:
                    initial = initial_report(session, config, 1, author=SYSTEM_AUTHOR, now=now)
                    alert_doc = render_report(config, initial)
                alert_s = time.perf_counter() - started
            totals = month.facts["totals"]
            print(f"monthly report: {totals['posts']:,} posts ({totals['relevant']:,} relevant) in {monthly_s:.2f} s, "
                  f"{len(monthly_doc) / 1024:.0f} KB; 初报 of a {initial.facts['event']['post_count']:,}-post event "
                  f"in {alert_s:.2f} s, {len(alert_doc) / 1024:.0f} KB; peak RSS {rss.mb:.0f} MB", file=sys.stderr)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / "monthly.docx").write_bytes(monthly_doc)
                (args.keep / "alert.docx").write_bytes(alert_doc)
            engine.dispose()
        finally:
            _drop(dbname)
    print(json.dumps({"backend": args.backend, "posts": args.posts, "monthly_report_s": round(monthly_s, 2),
                      "alert_report_s": round(alert_s, 2), "peak_rss_mb": round(rss.mb)}))


if __name__ == "__main__":
    main()
