"""Benchmark: export and import of 1,000,000 posts on SQLite, rows/s and peak memory.

    .venv/bin/python bench/export.py [--rows 1000000] [--dir /tmp/yuqing-bench]

Seeds a SQLite database with Core executemany (half the posts analysed), exports it as
JSONL and CSV (and a slice as XLSX), imports the JSONL into an empty database through
`yuqing import`'s code path, and samples this process's RSS while each step runs.
The last line is one JSON object: export_rows_per_s, import_rows_per_s, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from pipeline.config import Config, default_config
from pipeline.db import make_engine, session_factory
from pipeline.exporting import export_posts
from pipeline.importing import import_file
from pipeline.migrate import upgrade
from pipeline.models import Analysis, Post, Source
from pipeline.store.export import ExportFilter
from pipeline.store.hashing import content_hash

SEED_BATCH = 20_000


class PeakRss:
    """Samples this process's resident memory every 20 ms while active."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak / 1024 / 1024


def seed(url: str, rows: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Source).values(id=1, name="bench-news", kind="list"))
    source_id = 1
    for start in range(0, rows, SEED_BATCH):
        posts: list[dict[str, Any]] = []
        for n in range(start, min(rows, start + SEED_BATCH)):
            title = f"第{n}条 关于生育登记和育儿补贴的通知"
            text = (f"这是第{n}条新闻，介绍三孩生育政策、育儿补贴的申领流程和生育保险的报销办法。"
                    "市卫健委提醒，符合条件的家庭可以在社区服务中心或网上办理，材料齐全的当场办结。")
            posts.append({"id": n + 1, "source_id": source_id, "url": f"https://news.example.cn/a/{n}.html",
                          "content_hash": content_hash(title, text), "title": title, "text": text,
                          "author": "记者", "published_at": base + timedelta(seconds=30 * n),
                          "fetched_at": base + timedelta(seconds=30 * n + 60), "extra": {}})
        analyses = [{"post_id": p["id"], "model_version": "v1", "relevance": 0.8125, "is_relevant": True,
                     "rumour": 0.125, "sentiment": "neu", "negative": 0.25, "category": "hot_issue",
                     "topics": [], "matches": [], "explanations": {}, "created_at": base}
                    for p in posts if p["id"] % 2 == 0]
        with engine.begin() as conn:
            conn.execute(insert(Post), posts)
            conn.execute(insert(Analysis), analyses)
    engine.dispose()


def timed(label: str, rows_of: Callable[[], int]) -> tuple[float, float, int]:
    with PeakRss() as rss:
        started = time.perf_counter()
        rows = rows_of()
        seconds = time.perf_counter() - started
    rate = rows / seconds if seconds else 0.0
    print(f"{label:<28} {rows:>9,} rows  {seconds:7.1f} s  {rate:>9,.0f} rows/s  peak RSS {rss.mb:6.0f} MB",
          flush=True)
    return rate, rss.mb, rows


def export_to(config: Config, url: str, path: Path, fmt: str, filters: ExportFilter = ExportFilter()) -> int:
    engine = make_engine(url)
    try:
        with path.open("wb") as handle:
            return export_posts(session_factory(engine), config, handle, fmt=fmt, filters=filters)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def import_from(config: Config, url: str, path: Path) -> int:
    engine = make_engine(url)
    upgrade(engine)
    try:
        summary = import_file(session_factory(engine), config, path, source="bench-news")
    finally:
        engine.dispose()
    assert summary.bad == 0, summary.bad_rows[:5]
    return summary.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/yuqing-bench-export"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    config = default_config(args.dir)
    source_url = f"sqlite:///{args.dir / 'source.db'}"
    target_url = f"sqlite:///{args.dir / 'target.db'}"

    started = time.perf_counter()
    seed(source_url, args.rows)
    print(f"seeded {args.rows:,} posts (half analysed) in {time.perf_counter() - started:.1f} s", flush=True)
    jsonl = args.dir / "posts.jsonl"
    export_rate, export_peak, _ = timed("export jsonl", lambda: export_to(config, source_url, jsonl, "jsonl"))
    print(f"  {jsonl.stat().st_size / 1024 / 1024:,.0f} MB written", flush=True)
    _, csv_peak, _ = timed("export csv", lambda: export_to(config, source_url, args.dir / "posts.csv", "csv"))
    cut = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=30 * args.xlsx_rows)
    _, xlsx_peak, _ = timed(f"export xlsx (first {args.xlsx_rows:,})", lambda: export_to(
        config, source_url, args.dir / "posts.xlsx", "xlsx", ExportFilter(until=cut)))
    import_rate, import_peak, _ = timed("import jsonl (empty db)", lambda: import_from(config, target_url, jsonl))
    again = args.dir / "again.jsonl"
    export_to(config, target_url, again, "jsonl")
    same = _posts_of(jsonl) == _posts_of(again)
    print(f"round trip: re-exported posts identical (analysis fields aside): {same}", flush=True)
    peak = max(export_peak, csv_peak, xlsx_peak, import_peak)
    print(json.dumps({"export_rows_per_s": round(export_rate), "import_rows_per_s": round(import_rate),
                      "peak_rss_mb": round(peak, 1)}))


def _posts_of(path: Path) -> int:
    """A digest of the post fields of an export (analysis fields dropped: imports are not analysed yet)."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for line in handle:
            record = json.loads(line)
            for name in ("relevance", "rumour", "sentiment", "category", "event_id"):
                record.pop(name)
            digest.update(json.dumps(record, ensure_ascii=False).encode())
    return int(digest.hexdigest()[:15], 16)


if __name__ == "__main__":
    main()
