"""Deadlines: escalate unacknowledged alerts to the supervisor, remind of 续报 for emergencies.

The seed's rule: report within the grade's deadline (I–II 1 hour, III–IV 2 hours); an
emergency gets an initial report (初报) and then follow-ups (续报) until it is closed.
`check_deadlines` runs on a schedule; every notification it queues carries an
idempotency key (alert, escalation level or follow-up number), so running it twice
for the same moment queues nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from alerts.routing import find_monitor
from pipeline.alerting import alert_view, notify
from pipeline.config import Config
from pipeline.exceptions import ReportTemplateError
from pipeline.store import alerts as alert_store

log = logging.getLogger(__name__)


@dataclass
class EscalationReport:
    escalated: int = 0
    followups: int = 0
    unroutable: int = 0  # overdue, but nobody to escalate to


def _escalate(session: Session, config: Config, report: EscalationReport, *, now: datetime) -> None:
    for alert in alert_store.overdue_unacknowledged(session, now=now):
        alert.escalation_level = 1
        alert.escalated_at = now
        alert.updated_at = now
        session.flush()
        supervisor = find_monitor(config.monitors, alert.supervisor)
        if supervisor is None:
            report.unroutable += 1
            log.warning("overdue alert has no supervisor to escalate to",
                        extra={"alert": alert.id, "supervisor": alert.supervisor})
            continue
        view = alert_view(session, config, alert, "escalation")
        files = _initial_report(session, config, alert.id, now=now) if config.reports.attach_to_escalation else None
        notify(session, config, view, key=f"alert:{alert.id}:escalation:1", to=supervisor, now=now,
               attachments=files)
        report.escalated += 1
        log.info("alert escalated", extra={"alert": alert.id, "to": supervisor.name})


def _initial_report(session: Session, config: Config, alert_id: int, *, now: datetime) -> list[dict[str, str]]:
    """The alert's 初报 as a mail attachment (written now if there is none); none if it cannot be rendered."""
    from pipeline.reports import SYSTEM_AUTHOR, attachment, export_report, initial_report, report_filename

    report = initial_report(session, config, alert_id, author=SYSTEM_AUTHOR, now=now)
    try:
        data = export_report(session, config, report, actor=SYSTEM_AUTHOR)
    except ReportTemplateError as exc:  # a broken reports.template: the escalation still goes out
        log.error("escalation mail without its 初报: cannot render it", extra={"alert": alert_id, "error": str(exc)})
        return []
    return [attachment(report_filename(report), data)]


def _followups(session: Session, config: Config, report: EscalationReport, *, now: datetime) -> None:
    every = config.alerts.followup_every
    for alert in alert_store.followups_due(session, now=now):
        assert alert.next_followup_at is not None
        alert.followups_sent += 1
        number = alert.followups_sent
        next_at = alert.next_followup_at
        while next_at <= now:  # after downtime: one reminder, then back on the cycle
            next_at += every
        alert.next_followup_at = next_at
        alert.updated_at = now
        session.flush()
        view = alert_view(session, config, alert, "followup", followup_no=number)
        notify(session, config, view, key=f"alert:{alert.id}:followup:{number}",
               to=find_monitor(config.monitors, alert.monitor), now=now)
        report.followups += 1


def check_deadlines(session: Session, config: Config, *, now: datetime) -> EscalationReport:
    """Escalate overdue alerts (if ``alerts.escalate``) and queue due 续报 reminders."""
    report = EscalationReport()
    if config.alerts.escalate:
        _escalate(session, config, report, now=now)
    _followups(session, config, report, now=now)
    return report
