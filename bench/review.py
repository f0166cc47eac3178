"""Review app latency: inbox page and item page, median and p95, on a seeded database.

    .venv/bin/python bench/review.py --backend postgresql --posts 1000000
    .venv/bin/python bench/review.py --backend sqlite --posts 100000

Seeds posts spread over a year (one analysis each, ~30% flagged, ~20% in events, 2,000
alerts) with PostgreSQL COPY or SQLite executemany, then times whole HTTP requests through
the real app in-process (routing, session, database, template rendering). The inbox mix:
the default page, filters (category, source, grade, text search), another sort, page 3.
The search mix (issue #20): ``scope=all`` over all dates, 2-, 3- and 6-character queries and a
boolean expression; each post names one of 400 counties, so a county matches ~0.25 % of posts.
The seeded posts are processed (in the search index) but for the newest 0.1 %, which are
found by the scan of unprocessed posts as a fresh crawl's would be.
The last line is one JSON object: backend, posts, inbox_p95_ms, item_p95_ms, search_p95_ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, insert, text

from pipeline.config import default_config
from pipeline.db import make_engine, session_factory, transaction
from pipeline.migrate import upgrade
from pipeline.models import Alert, Analysis, Event, Post, Source
from pipeline.search_index import drop_search_index, ensure_search_index
from pipeline.store.users import add_user
from review.app import create_app

NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
CATEGORIES = ["rumour", "demand", "criticism", "misunderstanding", "hot_issue", "emergency", "other"]
SOURCES = [f"source-{n:02d}" for n in range(20)]
PHRASES = ["三孩育儿补贴迟迟没有到账", "网传二孩罚款十万系谣言", "生育登记流程咨询", "计生干部作风问题被投诉",
           "出生人口下降引发热议", "独生子女奖励扶助政策解读", "生育保险报销材料", "失独家庭特别扶助标准调整"]
PASSWORD = "bench password 1"
_PLACE_CHARS = "青白清平安长永宁新丰和兴东西南北金石云龙山水阳城河湖江桥泉林松柏华明光德信义仁福"


def places(n: int = 400) -> list[str]:
    """Invented county names of three characters (two distinct characters and 县)."""
    rng = random.Random(3)
    names: set[str] = set()
    while len(names) < n:
        names.add(rng.choice(_PLACE_CHARS) + rng.choice(_PLACE_CHARS) + "县")
    return sorted(names)


PLACES = places()


def _iso(value: datetime) -> str:
    return value.isoformat()


def rows(n_posts: int, n_events: int, seed: int = 7) -> tuple[list[dict[str, Any]], ...]:
    rng = random.Random(seed)
    events = [{"id": e + 1, "key": f"ev{e}", "title": rng.choice(PHRASES), "topic": "fertility",
               "category": rng.choice(CATEGORIES), "first_seen": NOW - timedelta(days=rng.random() * 365),
               "last_seen": NOW - timedelta(days=rng.random() * 3), "post_count": 10, "source_count": 3,
               "negative_share": 0.4, "rumour_score": 0.3, "heat": rng.random() * 20, "burst": False,
               "stats": {}, "updated_at": NOW} for e in range(n_events)]
    alerts = [{"id": a + 1, "event_id": a + 1, "rule": f"rule-{a % 4}", "topic": "fertility",
               "category": rng.choice(CATEGORIES), "grade": rng.choice(["I", "II", "III", "IV"]), "reasons": [],
               "status": rng.choice(["new", "acknowledged", "responding", "closed"]), "monitor": "mon",
               "due_at": NOW + timedelta(hours=rng.randint(-48, 2)), "escalation_level": 0, "followups_sent": 0,
               "created_at": NOW, "updated_at": NOW} for a in range(min(2000, n_events))]
    posts, analyses = [], []
    span = 365 * 86400
    place_rng = random.Random(5)  # its own sequence: the other columns stay as they were
    waiting = max(1, n_posts // 1000)  # the newest posts are not processed yet
    for i in range(1, n_posts + 1):
        phrase = PHRASES[i % len(PHRASES)]
        published = NOW - timedelta(seconds=span * i / n_posts)
        body = (f"{phrase}，{place_rng.choice(PLACES)}网友第{i}号留言：希望有关部门尽快回应，"
                "说明育儿补贴和生育政策的具体安排。")
        posts.append({"id": i, "source_id": rng.randrange(len(SOURCES)) + 1, "url": f"https://bbs.example.cn/t/{i}",
                      "content_hash": f"{i:040x}", "title": f"{phrase}（{i}）", "text": body, "author": "网友",
                      "published_at": published, "fetched_at": published + timedelta(minutes=5),
                      "processed_at": None if i <= waiting else published + timedelta(minutes=6),
                      "event_id": rng.randrange(n_events) + 1 if rng.random() < 0.2 else None, "extra": {}})
        start = body.find("补贴")
        analyses.append({"id": i, "post_id": i, "model_version": "bench-1", "relevance": rng.random(),
                         "is_relevant": rng.random() < 0.3, "rumour": rng.random(), "sentiment": "neg",
                         "negative": rng.random(), "category": rng.choice(CATEGORIES), "topics": ["fertility"],
                         "matches": [{"term": "补贴", "field": "body", "start": start, "end": start + 2,
                                      "topic": "fertility"}],
                         "explanations": {"relevance": [["补贴", 0.7], ["生育", 0.5]]}, "created_at": NOW})
    return events, alerts, posts, analyses


def _copy(engine: Engine, table: str, data: list[dict[str, Any]]) -> None:
    columns = list(data[0])
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in data:
                copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else
                                _iso(v) if isinstance(v, datetime) else v for v in (row[c] for c in columns)])
        raw.commit()
    finally:
        raw.close()


def seed(engine: Engine, n_posts: int) -> float:
    started = time.perf_counter()
    events, alerts, posts, analyses = rows(n_posts, max(1000, n_posts // 50))
    sources = [{"id": n + 1, "name": name, "kind": "list", "healthy": True, "consecutive_failures": 0,
                "created_at": NOW} for n, name in enumerate(SOURCES)]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # built once after the copy, not row by row
            drop_search_index(conn)
        for table, data in (("sources", sources), ("events", events), ("alerts", alerts), ("posts", posts),
                            ("analyses", analyses)):
            _copy(engine, table, data)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            ensure_search_index(conn)
        with engine.begin() as conn:
            for table in ("sources", "events", "alerts", "posts", "analyses"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:  # the posts are stored processed: the index is built after them
            drop_search_index(conn)
        with engine.begin() as conn:
            for model, data in ((Source, sources), (Event, events), (Alert, alerts)):
                conn.execute(insert(model), data)
            for start in range(0, len(posts), 20_000):
                conn.execute(insert(Post), posts[start:start + 20_000])
                conn.execute(insert(Analysis), analyses[start:start + 20_000])
        with engine.begin() as conn:
            ensure_search_index(conn)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(client: TestClient, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--posts", type=int, default=None, help="default 1,000,000 (PostgreSQL) / 100,000 (SQLite)")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page kind")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: time the database an earlier run seeded (same --posts) instead of seeding")
    args = parser.parse_args()
    n_posts = args.posts or (1_000_000 if args.backend == "postgresql" else 100_000)
    workdir = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    if args.backend == "postgresql" and not args.reuse:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS yuqing_bench_review WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE yuqing_bench_review"))
    if args.backend == "postgresql":
        url = args.pg.rsplit("/", 1)[0] + "/yuqing_bench_review"
    else:
        url = f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url, pool_size=5)
    upgrade(engine)
    if args.reuse and args.backend == "postgresql":
        with engine.connect() as conn:
            print(f"reusing {conn.execute(text('SELECT count(*) FROM posts')).scalar_one():,} seeded posts")
    else:
        seconds = seed(engine, n_posts)
        print(f"seeded {n_posts:,} posts in {args.backend} in {seconds:.1f}s")
        with transaction(session_factory(engine)) as session:
            add_user(session, "bench", "analyst", PASSWORD)
    config = default_config(workdir, storage={"url": url})
    app = create_app(config, engine=engine, clock=lambda: NOW)
    rng = random.Random(11)
    with TestClient(app) as client:
        import re

        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token.group(1)})
        variants = ["/inbox", "/inbox?category=rumour", "/inbox?source=source-03", "/inbox?grade=II",
                    "/inbox?q=%E5%A4%B1%E7%8B%AC", "/inbox?sort=relevance", "/inbox?page=3",
                    "/inbox?status=none&sort=rumour"]
        inbox_urls = [variants[i % len(variants)] for i in range(args.requests)]
        search_urls = [f"/inbox?scope=all&since=&{urlencode({'q': q})}" for q in search_queries(args.requests)]
        flagged = client.get("/api/inbox?per_page=200&since=").json()["items"]
        item_urls = [f"/items/{rng.choice(flagged)['post_id']}" for _ in range(args.requests)]
        timed(client, inbox_urls[:10] + item_urls[:10] + search_urls[:10])  # warm caches and pools
        inbox = timed(client, inbox_urls)
        items = timed(client, item_urls)
        search = timed(client, search_urls[10:] + search_urls[:10])
        wide = timed(client, ["/inbox?since=&until="] * 5)
    print(f"inbox  median {statistics.median(inbox):7.1f} ms  p95 {p95(inbox):7.1f} ms  ({len(inbox)} requests, "
          f"default window {config.review.inbox_days} days)")
    print(f"item   median {statistics.median(items):7.1f} ms  p95 {p95(items):7.1f} ms  ({len(items)} requests)")
    print(f"inbox over all dates (no window): median {statistics.median(wide):7.1f} ms  (not the target figure)")
    print(f"search median {statistics.median(search):7.1f} ms  p95 {p95(search):7.1f} ms  ({len(search)} requests, "
          "scope=all, all dates)")
    for kind in SEARCH_KINDS:
        times = [t for t, url in zip(search, search_urls[10:] + search_urls[:10], strict=True)
                 if kind_of(url) == kind]
        print(f"  {kind:<8} median {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms  ({len(times)})")
    engine.dispose()
    print(json.dumps({"backend": args.backend, "posts": n_posts, "inbox_p95_ms": round(p95(inbox), 1),
                      "item_p95_ms": round(p95(items), 1), "search_p95_ms": round(p95(search), 1)}))


SEARCH_KINDS = ("2 chars", "3 chars", "6 chars", "boolean")


def search_queries(n: int, seed: int = 13) -> list[str]:
    """The search mix, in turn: a county's first two characters (a short query: the last 30 days
    only), a county, a county with the three characters after it, a boolean expression."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        place, other = rng.sample(PLACES, 2)
        out.append([place[:2], place, place + "网友第",
                    f'({place} OR {other}) AND NOT "罚款" AND 补贴'][i % len(SEARCH_KINDS)])
    return out


def kind_of(url: str) -> str:
    q = parse_qs(urlsplit(url).query)["q"][0]
    return "boolean" if " " in q else {2: "2 chars", 3: "3 chars", 6: "6 chars"}[len(q)]


if __name__ == "__main__":
    main()
