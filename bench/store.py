"""Store benchmark: insert N posts in batches, then re-insert the same N (all de-duplicated).

Each batch is one transaction (de-duplication, insert, commit), timed; building the batch's
``PostIn`` objects is the caller's work and is not.

Runs on SQLite (a temp file) and on PostgreSQL (a scratch database on 127.0.0.1:5432, dropped
afterwards) in the same run. Last line: one JSON object with the figures.

    .venv/bin/python bench/store.py [--posts 100000] [--batch 1000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the packages, not bench/alerts.py

from sqlalchemy import create_engine, text

from pipeline.db import make_engine, session_factory, transaction
from pipeline.migrate import upgrade
from pipeline.store.posts import PostIn, add_posts

BASE = datetime(2026, 3, 5, tzinfo=UTC)


def post(i: int) -> PostIn:
    return PostIn(source=f"bench-{i % 5}", url=f"https://news.example.cn/{i % 97}/article-{i}.html",
                  title=f"第{i}号 关于三孩生育政策和育儿补贴的解读",
                  text=f"这是第{i}条测试帖子。" + "市卫健委表示，育儿补贴按年发放，申领全程免费。" * 3,
                  author=f"作者{i % 1000}", published_at=BASE + timedelta(seconds=i))


def measure(url: str, n: int, batch: int) -> tuple[float, float]:
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    rates = []
    for _ in range(2):
        elapsed = 0.0
        for chunk_start in range(0, n, batch):
            posts = list(posts_range(chunk_start, min(batch, n - chunk_start)))  # the input, not timed
            started = time.perf_counter()
            with transaction(factory) as session:
                add_posts(session, posts, batch_size=batch)
            elapsed += time.perf_counter() - started
        rates.append(n / elapsed)
    with factory() as session:
        stored = session.execute(text("SELECT count(*) FROM posts")).scalar_one()
    assert stored == n, f"expected {n} posts, found {stored}"
    engine.dispose()
    return rates[0], rates[1]


def posts_range(start: int, count: int) -> Iterator[PostIn]:
    return (post(i) for i in range(start, start + count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ins, rein = measure(f"sqlite:///{Path(tmp) / 'bench.db'}", args.posts, args.batch)
    print(f"SQLite     insert {ins:>9,.0f} posts/s   re-insert (all duplicates) {rein:>9,.0f} posts/s")
    figures.update(sqlite_insert_per_s=round(ins), sqlite_reinsert_per_s=round(rein))
    name = f"yuqing_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        ins, rein = measure(args.pg_url.rsplit("/", 1)[0] + f"/{name}", args.posts, args.batch)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"PostgreSQL insert {ins:>9,.0f} posts/s   re-insert (all duplicates) {rein:>9,.0f} posts/s")
    figures.update(pg_insert_per_s=round(ins), pg_reinsert_per_s=round(rein))
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
