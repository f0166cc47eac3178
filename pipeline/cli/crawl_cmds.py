"""`yuqing crawl [SOURCE...]`: crawl now, one process per source, and print a summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.cli.context import console, fail, state
from pipeline.config import parse_duration


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)


def crawl(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(help="source names (default: every enabled source)")] = None,
    time_limit: Annotated[str | None, typer.Option("--time-limit", help="stop each crawl after this long, "
                                                   "e.g. 5m (default: crawl.run_time_limit)")] = None,
) -> None:
    """Crawl now (all enabled sources if none named); print a summary per source."""
    from pipeline.crawl import crawl_sources

    cli = state(ctx)
    config = cli.config()
    limit = None
    if time_limit is not None:
        try:
            limit = parse_duration(time_limit)
        except ValueError as exc:
            raise fail(f"--time-limit: {exc}") from None
    summaries = crawl_sources(config, state(ctx).resolved_config_path(), sources or [], time_limit=limit)
    if not summaries:
        console.print("no enabled sources to crawl")
        return
    table = Table(box=None, title="crawl summary", title_justify="left")
    for column in ("source", "status", "pages", "new posts", "updated posts", "dropped", "errors", "duration"):
        table.add_column(column, justify="right" if column in ("pages", "new posts", "updated posts", "errors")
                         else "left")
    for s in summaries:
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(s.dropped.items())) or "0"
        errors = str(s.errors)
        if s.error_reasons:
            errors += " (" + ", ".join(f"{k} {v}" for k, v in sorted(s.error_reasons.items())) + ")"
        table.add_row(escape(s.source), s.status, str(s.pages), str(s.new_posts), str(s.updated_posts),
                      escape(dropped), escape(errors), f"{s.duration_s:.1f}s")
    console.print(table)
    for s in summaries:
        if s.message and s.status != "ok":
            console.print(f"{escape(s.source)}: {escape(s.message)}")
        if not s.healthy:
            console.print(f"[yellow]{escape(s.source)} is unhealthy:[/] {escape(s.health_note or '')}")
    if any(s.status != "ok" for s in summaries):
        raise typer.Exit(1)
