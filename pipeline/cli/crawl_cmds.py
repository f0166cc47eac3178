"""`yuqing crawl [SOURCE...]`: crawl now, one process per source, and print a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.cli.context import console, fail, state
from pipeline.config import parse_duration

if TYPE_CHECKING:
    from pipeline.crawl import CrawlSummary


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)


def summary_table(summaries: list[CrawlSummary]) -> Table:
    """One short row per source (fits 80 columns); reasons for drops and errors follow in lines."""
    table = Table(box=None, title="crawl summary", title_justify="left")
    for column in ("source", "status", "pages", "new", "updated", "dropped", "errors", "time"):
        table.add_column(column, justify="left" if column in ("source", "status") else "right", no_wrap=True)
    for s in summaries:
        table.add_row(escape(s.source), s.status, str(s.pages), str(s.new_posts), str(s.updated_posts),
                      str(sum(s.dropped.values())), str(s.errors), f"{s.duration_s:.1f}s")
    return table


def summary_details(summaries: list[CrawlSummary]) -> list[str]:
    """Why items were dropped and what the errors were, one line per source that had any."""
    lines = []
    for s in summaries:
        parts = []
        if s.dropped:
            parts.append("dropped " + ", ".join(f"{k} {v}" for k, v in sorted(s.dropped.items())))
        if s.error_reasons:
            parts.append("errors " + ", ".join(f"{k} {v}" for k, v in sorted(s.error_reasons.items())))
        if parts:
            lines.append(f"  {escape(s.source)}: " + escape("; ".join(parts)))
    return lines


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
        disabled = [s.name for s in config.sources if not s.enabled]
        console.print("no enabled sources to crawl" + (f" (disabled: {escape(', '.join(disabled))}; name one to "
                                                       "crawl it anyway)" if disabled else ""))
        return
    console.print(summary_table(summaries))
    for line in summary_details(summaries):
        console.print(line)
    for s in summaries:
        if s.message and s.status != "ok":
            console.print(f"{escape(s.source)}: {escape(s.message)}")
        if not s.healthy:
            console.print(f"[yellow]{escape(s.source)} is unhealthy:[/] {escape(s.health_note or '')}")
    if any(s.status != "ok" for s in summaries):
        raise typer.Exit(1)
