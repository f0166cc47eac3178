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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config
from pipeline.db import transaction
from pipeline.exceptions import StorageError, YuqingError
from pipeline.models import utcnow
from pipeline.store.jobs import finish_job_run, start_job_run

if TYPE_CHECKING:
    from nlp.analyze import Analyzer

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


LOCK_RETRIES = 3  # a job hitting a momentary SQLite lock conflict is retried at once, this often


def run_recorded(rt: Runtime, job: str, body: Callable[[dict[str, Any]], str | None]) -> bool:
    """Run ``body(stats)`` and record the run in ``job_runs``; returns whether it succeeded.

    ``body`` fills ``stats`` and returns None, or a message when its work failed without an
    exception (a crawl whose site is down): the run is then recorded as failed with it.

    Database and yuqing errors are logged with the job's name, not raised: the next run
    retries, and catches up because all work is driven by what is stored. A momentary
    SQLite conflict ("database is locked" raised at once when two writers collide) is
    retried here after a short pause, so a collision does not cost a whole interval.
    """
    try:
        with transaction(rt.factory) as session:
            run_id = start_job_run(session, job, now=rt.clock()).id
    except DB_ERRORS as exc:
        log.error("job cannot start: database unavailable; it will retry on its next run",
                  extra={"job": job, "error": _first_line(exc)})
        return False
    stats: dict[str, Any] = {}
    ok, message = True, None
    for attempt in range(LOCK_RETRIES + 1):
        try:
            message = body(stats)
            ok = message is None
            break
        except DB_ERRORS as exc:
            ok, message = False, f"database error: {_first_line(exc)}"
            if attempt < LOCK_RETRIES and _is_lock_conflict(exc) and not rt.stopping.is_set():
                log.warning("job hit a database lock; retrying", extra={"job": job, "attempt": attempt + 1})
                rt.stopping.wait(0.2 * (attempt + 1))
                continue
            log.error("job failed; it will retry on its next run", extra={"job": job, "error": message})
            break
        except YuqingError as exc:
            ok, message = False, str(exc)
            log.error("job failed", extra={"job": job, "error": message})
            break
    try:
        with transaction(rt.factory) as session:
            finish_job_run(session, run_id, ok=ok, message=message, stats=stats, now=rt.clock())
    except DB_ERRORS as exc:
        log.error("job result not recorded: database unavailable", extra={"job": job, "error": _first_line(exc)})
    return ok


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_lock_conflict(exc: BaseException) -> bool:
    return "database is locked" in str(getattr(exc, "orig", exc))


def _trigger(rt: Runtime, job_id: str, *, after: str) -> None:
    """Ask the scheduler to run ``job_id`` now; a failure only delays it to its own next run."""
    try:
        rt.trigger(job_id)
    except DB_ERRORS as exc:
        log.warning("could not trigger a follow-up job; it runs on its own schedule",
                    extra={"job": after, "follow_up": job_id, "error": _first_line(exc)})


def crawl_job(source: str) -> None:
    rt = current_runtime()
    from pipeline.crawl import crawl_source

    def body(stats: dict[str, Any]) -> str | None:
        if rt.config_path is None:
            raise YuqingError("crawling needs a config file: the crawl process reads it")
        summary = crawl_source(rt.config, rt.config_path, source, should_stop=rt.stopping.is_set)
        stats.update(_plain(summary))
        if summary.new_posts or summary.updated_posts:
            _trigger(rt, "process", after=f"crawl:{source}")
        if summary.status == "ok":
            return None
        log.warning("crawl did not succeed", extra={"job": f"crawl:{source}", "source": source,
                                                     "status": summary.status, "healthy": summary.healthy})
        return f"{summary.status}: {summary.message or 'no detail'}"

    run_recorded(rt, f"crawl:{source}", body)


def load_worker_analyzer(rt: Runtime) -> Analyzer:
    """The analyzer of this daemon, built once: models loaded, the event window replayed (so posts
    join the events stored before a restart), and the claims of dead local workers freed."""
    from pipeline.process import load_analyzer, rebuild_event_index, release_dead_claims

    def build() -> Analyzer:
        analyzer = load_analyzer(rt.config)
        analyzer.warm()
        replayed = rebuild_event_index(rt.factory, rt.config, analyzer, now=rt.clock())
        with transaction(rt.factory) as session:
            release_dead_claims(session)
        log.info("analyzer ready", extra={"job": "process", "replayed_posts": replayed})
        return analyzer

    analyzer: Analyzer = rt.cached("analyzer", build)
    return analyzer


def process_job() -> None:
    rt = current_runtime()
    from pipeline.process import process_pending

    def body(stats: dict[str, Any]) -> str | None:
        analyzer = load_worker_analyzer(rt)
        report = process_pending(rt.factory, rt.config, analyzer=analyzer, now=rt.clock,
                                 should_stop=rt.stopping.is_set)
        stats.update(_plain(report))
        if report.notifications:
            _trigger(rt, "notify", after="process")
        return None

    run_recorded(rt, "process", body)


def notify_job() -> None:
    rt = current_runtime()
    from pipeline.outbox import deliver_due

    def body(stats: dict[str, Any]) -> str | None:
        stats.update(_plain(deliver_due(rt.factory, rt.config, now=rt.clock())))
        return None

    run_recorded(rt, "notify", body)


def escalate_job() -> None:
    rt = current_runtime()
    from pipeline.escalation import check_deadlines

    def body(stats: dict[str, Any]) -> str | None:
        with transaction(rt.factory) as session:
            report = check_deadlines(session, rt.config, now=rt.clock())
        stats.update(_plain(report))
        if any(isinstance(v, int) and v for v in _plain(report).values()):
            _trigger(rt, "notify", after="escalate")
        return None

    run_recorded(rt, "escalate", body)


def digest_job() -> None:
    rt = current_runtime()
    from pipeline.digest import send_daily_digest

    def body(stats: dict[str, Any]) -> str | None:
        stats.update(_plain(send_daily_digest(rt.factory, rt.config, now=rt.clock())))
        _trigger(rt, "notify", after="digest")
        return None

    run_recorded(rt, "digest", body)


def report_job(kind: str) -> None:
    """The weekly or monthly report of the last complete period, mailed with its Word file."""
    rt = current_runtime()
    from pipeline.reports import send_periodic_report

    def body(stats: dict[str, Any]) -> str | None:
        stats.update(_plain(send_periodic_report(rt.factory, rt.config, kind, now=rt.clock())))
        _trigger(rt, "notify", after=f"report:{kind}")
        return None

    run_recorded(rt, f"report:{kind}", body)


def retention_job() -> None:
    rt = current_runtime()
    from pipeline.retention import apply_retention

    def body(stats: dict[str, Any]) -> str | None:
        stats.update(_plain(apply_retention(rt.factory, rt.config, now=rt.clock(), should_stop=rt.stopping.is_set)))
        return None

    run_recorded(rt, "retention", body)


def import_job(source: str) -> None:
    rt = current_runtime()
    from pipeline.importing import import_folder

    def body(stats: dict[str, Any]) -> str | None:
        summary = import_folder(rt.factory, rt.config, rt.config.source(source))
        stats.update(_plain(summary))
        _trigger(rt, "process", after=f"import:{source}")
        return None

    run_recorded(rt, f"import:{source}", body)


def _plain(report: object) -> dict[str, Any]:
    """A report dataclass as JSON-friendly numbers and strings, for job_runs.stats."""
    values = report if isinstance(report, dict) else getattr(report, "__dict__", {})
    return {k: v for k, v in values.items()
            if not k.startswith("_") and isinstance(v, int | float | str | bool | type(None))}
