"""Crawl jobs against sources that fail: down for hours (unhealthy, the others unaffected) and a
server that never answers (the crawl is killed at its time limit).

The jobs run as the daemon runs them (`pipeline.jobs` with a bound `Runtime`), each crawl a real
child process; "hours" are a fake clock and the failing runs follow one another at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.config import load_config
from pipeline.db import make_engine, session_factory
from pipeline.jobs import Runtime, bind_runtime, crawl_job
from pipeline.models import CrawlRun, JobRun, Post, Source
from pipeline.status import collect_status
from tests.alerts.seeding import free_port
from tests.conftest import FakeClock
from tests.pipeline.daemon_support import RUMOURS, fresh_postgres, hanging_server, list_source, news_site, write_config

pytestmark = pytest.mark.slow


def _runtime(config_path: Path, clock: FakeClock) -> Runtime:
    config = load_config(config_path, environ={})
    engine = make_engine(config.database_url)
    return Runtime(config=config, config_path=config_path, engine=engine, factory=session_factory(engine),
                   clock=clock.now)


@pytest.fixture
def bound() -> Iterator[list[Runtime]]:
    holder: list[Runtime] = []
    yield holder
    bind_runtime(None)
    for rt in holder:
        rt.engine.dispose()


def test_source_down_for_hours_is_unhealthy_and_the_others_are_not(sqlite_url: str, tmp_path: Path,
                                                                  clock: FakeClock, bound: list[Runtime]) -> None:
    dead = f"http://127.0.0.1:{free_port()}/news/"  # nothing listens: connection refused
    with news_site() as site:
        site.publish(*RUMOURS[0])
        config = write_config(tmp_path, sqlite_url, smtp_port=free_port(), sources=[
            list_source("dead-forum", dead, every="1h"), list_source("city-news", site.start_url, every="1h")],
            crawl={"unhealthy_after_failures": 3})
        rt = _runtime(config, clock)
        bound.append(rt)
        bind_runtime(rt)
        health = []
        for hour in range(3):  # three hourly runs while the forum is down; the news site is fine
            crawl_job("dead-forum")
            if hour == 1:
                crawl_job("city-news")
            with rt.factory() as s:
                health.append(s.scalar(select(Source.healthy).where(Source.name == "dead-forum")))
            clock.advance(hours=1)
    assert health == [True, True, False]
    with rt.factory() as s:
        sources = {src.name: src for src in s.scalars(select(Source))}
        runs = list(s.scalars(select(JobRun).order_by(JobRun.id)))
        posts = list(s.scalars(select(Post)))
    down, up = sources["dead-forum"], sources["city-news"]
    assert not down.healthy and down.consecutive_failures == 3
    assert down.health_note and "failed 3 runs in a row" in down.health_note
    assert up.healthy and up.consecutive_failures == 0 and up.last_ok_at is not None
    assert [p.title for p in posts] == [RUMOURS[0][0]]  # the healthy source was crawled meanwhile
    assert [(r.job, r.ok) for r in runs] == [("crawl:dead-forum", False), ("crawl:dead-forum", False),
                                            ("crawl:city-news", True), ("crawl:dead-forum", False)]
    assert all(r.message and r.message.startswith("failed") for r in runs if not r.ok)
    assert runs[-1].started_at.replace(tzinfo=None) == datetime(2026, 3, 5, 4, 0)  # "two hours later"
    report = collect_status(rt.engine, rt.factory, now=clock.now())
    assert {s.name: s.healthy for s in report.sources} == {"city-news": True, "dead-forum": False}


def test_a_crawl_that_hangs_is_killed_at_its_time_limit(db_url: str, tmp_path: Path, clock: FakeClock,
                                                       bound: list[Runtime]) -> None:
    if db_url.startswith("postgresql"):
        fresh_postgres(db_url).dispose()
    with hanging_server() as url:
        config = write_config(tmp_path, db_url, smtp_port=free_port(),
                              sources=[list_source("silent", url + "/news/", every="10m")],
                              crawl={"run_time_limit": "3s", "timeout": "120s"})
        rt = _runtime(config, clock)
        bound.append(rt)
        bind_runtime(rt)
        started = time.monotonic()
        crawl_job("silent")
        took = time.monotonic() - started
    assert 3 <= took < 3 + 3 + 5 + 5  # the limit, SIGTERM grace, SIGKILL wait, process start-up
    with rt.factory() as s:
        run = s.scalars(select(CrawlRun)).one()
        job = s.scalars(select(JobRun)).one()
    assert run.status == "timeout" and run.message == "stopped at the time limit"
    assert job.job == "crawl:silent" and job.ok is False and job.message and job.message.startswith("timeout")
    assert job.stats["status"] == "timeout"
    assert not _crawl_processes(config), "the crawl process group must be gone"


def _crawl_processes(config_path: Path) -> list[int]:
    """Pids of processes still running a crawl with this config (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"crawlers.run" in cmdline and str(config_path.resolve()).encode() in cmdline:
            found.append(int(entry.name))
    return found
