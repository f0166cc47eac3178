"""Processing and the daemon: process, run, status."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.cli.context import console, database, state

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("run")(run)
    app.command("status")(status)


def process(ctx: typer.Context) -> None:
    """Analyse new posts, update events, raise alerts, queue notifications."""
    from pipeline.db import transaction
    from pipeline.models import utcnow
    from pipeline.process import (
        load_analyzer,
        process_pending,
        rebuild_event_index,
        release_dead_claims,
    )
    from pipeline.store.posts import unprocessed_count

    config = state(ctx).config()
    with database(config) as (_, factory):
        with transaction(factory) as session:
            release_dead_claims(session)  # a worker killed on this machine left its batch claimed
            pending = unprocessed_count(session)
        if pending == 0:
            console.print("nothing to process")
            return
        analyzer = load_analyzer(config)
        rebuild_event_index(factory, config, analyzer, now=utcnow())
        columns = (TextColumn("analysing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("posts", total=pending)
            report = process_pending(factory, config, analyzer=analyzer,
                                     progress=lambda n: bar.advance(task, n))
    console.print(f"processed {report.analysed} posts in {report.seconds:.1f}s: {report.relevant} relevant, "
                  f"{report.events} events touched, {report.alerts} alerts, "
                  f"{report.notifications} notifications queued")


def run(ctx: typer.Context) -> None:
    """The daemon: schedule every job until SIGINT/SIGTERM."""
    from pipeline.db import engine_from_config, session_factory
    from pipeline.jobs import Runtime
    from pipeline.migrate import require_current
    from pipeline.scheduler import Daemon, install_signal_handlers

    cli = state(ctx)
    config = cli.config()
    engine = engine_from_config(config, create=False)
    try:
        require_current(engine)
        runtime = Runtime(config=config, config_path=cli.resolved_config_path(), engine=engine,
                          factory=session_factory(engine))
        daemon = Daemon(runtime)
        install_signal_handlers(daemon)
        console.print(f"yuqing daemon running ({daemon.holder}); stop with Ctrl-C or SIGTERM")
        daemon.run()
    finally:
        engine.dispose()
    console.print("stopped")


def status(ctx: typer.Context) -> None:
    """Next run and last result of every job, queues, source health, overdue alerts."""
    from pipeline.status import collect_status

    config = state(ctx).config()
    with database(config) as (engine, factory):
        report = collect_status(engine, factory, now=datetime.now(UTC),
                                configured=[s.name for s in config.sources])
    tz = config.tz

    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%m-%d %H:%M:%S") if value else "-"

    console.print(f"scheduler leader: {report.leader or '(no daemon running)'}")
    jobs = Table(title="jobs", title_justify="left")
    for column in ("job", "next run", "last run", "result"):
        jobs.add_column(column)
    for job in report.jobs:
        result = "-" if job.ok is None else ("ok" if job.ok else "FAILED")
        if job.message:
            result += f": {job.message}"
        jobs.add_row(job.name, when(job.next_run), when(job.last_run), result)
    console.print(jobs)
    console.print(f"queues: {report.pending_posts} posts to process, {report.pending_notifications} "
                  f"notifications to send, {report.dead_notifications} undeliverable")
    sources = Table(title="sources", title_justify="left")
    for column in ("source", "health", "last run", "last ok", "note"):
        sources.add_column(column)
    for s in report.sources:
        sources.add_row(s.name, "ok" if s.healthy else "UNHEALTHY", when(s.last_run_at), when(s.last_ok_at),
                        s.health_note or "")
    for name in report.uncrawled:
        sources.add_row(name, "-", "-", "-", "not crawled yet")
    console.print(sources)
    if report.overdue:
        overdue = Table(title=f"overdue alerts ({len(report.overdue)})", title_justify="left")
        for column in ("alert", "grade", "event", "monitor", "due"):
            overdue.add_column(column)
        for a in report.overdue:
            overdue.add_row(str(a.id), a.grade, a.title, a.monitor or "-", when(a.due_at))
        console.print(overdue)
    else:
        console.print("no overdue alerts")
