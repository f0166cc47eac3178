"""Written reports: 下载初报 / 生成续报 from an alert, a report's page (edit its sections, submit,
review, approve, history) and its Word file. Reports follow the response drafts' review rules
(`pipeline.store.reports`); roles are checked here as for drafts.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from alerts.drafts import PENDING_MARK
from pipeline.models import Report
from pipeline.reports import DOCX_TYPE, export_report, followup_report, initial_report, report_filename
from pipeline.store import audit
from pipeline.store.reports import (
    approve_report,
    edit_report,
    get_report,
    list_reports,
    report_history,
    report_writers,
    review_report,
    submit_report,
    submitted,
)
from review.auth import Viewer, db_session, require
from review.params import FormVersion, RowId

router = APIRouter()
TEXT_PREFIX = "text_"


def _docx(request: Request, session: Session, report: Report, viewer: Viewer) -> Response:
    data = export_report(session, request.app.state.config, report, actor=viewer.name)
    session.commit()
    name = report_filename(report)
    return Response(data, media_type=DOCX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=\"report-{report.id}.docx\"; filename*=UTF-8''{quote(name)}"})


@router.post("/alerts/{alert_id}/reports/initial", include_in_schema=False)
def download_initial(alert_id: RowId, request: Request, viewer: Viewer = Depends(require("draft_write")),
                     session: Session = Depends(db_session)) -> Response:
    """下载初报: the alert's 初报 (written now if there is none) as a Word file."""
    report = initial_report(session, request.app.state.config, alert_id, author=viewer.name,
                            now=request.app.state.clock())
    return _docx(request, session, report, viewer)


@router.post("/alerts/{alert_id}/reports/followup", include_in_schema=False)
def new_followup(alert_id: RowId, request: Request, viewer: Viewer = Depends(require("draft_write")),
                 session: Session = Depends(db_session)) -> Response:
    """生成续报: a new 续报 of what changed since the last report, opened for editing."""
    report = followup_report(session, request.app.state.config, alert_id, author=viewer.name,
                             now=request.app.state.clock())
    session.commit()
    return RedirectResponse(f"/reports/{report.id}", status_code=303)


@router.get("/reports", include_in_schema=False)
def reports(request: Request, viewer: Viewer = Depends(require("view")),
            session: Session = Depends(db_session)) -> Response:
    return request.app.state.pages.render(request, "reports.html", {"viewer": viewer,
                                                                     "reports": list_reports(session)})


@router.get("/reports/{report_id}", include_in_schema=False)
def report_page(report_id: RowId, request: Request, viewer: Viewer = Depends(require("view")),
                session: Session = Depends(db_session)) -> Response:
    report = get_report(session, report_id)
    context = {"viewer": viewer, "report": report, "history": report_history(session, report_id),
               "submitted": submitted(session, report), "writers": report_writers(session, report_id),
               "pending": any(PENDING_MARK in s["text"] for s in report.sections)}
    audit.record(session, viewer.name, "view", "report", report_id)
    session.commit()
    return request.app.state.pages.render(request, "report.html", context)


@router.get("/reports/{report_id}/download", include_in_schema=False)
def download(report_id: RowId, request: Request, viewer: Viewer = Depends(require("view")),
             session: Session = Depends(db_session)) -> Response:
    return _docx(request, session, get_report(session, report_id), viewer)


def _done(report_id: int) -> Response:
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


@router.post("/reports/{report_id}/edit", include_in_schema=False)
async def edit(report_id: RowId, request: Request, version: FormVersion,
               viewer: Viewer = Depends(require("draft_write")), session: Session = Depends(db_session)) -> Response:
    form = await request.form()
    texts = {k[len(TEXT_PREFIX):]: str(v) for k, v in form.items() if k.startswith(TEXT_PREFIX)}
    edit_report(session, report_id, texts, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(report_id)


@router.post("/reports/{report_id}/submit", include_in_schema=False)
def submit(report_id: RowId, request: Request, version: FormVersion,
           viewer: Viewer = Depends(require("draft_write")), session: Session = Depends(db_session)) -> Response:
    submit_report(session, report_id, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(report_id)


@router.post("/reports/{report_id}/review", include_in_schema=False)
def review(report_id: RowId, request: Request, version: FormVersion,
           viewer: Viewer = Depends(require("draft_review")), session: Session = Depends(db_session)) -> Response:
    review_report(session, report_id, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(report_id)


@router.post("/reports/{report_id}/approve", include_in_schema=False)
def approve(report_id: RowId, request: Request, version: FormVersion,
            viewer: Viewer = Depends(require("draft_approve")), session: Session = Depends(db_session)) -> Response:
    approve_report(session, report_id, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(report_id)
