"""The scheduled jobs of `yuqing run`, as importable functions.

APScheduler's persistent job store keeps only a reference to each function
(``"pipeline.jobs:process_job"``) and its plain arguments. What the jobs work on
(the validated config, the database engine, the loaded models) is the `Runtime`
the daemon binds once at start, so nothing is re-read per run.

Every job records its run in ``job_runs`` (for `yuqing status`). A job that fails
because the database is locked or unreachable logs the error and returns: its next
run catches up, since all work is driven by what is stored (unprocessed posts,
pending notifications, overdue alerts), not by what one run remembers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config
from pipeline.db import transaction
from pipeline.exceptions import StorageError, YuqingError
from pipeline.models import utcnow
from pipeline.store.jobs import finish_job_run, start_job_run

log = logging.getLogger(__name__)

DB_ERRORS = (OperationalError, DBAPIError, StorageError)


@dataclass
class Runtime:
    """What the jobs of one daemon process share."""

    config: Config
    config_path: Path | None
    engine: Engine
    factory: sessionmaker[Session]
    trigger: Callable[[str], None] = lambda job_id: None
    clock: Callable[[], datetime] = utcnow
    stopping: threading.Event = field(default_factory=threading.Event)
    _cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Build something expensive (the NLP analyzer) once per process."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]


_runtime: Runtime | None = None


def bind_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def current_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no runtime bound: jobs run inside `yuqing run` (pipeline.scheduler.Daemon)")
    return _runtime


@contextmanager
def recorded(rt: Runtime, job: str) -> Iterator[dict[str, Any]]:
    """Record a job run; database and yuqing errors are logged, not raised (the next run retries)."""
    stats: dict[str, Any] = {}
    run_id: int | None = None
    try:
        with transaction(rt.factory) as session:
            run_id = start_job_run(session, job, now=rt.clock()).id
    except DB_ERRORS as exc:
        log.error("job cannot start: database unavailable", extra={"job": job, "error": str(exc)})
        return
    ok, message = True, None
    try:
        yield stats
    except DB_ERRORS as exc:
        ok, message = False, f"database error: {str(exc).splitlines()[0]}"
        log.error("job failed; it will retry on its next run", extra={"job": job, "error": message})
    except YuqingError as exc:
        ok, message = False, str(exc)
        log.error("job failed", extra={"job": job, "error": message})
    try:
        with transaction(rt.factory) as session:
            finish_job_run(session, run_id, ok=ok, message=message, stats=stats, now=rt.clock())
    except DB_ERRORS as exc:
        log.error("job result not recorded: database unavailable", extra={"job": job, "error": str(exc)})


def crawl_job(source: str) -> None:
    rt = current_runtime()
    from pipeline.crawl import crawl_source

    if rt.config_path is None:
        raise YuqingError("crawling needs a config file: the crawl process reads it")
    with recorded(rt, f"crawl:{source}") as stats:
        summary = crawl_source(rt.config, rt.config_path, source)
        stats.update(_plain(summary))
        if getattr(summary, "new_posts", 0) or getattr(summary, "updated_posts", 0):
            rt.trigger("process")


def process_job() -> None:
    rt = current_runtime()
    from pipeline.process import load_analyzer, process_pending

    with recorded(rt, "process") as stats:
        analyzer = rt.cached("analyzer", lambda: load_analyzer(rt.config))
        report = process_pending(rt.factory, rt.config, analyzer=analyzer, now=rt.clock,
                                 should_stop=rt.stopping.is_set)
        stats.update(_plain(report))
        if report.notifications:
            rt.trigger("notify")


def notify_job() -> None:
    rt = current_runtime()
    from pipeline.outbox import deliver_due

    with recorded(rt, "notify") as stats:
        stats.update(_plain(deliver_due(rt.factory, rt.config, now=rt.clock())))


def escalate_job() -> None:
    rt = current_runtime()
    from pipeline.escalation import check_deadlines

    with recorded(rt, "escalate") as stats:
        with transaction(rt.factory) as session:
            report = check_deadlines(session, rt.config, now=rt.clock())
        stats.update(_plain(report))
        rt.trigger("notify")


def digest_job() -> None:
    rt = current_runtime()
    from pipeline.digest import send_daily_digest

    with recorded(rt, "digest") as stats:
        stats.update(_plain(send_daily_digest(rt.factory, rt.config, now=rt.clock())))
        rt.trigger("notify")


def import_job(source: str) -> None:
    rt = current_runtime()
    from pipeline.importing import import_folder

    with recorded(rt, f"import:{source}") as stats:
        summary = import_folder(rt.factory, rt.config, rt.config.source(source))
        stats.update(_plain(summary))
        rt.trigger("process")


def _plain(report: object) -> dict[str, Any]:
    """A report dataclass as JSON-friendly numbers and strings, for job_runs.stats."""
    values = report if isinstance(report, dict) else getattr(report, "__dict__", {})
    return {k: v for k, v in values.items()
            if not k.startswith("_") and isinstance(v, int | float | str | bool | type(None))}
