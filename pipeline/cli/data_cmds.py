"""Data in and out: `yuqing export`, `yuqing import` (DESIGN §3) and `yuqing prune` (retention)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipeline.cli.context import console, database, err_console, fail, state

SHOWN_BAD_ROWS = 50


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_)
    app.command("prune")(prune)


def export(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="from this date or time (config timezone), inclusive")] = None,
    until: Annotated[str | None, typer.Option(help="up to this date (whole day included) or time, exclusive")
                     ] = None,
    source: Annotated[str | None, typer.Option(help="only posts of this source")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="only relevant posts and posts of alerted events")
                       ] = False,
    q: Annotated[str | None, typer.Option("--q", help='only posts matching this search expression (topic-rule '
                                          'language: AND, OR, NOT, "phrases", NEAR/n)')] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or xlsx (default: from --out, else jsonl)")
                   ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write here (default: stdout; xlsx needs it)")
                   ] = None,
) -> None:
    """Export posts with their analyses, one per line (jsonl) or row (csv, xlsx)."""
    from pipeline.exporting import FORMATS, ExportFormat, export_posts, parse_bound
    from pipeline.store.export import ExportFilter

    chosen = (fmt or (out.suffix.lstrip(".").lower() if out is not None else "") or "jsonl").lower()
    if chosen not in FORMATS:
        raise fail(f"unknown format {chosen!r}; use --format jsonl, csv or xlsx")
    chosen_format = cast("ExportFormat", chosen)
    if chosen == "xlsx" and out is None:
        raise fail("xlsx is a binary file: give --out FILE.xlsx")
    config = state(ctx).config()
    filters = ExportFilter(since=parse_bound(since, config.tz, end=False) if since else None,
                           until=parse_bound(until, config.tz, end=True) if until else None,
                           source=source, flagged=flagged, q=(q or "").strip() or None)
    if filters.q:
        from rich.markup import escape

        from pipeline.store.search import RuleSyntaxError, parse_query

        try:
            parse_query(filters.q)
        except RuleSyntaxError as exc:
            raise fail(f"--q: {escape(str(exc))}") from None
    with database(config) as (_, factory):
        if out is None:
            try:
                count = export_posts(factory, config, sys.stdout.buffer, fmt=chosen_format, filters=filters)
                sys.stdout.flush()
            except BrokenPipeError:  # `yuqing export | head`: the reader has had enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
            err_console.print(f"exported {count} posts")
            return
        partial = out.with_name(out.name + ".part")  # a failed export leaves no file that looks complete
        try:
            with partial.open("wb") as handle:
                count = export_posts(factory, config, handle, fmt=chosen_format, filters=filters)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    console.print(f"exported {count} posts to {out}")


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a .jsonl or .csv file")],
    source: Annotated[str, typer.Option(help="the source the posts belong to (created if new)")],
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl or csv (default: from the file name)")] = None,
    encoding: Annotated[str, typer.Option(help="text encoding, e.g. gbk (default: detected)")] = "auto",
) -> None:
    """Import posts from a file: they are de-duplicated, analysed and alerted like crawled ones."""
    from pipeline.importing import check_source_name, import_file, record_import

    check_source_name(source)
    config = state(ctx).config()
    with database(config) as (_, factory):
        if sys.stdout.isatty():
            with _progress_bar() as bar:
                task = bar.add_task(file.name, total=file.stat().st_size)
                summary = import_file(factory, config, file, source=source, fmt=fmt, encoding=encoding,
                                      progress=lambda offset: bar.update(task, completed=offset))
        else:
            summary = import_file(factory, config, file, source=source, fmt=fmt, encoding=encoding)
        record_import(factory, None, file, source, summary)
    for bad in summary.bad_rows[:SHOWN_BAD_ROWS]:
        err_console.print(str(bad), markup=False, highlight=False, soft_wrap=True)
    if summary.bad > SHOWN_BAD_ROWS:
        err_console.print(f"... and {summary.bad - SHOWN_BAD_ROWS} more bad rows", markup=False)
    console.print(f"imported {file.name} into {source}: {summary.line()}", markup=False)


def prune(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count what would be deleted")] = False,
) -> None:
    """Apply the retention settings now (`yuqing run` does daily): delete expired posts with their
    analyses, old audit entries and crawl history."""
    from pipeline.db import transaction
    from pipeline.models import utcnow
    from pipeline.retention import apply_retention, count_expired

    config = state(ctx).config()
    now = utcnow()
    with database(config) as (_, factory):
        with transaction(factory) as session:
            due = count_expired(session, config, now=now)
        if config.retention.posts is None:
            console.print("posts are kept: retention.posts is not set")
        if dry_run:
            console.print(f"would delete {due.posts} posts, {due.audit_entries} audit entries and "
                          f"{due.crawl_runs} crawl runs")
            return
        columns = (TextColumn("deleting posts"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("posts", total=due.posts)
            report = apply_retention(factory, config, now=now, progress=lambda n: bar.advance(task, n))
    console.print(f"deleted {report.posts} posts ({report.events} events emptied), {report.audit_entries} audit "
                  f"entries, {report.crawl_runs} crawl runs; {report.signatures} signatures cleared; "
                  f"{report.seconds:.1f}s")


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    transient=True)
