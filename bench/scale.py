"""Benchmark: processing throughput on PostgreSQL with one `yuqing process` worker and with two,
and a worker's memory after processing them all.

    .venv/bin/python bench/scale.py [--posts 1000000] [--batch 500]

Seeds ``--posts`` unprocessed posts (PostgreSQL COPY) in a scratch database on 127.0.0.1:5432:
95% ordinary chatter, 5% about family planning (rumours, demands, policy news in 400 variants, so
events and alerts form). Then runs the real command, `yuqing process`, as one worker process
until the queue is empty; resets every result (analyses, events, alerts, notifications, claims)
and runs two worker processes at once. Each worker's RSS is sampled every 100 ms; the figure is
the largest seen. The last line is one JSON object:
``{"one_worker_per_s": ..., "two_workers_per_s": ..., "ratio": ..., "worker_rss_mb": ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from sqlalchemy import Engine, create_engine, text

from pipeline.db import make_engine
from pipeline.migrate import upgrade
from tests.pipeline.daemon_support import RUMOURS, filler_text

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RELEVANT = [
    "三孩生育政策配套措施今天发布，育儿补贴每孩每年{n}元，生育登记全程网办。",
    "请问生育津贴什么时候到账？我{n}月就提交了材料，到现在还没有消息，计生办电话一直打不通。",
    "奖励扶助金发放标准调整，独生子女父母每人每月{n}元，请符合条件的家庭及时申报。",
    "出生人口连续下降，第{n}次人口发展论坛讨论应对人口老龄化和人口负增长。",
] + [body for _, body in RUMOURS]


def _body(i: int) -> tuple[str, str]:
    if i % 20:
        return f"城市生活第{i}帖", filler_text(i)
    variant = (i // 20) % 400
    template = RELEVANT[variant % len(RELEVANT)]
    return f"生育话题第{variant}号", template.replace("{n}", str(variant)) + f"（{variant}）"


def seed(engine: Engine, n: int) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, name, kind, healthy, consecutive_failures, created_at) "
                          "VALUES (1, 'bench-bbs', 'list', true, 0, now())"))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        columns = "source_id, url, content_hash, title, text, author, published_at, fetched_at, extra"
        with cursor.copy(f"COPY posts ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for i in range(n):
                title, body = _body(i)
                when = (now - timedelta(seconds=(n - i) * 0.2)).isoformat()
                copy.write_row([1, f"https://bbs.example.cn/t/{i}", f"{i:064x}"[-64:], title, body, "网友",
                                when, when, "{}"])
        raw.commit()
    finally:
        raw.close()
    vacuum(engine)
    return time.perf_counter() - started


def vacuum(engine: Engine) -> None:
    """VACUUM ANALYZE posts (autovacuum may be off, as on this machine: each phase starts clean)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE posts"))


class AutoVacuum:
    """VACUUM ANALYZE the busy tables every ``every`` seconds while workers run: what autovacuum does
    on a production server. It is off on this machine's server, and without it every processed post
    leaves dead index entries that each later query walks through."""

    def __init__(self, engine: Engine, every: float = 30.0) -> None:
        self.engine = engine
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE posts, analyses, events"))

    def __enter__(self) -> AutoVacuum:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        # Not TRUNCATE events ... CASCADE: posts reference events, and it would empty posts too.
        conn.execute(text("TRUNCATE analyses, alerts, notifications, response_drafts RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE posts SET processed_at = NULL, claimed_by = NULL, claimed_at = NULL, "
                          "event_id = NULL, event_seq = NULL, minhash = NULL, word_count = NULL"))
        conn.execute(text("DELETE FROM events"))
        conn.execute(text("UPDATE event_clock SET seq = 0"))
    vacuum(engine)


def postgres_cpu() -> dict[int, float]:
    """CPU seconds used so far by each of this machine's PostgreSQL processes (server, backends)."""
    seen: dict[int, float] = {}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        times = proc.info["cpu_times"]
        if proc.info["name"] and proc.info["name"].startswith("postgres") and times is not None:
            seen[proc.pid] = times.user + times.system
    return seen


def run_workers(engine: Engine, config: Path, count: int) -> tuple[float, float]:
    """Start ``count`` `yuqing process` workers; returns (seconds until all exit, peak RSS MB of one).
    Also prints the CPU the workers and PostgreSQL used, in cores busy on average."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    pg_before = postgres_cpu()
    pg_now: dict[int, float] = dict(pg_before)
    started = time.perf_counter()
    with AutoVacuum(engine):
        procs = [subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(config), "process"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
                 for _ in range(count)]
        handles = [psutil.Process(p.pid) for p in procs]
        peak = 0
        cpu: dict[int, float] = {}
        while any(p.poll() is None for p in procs):
            for h in handles:
                with contextlib.suppress(psutil.NoSuchProcess):
                    peak = max(peak, h.memory_info().rss)
                    times = h.cpu_times()
                    cpu[h.pid] = times.user + times.system
            pg_now.update(postgres_cpu())  # backends end with their worker's connections: sample them now
            time.sleep(0.1)
        took = time.perf_counter() - started  # not the wait for a vacuum still running
    pg = sum(t - pg_before.get(pid, 0.0) for pid, t in pg_now.items())
    workers = sum(cpu.values())
    print(f"  CPU: workers {workers:.0f} s, PostgreSQL {pg:.0f} s over {took:.0f} s = "
          f"{(workers + pg) / took:.2f} of {os.cpu_count()} cores busy")
    for p in procs:
        out = p.stdout.read() if p.stdout else ""
        summary = " ".join(out.split()[-30:])
        print(f"  worker {p.pid}: exit {p.returncode}: ...{summary[-160:]}")
        if p.returncode != 0:
            print(out, file=sys.stderr)
            raise SystemExit(1)
    return took, peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    name = f"yuqing_bench_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        print(f"seeded {args.posts:,} posts in {seed(engine, args.posts):.1f}s", flush=True)
        with tempfile.TemporaryDirectory(prefix="yuqing-scale-") as tmp:
            data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
            data["data_dir"] = tmp
            data["storage"] = {"url": url}
            data["process"] = {**data["process"], "batch_size": args.batch}
            config = Path(tmp) / "config.yaml"
            config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            one_s, one_rss = run_workers(engine, config, 1)
            one = args.posts / one_s
            print(f"one worker: {args.posts:,} posts in {one_s:.1f}s = {one:,.0f} posts/s, peak RSS {one_rss:.0f} MB",
                  flush=True)
            with engine.connect() as conn:
                one_alerts = conn.execute(text("SELECT count(*) FROM alerts")).scalar()
                one_events = conn.execute(text("SELECT count(*) FROM events")).scalar()
            print(f"  {one_events:,} events, {one_alerts:,} alerts")
            reset(engine)
            two_s, two_rss = run_workers(engine, config, 2)
            two = args.posts / two_s
            print(f"two workers: {args.posts:,} posts in {two_s:.1f}s = {two:,.0f} posts/s, "
                  f"peak RSS of one {two_rss:.0f} MB", flush=True)
            with engine.connect() as conn:
                analysed = conn.execute(text("SELECT count(DISTINCT post_id) FROM analyses")).scalar()
                total = conn.execute(text("SELECT count(*) FROM analyses")).scalar()
                alerts = conn.execute(text("SELECT count(*) FROM alerts")).scalar()
                events = conn.execute(text("SELECT count(*) FROM events")).scalar()
            print(f"  {events:,} events, {alerts:,} alerts (one worker: {one_events:,}, {one_alerts:,}; "
                  f"the same: {(events, alerts) == (one_events, one_alerts)})")
            once = analysed == total == args.posts
            print(f"  {analysed:,} posts analysed, {total:,} analyses (each post once: {once})")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"{os.cpu_count()} cores; PostgreSQL on the same machine")
    print(json.dumps({"one_worker_per_s": round(one), "two_workers_per_s": round(two), "ratio": round(two / one, 2),
                      "worker_rss_mb": round(max(one_rss, two_rss))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
