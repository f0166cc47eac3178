"""`yuqing notify` (deliver queued notifications) and `yuqing digest` (build, write, send)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.context import console, database, fail, state
from pipeline.models import utcnow


def register(app: typer.Typer) -> None:
    app.command("notify")(notify)
    app.command("digest")(digest)


def notify(
    ctx: typer.Context,
    escalate: Annotated[bool, typer.Option(help="first escalate overdue alerts and queue 续报 reminders")] = True,
) -> None:
    """Deliver queued notifications that are due, with retries."""
    from pipeline.db import transaction
    from pipeline.escalation import check_deadlines
    from pipeline.outbox import deliver_due, outbox_summary

    config = state(ctx).config()
    with database(config) as (_, factory):
        now = utcnow()
        if escalate:
            with transaction(factory) as session:
                esc = check_deadlines(session, config, now=now)
            if esc.escalated or esc.followups:
                console.print(f"escalated {esc.escalated} alert(s), queued {esc.followups} 续报 reminder(s)")
        report = deliver_due(factory, config, now=now)
        with factory() as session:
            queue = outbox_summary(session)
    where = f" (as files in {config.path(config.smtp.outbox_dir)})" if config.smtp.outbox_dir else ""
    console.print(f"sent {report.sent}{where}, retry later {report.retried}, dead {report.dead}; "
                  f"queue: {queue.get('pending', 0)} pending, {queue.get('dead', 0)} dead")
    if report.dead:
        raise typer.Exit(1)


def _parse_day(value: str | None, today: date) -> date:
    if value is None:
        return today - timedelta(days=1)
    if value in ("today", "今天"):
        return today
    if value in ("yesterday", "昨天"):
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--date {value!r} is not a date; write YYYY-MM-DD, today or yesterday") from None


def digest(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help="the day (YYYY-MM-DD; default: yesterday)")] = None,
    send: Annotated[bool, typer.Option("--send", help="queue it for digest.recipients and deliver now")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="write the HTML (chart embedded) to this file; "
                                                             ".txt writes the plain text")] = None,
) -> None:
    """Build the daily digest; archive it, and send it and/or write it."""
    from pipeline.db import transaction
    from pipeline.digest import publish_digest
    from pipeline.outbox import deliver_due

    config = state(ctx).config()
    now = utcnow()
    chosen = _parse_day(day, datetime.now(config.tz).date())
    if send and not config.digest.recipients:
        raise fail("digest.recipients is empty: add who should get the digest, or leave out --send")
    with database(config) as (_, factory):
        with transaction(factory) as session:
            result, queued = publish_digest(session, config, chosen, now=now, send=send)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            body = result.text if out.suffix == ".txt" else result.standalone_html()
            out.write_text(body, encoding="utf-8")
            console.print(f"wrote {out}")
        if send:
            report = deliver_due(factory, config, now=now)
            console.print(f"queued {queued} mail(s) (already queued before: {len(config.digest.recipients) - queued}); "
                          f"sent {report.sent}, retry later {report.retried}")
    t = result.stats["totals"]
    console.print(f"{result.subject}")
    console.print(f"posts {t['posts']}, relevant {t['relevant']}, negative {t['negative']}, rumours {t['rumours']}")
