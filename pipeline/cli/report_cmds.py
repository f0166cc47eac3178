"""`yuqing report alert ID [--followup]` and `yuqing report weekly|monthly [--date D]`: Word reports."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.context import console, database, fail, state
from pipeline.models import utcnow


def register(app: typer.Typer) -> None:
    report = typer.Typer(help="Written reports as Word files: 舆情专报 (初报, 续报N), 周报, 月报.",
                         no_args_is_help=True)
    report.command("alert")(report_alert)
    report.command("weekly")(report_weekly)
    report.command("monthly")(report_monthly)
    app.add_typer(report, name="report")


OutOption = Annotated[Path, typer.Option("--out", help="the Word file to write (.docx)")]
DateOption = Annotated[str | None, typer.Option("--date", help="a day in the period (YYYY-MM-DD; default: the "
                                                               "last complete week / month)")]


def _check_out(out: Path) -> None:
    if out.suffix.lower() != ".docx":
        raise fail(f"--out {out}: reports are Word files; give a name ending in .docx")


def _write(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)


def _describe(out: Path, report_line: str, status: str, version: int) -> None:
    mark = "approved" if status == "approved" else f"{status}, not approved: exported with a 草稿 watermark"
    console.print(f"wrote {out}: {report_line}, version {version} ({mark})")


def report_alert(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(help="the alert's number (as in the review app)", min=1)],
    out: OutOption,
    followup: Annotated[bool, typer.Option("--followup", help="write a new 续报 (what changed since the "
                                                              "last report) instead of the 初报")] = False,
) -> None:
    """The 舆情专报 of an alert: its 初报 (written on first use), or with --followup a new 续报N."""
    from pipeline.db import transaction
    from pipeline.reports import SYSTEM_AUTHOR, export_report, followup_report, initial_report

    _check_out(out)
    config = state(ctx).config()
    now = utcnow()
    with database(config) as (_, factory), transaction(factory) as session:
        make = followup_report if followup else initial_report
        report = make(session, config, alert_id, author=SYSTEM_AUTHOR, now=now)
        data = export_report(session, config, report, actor=SYSTEM_AUTHOR)
        stage = "初报" if report.followup_no == 0 else f"续报{report.followup_no}"
        line = f"舆情专报 {report.year}年第{report.issue_no}期（{stage}）"
        status, version = report.status, report.version
    _write(out, data)
    _describe(out, line, status, version)


def _periodic(ctx: typer.Context, kind: str, day: str | None, out: Path) -> None:
    from pipeline.db import transaction
    from pipeline.reports import SYSTEM_AUTHOR, export_report, last_period, periodic_report

    _check_out(out)
    config = state(ctx).config()
    now = utcnow()
    if day is None:
        chosen = last_period(kind, datetime.now(config.tz).date())[0]
    else:
        try:
            chosen = date.fromisoformat(day)
        except ValueError:
            raise fail(f"--date {day!r} is not a date; write YYYY-MM-DD") from None
    with database(config) as (_, factory), transaction(factory) as session:
        report = periodic_report(session, config, kind, chosen, author=SYSTEM_AUTHOR, now=now)
        data = export_report(session, config, report, actor=SYSTEM_AUTHOR)
        totals = report.facts["totals"]
        line = f"{report.title}（{report.year}年第{report.issue_no}期）"
        status, version = report.status, report.version
    _write(out, data)
    _describe(out, line, status, version)
    console.print(f"posts {totals['posts']}, relevant {totals['relevant']}, negative {totals['negative']}, "
                  f"rumours {totals['rumours']}")


def report_weekly(ctx: typer.Context, out: OutOption, day: DateOption = None) -> None:
    """The weekly report (Monday to Sunday) of the week containing --date."""
    _periodic(ctx, "weekly", day, out)


def report_monthly(ctx: typer.Context, out: OutOption, day: DateOption = None) -> None:
    """The monthly report of the month containing --date."""
    _periodic(ctx, "monthly", day, out)
