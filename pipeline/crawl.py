"""Run crawls: one child process per source, a time limit, a crawl-run record, a summary.

`crawl_source` is what the CLI and the daemon's scheduler call. It is safe to call from any
thread and never hangs: the child (``python -m crawlers.run``) runs in its own process
group, which is killed at the time limit (status ``timeout``) or when the caller's
``should_stop()`` turns true (status ``stopped``: the daemon is shutting down; not counted
against the source's health). The child writes its figures to a JSON file as it goes, so even
a stopped crawl reports what it stored.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pipeline.config import Config, SourceConfig
from pipeline.db import engine_from_config, session_factory
from pipeline.exceptions import NotFound, YuqingError
from pipeline.store.retrying import in_transaction
from pipeline.store.sources import CrawlOutcome, ensure_source, finish_crawl_run, start_crawl_run

log = logging.getLogger(__name__)

CRAWLED_KINDS = ("list", "forum", "feed", "sitemap", "hotlist")
TERM_GRACE_S = 3.0  # after SIGTERM at the time limit, SIGKILL if the crawl has not stopped
STOP_POLL_S = 0.5  # how often a running crawl checks should_stop()


@dataclass
class CrawlSummary:
    """What one crawl of one source did (printed by `yuqing crawl`, stored as a crawl run)."""

    source: str
    status: str  # ok | failed | timeout | stopped
    pages: int = 0
    requests: int = 0
    new_posts: int = 0
    updated_posts: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_reasons: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    message: str | None = None
    run_id: int | None = None
    healthy: bool = True
    health_note: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


def _child_command(config_path: Path, source: str, stats_file: Path) -> list[str]:
    return [sys.executable, "-m", "crawlers.run", "--config", str(config_path), "--source", source,
            "--stats-file", str(stats_file)]


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, SIGKILL it if it is still there after a grace."""
    for sig, wait in ((signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _last_error_line(log_path: Path) -> str | None:
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    lines = [line.strip() for line in lines if line.strip()]
    if any(line.startswith("Traceback") for line in lines):
        return lines[-1][:500]  # an uncaught exception: its last line names it
    for line in reversed(lines):
        if line.startswith("error:") or "ERROR" in line:
            return line[:500]
    return lines[-1][:500] if lines else None


def _read_stats(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _wait(proc: subprocess.Popen[bytes], deadline: float, should_stop: Callable[[], bool]) -> str:
    """Wait for the child: "exited", or "timeout" / "stopped" once it has been stopped."""
    while True:
        left = deadline - time.monotonic()
        try:
            proc.wait(timeout=max(0.0, min(STOP_POLL_S, left)))
            return "exited"
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() >= deadline:
            _stop_group(proc)
            return "timeout"
        if should_stop():
            _stop_group(proc)  # SIGTERM: Scrapy closes its pipelines, so what it fetched is stored
            return "stopped"


def _status(returncode: int | None, ended: str, stats: dict[str, Any]) -> tuple[str, str | None]:
    if ended == "timeout":
        return "timeout", "stopped at the time limit"
    if ended == "stopped":
        return "stopped", "stopped on request (shutdown)"
    if returncode != 0:
        return "failed", f"crawl process exited with status {returncode}"
    if not stats.get("finished"):
        return "failed", "crawl process ended without reporting"
    if stats.get("pages", 0) == 0 and stats.get("errors", 0) > 0:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(stats.get("error_reasons", {}).items()))
        return "failed", f"no page could be fetched ({reasons})"
    if stats.get("error_reasons", {}).get("store"):
        return "failed", "posts could not be stored"
    return "ok", None


def crawl_source(config: Config, config_path: Path, source_name: str, *,
                 time_limit: timedelta | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> CrawlSummary:
    """Crawl one source in a child process and record the run; returns its summary.

    ``time_limit`` defaults to ``crawl.run_time_limit``; ``should_stop`` is polled while the
    child runs. Raises `NotFound` for an unknown source and `YuqingError` for a source kind
    that is not crawled (``import``).
    """
    try:
        source = config.source(source_name)
    except KeyError:
        raise NotFound(f"no source named {source_name!r} in the config") from None
    if source.kind not in CRAWLED_KINDS:
        raise YuqingError(f"source {source_name!r} is of kind {source.kind!r}, which is imported, not crawled")
    if source.kind == "hotlist":  # one small request: polled here, not in a crawl process
        return _poll(config, source)
    limit = (time_limit or config.crawl.run_time_limit).total_seconds()
    engine = engine_from_config(config)
    try:
        sessions = session_factory(engine)
        run = in_transaction(sessions, lambda session: start_crawl_run(
            session, ensure_source(session, source.name, source.kind)))
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="yuqing-crawl-") as tmp:
            stats_file, log_file = Path(tmp) / "stats.json", Path(tmp) / "crawl.log"
            with log_file.open("wb") as log_out:
                proc = subprocess.Popen(_child_command(config_path.resolve(), source.name, stats_file),
                                        stdin=subprocess.DEVNULL, stdout=log_out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
                try:
                    ended = _wait(proc, started + limit, should_stop)
                finally:
                    if proc.poll() is None:  # interrupted (KeyboardInterrupt): never leave a crawl behind
                        _stop_group(proc)
            if ended == "timeout":
                log.warning("crawl hit its time limit", extra={"source": source.name, "limit_s": limit})
            elif ended == "stopped":
                log.info("crawl stopped on request", extra={"source": source.name})
            stats = _read_stats(stats_file)
            status, message = _status(proc.returncode, ended, stats)
            if status == "failed" and proc.returncode not in (0, None):
                message = f"{message}: {_last_error_line(log_file)}"
        duration = time.monotonic() - started
        outcome = CrawlOutcome(
            status=status, pages=int(stats.get("pages", 0)), requests=int(stats.get("requests", 0)),
            new_posts=int(stats.get("new_posts", 0)), updated_posts=int(stats.get("updated_posts", 0)),
            errors=int(stats.get("errors", 0)), dropped=dict(stats.get("dropped", {})), message=message,
            stats={**stats, "duration_s": round(duration, 3)},
        )
        def finish(session: Session) -> tuple[bool, str | None]:
            row = finish_crawl_run(session, session.merge(run), outcome,
                                   unhealthy_after=config.crawl.unhealthy_after_failures)
            return row.healthy, row.health_note

        healthy, note = in_transaction(sessions, finish)
    finally:
        engine.dispose()
    log.info("crawl finished", extra={"source": source.name, "status": status, "pages": outcome.pages,
                                      "new_posts": outcome.new_posts})
    return CrawlSummary(
        source=source.name, status=status, pages=outcome.pages, requests=outcome.requests,
        new_posts=outcome.new_posts, updated_posts=outcome.updated_posts, dropped=dict(outcome.dropped),
        errors=outcome.errors, error_reasons=dict(stats.get("error_reasons", {})), duration_s=duration,
        message=message, run_id=run.id, healthy=healthy, health_note=note, stats=dict(outcome.stats),
    )


def _poll(config: Config, source: SourceConfig) -> CrawlSummary:
    from pipeline.hotlists.poll import poll_hotlist

    started = time.monotonic()
    outcome, healthy, note, run_id = poll_hotlist(config, source)
    return CrawlSummary(
        source=source.name, status=outcome.status, pages=outcome.pages, requests=outcome.requests,
        new_posts=outcome.new_posts, updated_posts=outcome.updated_posts, errors=outcome.errors,
        error_reasons=dict(outcome.stats.get("error_reasons", {})), duration_s=time.monotonic() - started,
        message=outcome.message, run_id=run_id, healthy=healthy, health_note=note, stats=dict(outcome.stats))


def crawl_sources(config: Config, config_path: Path, names: Iterable[str] = (), *,
                  time_limit: timedelta | None = None) -> list[CrawlSummary]:
    """Crawl the named sources one after another (all enabled crawlable sources if none)."""
    wanted = list(names)
    if not wanted:
        wanted = [s.name for s in config.sources if s.enabled and s.kind in CRAWLED_KINDS]
    else:
        known = {s.name for s in config.sources}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise NotFound(f"no source named {', '.join(map(repr, missing))} in the config "
                           f"(sources: {', '.join(sorted(known)) or 'none'})")
    return [crawl_source(config, config_path, name, time_limit=time_limit) for name in wanted]
