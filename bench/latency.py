"""Benchmark: post-to-alert-mail latency of `yuqing run` with a 30-second crawl interval.

    .venv/bin/python bench/latency.py [--posts 10] [--every 30s] [--db sqlite|postgresql]

A local news site (http.server), an SMTP server (aiosmtpd) in this process and `yuqing run`
as a real subprocess with the repository's config.yaml pointed at them. Each of ``--posts``
different rumours about family planning is published at a random moment of the crawl cycle
(uniform over one interval, as a real post would be), and the time until its alert mail is
accepted by the SMTP server is measured. The last line is one JSON object:
``{"median_s": ..., "max_s": ..., "n": ...}`` (``n`` counts the mails that arrived).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from pipeline.config import parse_duration
from pipeline.db import make_engine
from pipeline.migrate import upgrade
from tests.alerts.seeding import smtp_server
from tests.pipeline.daemon_support import RUMOURS, DaemonProcess, list_source, news_site, scalar, write_config

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _database(kind: str, folder: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'yuqing.db'}", None
    name = f"yuqing_bench_latency_{uuid.uuid4().hex[:8]}"
    with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def _drop(name: str | None) -> None:
    if name:
        with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--every", default="30s")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    if args.posts > len(RUMOURS):
        parser.error(f"at most {len(RUMOURS)} posts (distinct rumours, one event and one alert each)")
    interval = parse_duration(args.every).total_seconds()
    rng = random.Random(args.seed)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="yuqing-latency-") as tmp:
        folder = Path(tmp)
        url, pg_name = _database(args.db, folder)
        try:
            engine = make_engine(url)
            upgrade(engine)
            with news_site() as site, smtp_server() as (controller, sink):
                config = write_config(folder, url, smtp_port=controller.port,
                                      sources=[list_source("city-bbs", site.start_url, every=args.every)])
                with DaemonProcess(config, folder / "daemon.log") as daemon:
                    deadline = time.monotonic() + 120
                    while not scalar(engine, "SELECT count(*) FROM job_runs WHERE job = 'crawl:city-bbs' "
                                             "AND finished_at IS NOT NULL"):
                        if time.monotonic() > deadline or not daemon.running():
                            print(daemon.log(), file=sys.stderr)
                            return 1
                        time.sleep(0.2)
                    for i in range(args.posts):
                        time.sleep(rng.uniform(0, interval))
                        before = len(sink.messages)
                        title, body = RUMOURS[i]
                        published = time.monotonic()
                        site.publish(title, body)
                        while len(sink.messages) == before and time.monotonic() - published < 3 * interval + 60:
                            time.sleep(0.05)
                        if len(sink.messages) == before:
                            print(f"post {i + 1}: no mail within {3 * interval + 60:.0f}s ({title})", flush=True)
                            continue
                        latency = time.monotonic() - published
                        latencies.append(latency)
                        print(f"post {i + 1}: mail after {latency:5.1f}s  {title}", flush=True)
                    daemon.terminate()
            engine.dispose()
        finally:
            _drop(pg_name)
    if not latencies:
        print(json.dumps({"median_s": None, "max_s": None, "n": 0}))
        return 1
    print(f"{len(latencies)} of {args.posts} posts mailed; crawl every {args.every} on {args.db}; "
          f"median {statistics.median(latencies):.1f}s, max {max(latencies):.1f}s")
    print(json.dumps({"median_s": round(statistics.median(latencies), 1), "max_s": round(max(latencies), 1),
                      "n": len(latencies)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
