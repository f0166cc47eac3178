"""Written reports: create them with an issue number, edit their sections, review and approve.

A report is reviewed like a response draft (`alerts.workflow`): edited, submitted, reviewed
and approved by people other than its writers, every change a `ReportRevision`. Issue
numbers (第N期) count per series (专报, 周报, 月报) and calendar year. Callers commit.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.workflow import DraftAction, DraftState, WorkflowError, apply_draft_action
from pipeline.exceptions import NotFound
from pipeline.models import Report, ReportRevision, utcnow
from pipeline.store import audit
from pipeline.store.review_actions import ActionRefused

log = logging.getLogger(__name__)

MAX_SECTION_CHARS = 20_000
WRITING_ACTIONS = ("create", "edit")


def create_report(session: Session, *, kind: str, series: str, year: int, title: str, facts: dict[str, Any],
                  sections: list[dict[str, str]], author: str, now: datetime, alert_id: int | None = None,
                  followup_no: int = 0, period: tuple[date, date] | None = None) -> Report:
    """A new report (version 1, ``draft``) with the series' next issue number, and its first revision."""
    for _ in range(5):  # two writers taking the same number: the unique constraint decides, the loser retries
        issue_no = (session.scalar(select(func.max(Report.issue_no))
                                   .where(Report.series == series, Report.year == year)) or 0) + 1
        report = Report(kind=kind, series=series, year=year, issue_no=issue_no, alert_id=alert_id,
                        followup_no=followup_no, period_start=period[0] if period else None,
                        period_end=period[1] if period else None, title=title, facts=facts, sections=sections,
                        status="draft", version=1, author=author, created_at=now, updated_at=now)
        try:
            with session.begin_nested():
                session.add(report)
                session.flush()
        except IntegrityError:
            continue
        _revise(session, report, "create", author, now)
        return report
    raise ActionRefused(f"could not take an issue number for {series} {year}; try again")


def refresh_report(session: Session, report: Report, *, facts: dict[str, Any], sections: list[dict[str, str]],
                   actor: str, now: datetime) -> Report:
    """New figures and first texts for a report nobody has edited yet (same version, a ``refresh`` revision)."""
    report.facts, report.sections, report.updated_at = facts, sections, now
    report.created_at = now  # the date line and "written before the period ended" follow the figures
    _revise(session, report, "refresh", actor, now)
    return report


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    return report


def alert_reports(session: Session, alert_id: int) -> list[Report]:
    """An alert's reports, 初报 first."""
    return list(session.scalars(select(Report).where(Report.alert_id == alert_id).order_by(Report.followup_no)))


def period_report(session: Session, kind: str, start: date) -> Report | None:
    return session.scalars(select(Report).where(Report.kind == kind, Report.period_start == start)
                           .order_by(Report.id.desc()).limit(1)).first()


def list_reports(session: Session, *, limit: int = 200) -> list[Report]:
    return list(session.scalars(select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)))


def report_history(session: Session, report_id: int) -> list[ReportRevision]:
    return list(session.scalars(select(ReportRevision).where(ReportRevision.report_id == report_id)
                                .order_by(ReportRevision.id)))


def report_writers(session: Session, report_id: int) -> frozenset[str]:
    """Everyone who created or edited any version of the report."""
    return frozenset(a for a in session.scalars(
        select(ReportRevision.actor).where(ReportRevision.report_id == report_id,
                                           ReportRevision.action.in_(WRITING_ACTIONS))) if a)


def _revise(session: Session, report: Report, action: str, actor: str, now: datetime) -> None:
    session.add(ReportRevision(report_id=report.id, version=report.version, status=report.status, action=action,
                               sections=report.sections, actor=actor, at=now))
    audit.record(session, actor, f"report_{action}", "report", report.id, version=report.version,
                 status=report.status)
    session.flush()


def _check_version(report: Report, version: int | None) -> None:
    if version is not None and version != report.version:
        raise ActionRefused(f"报告已被修改（现为第 {report.version} 版，你看到的是第 {version} 版），请刷新后再操作")


def _apply(session: Session, report: Report, action: DraftAction, actor: str) -> DraftState:
    """The response drafts' two-person rule (`alerts.workflow`), applied to a report: nobody
    who wrote any version may review or approve it, and the reviewer does not also approve."""
    state = DraftState(status=report.status, author=report.author, reviewer=report.reviewer,  # type: ignore[arg-type]
                       approver=report.approver, version=report.version,
                       writers=report_writers(session, report.id))
    try:
        return apply_draft_action(state, action, actor)
    except WorkflowError as exc:
        raise ActionRefused(str(exc)) from None


def edit_report(session: Session, report_id: int, texts: dict[str, str], *, actor: str, version: int | None = None,
                now: datetime | None = None) -> Report:
    """New text for some sections (by key): a new version, back to ``draft`` (earlier reviews lapse)."""
    report = get_report(session, report_id)
    _check_version(report, version)
    known = {s["key"] for s in report.sections}
    unknown = sorted(set(texts) - known)
    if unknown:
        raise ActionRefused(f"报告没有这些部分：{'、'.join(unknown)}")
    sections = []
    for s in report.sections:
        text = texts.get(s["key"], s["text"]).replace("\r\n", "\n").strip()
        if len(text) > MAX_SECTION_CHARS:
            raise ActionRefused(f"“{s['heading']}”超过 {MAX_SECTION_CHARS} 字")
        sections.append({**s, "text": text})
    if sections == report.sections:
        raise ActionRefused("内容没有变化")
    state = _apply(session, report, "edit", actor)
    report.sections, report.status, report.version = sections, state.status, state.version
    report.reviewer, report.approver, report.approved_at = None, None, None
    report.updated_at = now or utcnow()
    _revise(session, report, "edit", actor, report.updated_at)
    return report


def submitted(session: Session, report: Report) -> bool:
    last = session.scalar(select(ReportRevision.action).where(ReportRevision.report_id == report.id)
                          .order_by(ReportRevision.id.desc()).limit(1))
    return last == "submit"


def submit_report(session: Session, report_id: int, *, actor: str, version: int | None = None,
                  now: datetime | None = None) -> Report:
    report = get_report(session, report_id)
    _check_version(report, version)
    if report.status != "draft":
        raise ActionRefused("只有草稿状态的报告可以提交审核")
    if submitted(session, report):
        raise ActionRefused("这一版已经提交审核")
    _revise(session, report, "submit", actor, now or utcnow())
    return report


def review_report(session: Session, report_id: int, *, actor: str, version: int | None = None,
                  now: datetime | None = None) -> Report:
    report = get_report(session, report_id)
    _check_version(report, version)
    if report.status == "draft" and not submitted(session, report):
        raise ActionRefused("报告尚未提交审核")
    state = _apply(session, report, "review", actor)
    report.status, report.reviewer = state.status, state.reviewer
    _revise(session, report, "review", actor, now or utcnow())
    return report


def approve_report(session: Session, report_id: int, *, actor: str, version: int | None = None,
                   now: datetime | None = None) -> Report:
    report = get_report(session, report_id)
    _check_version(report, version)
    state = _apply(session, report, "approve", actor)
    now = now or utcnow()
    report.status, report.approver, report.approved_at = state.status, state.approver, now
    _revise(session, report, "approve", actor, now)
    log.info("report approved", extra={"report": report.id, "approver": actor})
    return report
