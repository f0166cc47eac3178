"""Response drafts: start from the category's template, edit, submit, review, approve, history.

The workflow rules (reviewer and approver are two people, neither the author) are
`alerts.workflow`'s; roles are checked here: only approvers and admins approve.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from pipeline.store import audit
from pipeline.store.alert_views import event_titles
from pipeline.store.review_actions import (
    approve_draft,
    draft_history,
    edit_draft,
    get_draft,
    list_drafts,
    review_draft,
    start_draft,
    submit_draft,
    submitted,
)
from review.auth import Viewer, db_session, require
from review.params import FormVersion, RowId

router = APIRouter()


@router.get("/drafts", include_in_schema=False)
def drafts(request: Request, status: str = "", viewer: Viewer = Depends(require("view")),
           session: Session = Depends(db_session)) -> Response:
    found = list_drafts(session, status=status or None)
    return request.app.state.pages.render(request, "drafts.html", {
        "viewer": viewer, "drafts": found, "status": status,
        "events": event_titles(session, (d.event_id for d in found))})


@router.post("/alerts/{alert_id}/drafts", include_in_schema=False)
def start(alert_id: RowId, request: Request, viewer: Viewer = Depends(require("draft_write")),
          session: Session = Depends(db_session)) -> Response:
    draft = start_draft(session, request.app.state.config, alert_id, author=viewer.name,
                        now=request.app.state.clock())
    session.commit()
    return RedirectResponse(f"/drafts/{draft.id}", status_code=303)


@router.get("/drafts/{draft_id}", include_in_schema=False)
def draft_page(draft_id: RowId, request: Request, viewer: Viewer = Depends(require("view")),
               session: Session = Depends(db_session)) -> Response:
    draft = get_draft(session, draft_id)
    context = {"viewer": viewer, "draft": draft, "history": draft_history(session, draft_id),
               "submitted": submitted(session, draft)}
    audit.record(session, viewer.name, "view", "draft", draft_id)
    session.commit()
    return request.app.state.pages.render(request, "draft.html", context)


def _done(draft_id: RowId) -> Response:
    return RedirectResponse(f"/drafts/{draft_id}", status_code=303)


@router.post("/drafts/{draft_id}/edit", include_in_schema=False)
def edit(draft_id: RowId, request: Request, version: FormVersion, body: str = Form(...),
         viewer: Viewer = Depends(require("draft_write")), session: Session = Depends(db_session)) -> Response:
    edit_draft(session, draft_id, body, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(draft_id)


@router.post("/drafts/{draft_id}/submit", include_in_schema=False)
def submit(draft_id: RowId, request: Request, version: FormVersion,
           viewer: Viewer = Depends(require("draft_write")), session: Session = Depends(db_session)) -> Response:
    submit_draft(session, draft_id, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(draft_id)


@router.post("/drafts/{draft_id}/review", include_in_schema=False)
def review(draft_id: RowId, request: Request, version: FormVersion,
           viewer: Viewer = Depends(require("draft_review")), session: Session = Depends(db_session)) -> Response:
    review_draft(session, draft_id, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(draft_id)


@router.post("/drafts/{draft_id}/approve", include_in_schema=False)
def approve(draft_id: RowId, request: Request, version: FormVersion,
            viewer: Viewer = Depends(require("draft_approve")), session: Session = Depends(db_session)) -> Response:
    approve_draft(session, draft_id, actor=viewer.name, version=version, now=request.app.state.clock())
    session.commit()
    return _done(draft_id)
