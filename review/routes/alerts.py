"""Alerts: the list, one alert with its deadline countdown, status changes and assignment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from pipeline.store import audit
from pipeline.store.alert_views import active_user_names, alert_posts, get_alert, list_alerts
from pipeline.store.reports import alert_reports
from pipeline.store.review_actions import assign_alert, list_drafts_for_alert, move_alert
from review.auth import Viewer, db_session, require
from review.params import RowId

router = APIRouter()


@router.get("/alerts", include_in_schema=False)
def alert_list(request: Request, status: str = "open", viewer: Viewer = Depends(require("view")),
               session: Session = Depends(db_session)) -> Response:
    return request.app.state.pages.render(request, "alerts.html", {
        "viewer": viewer, "alerts": list_alerts(session, status), "status": status})


@router.get("/alerts/{alert_id}", include_in_schema=False)
def alert_page(alert_id: RowId, request: Request, viewer: Viewer = Depends(require("view")),
               session: Session = Depends(db_session)) -> Response:
    alert = get_alert(session, alert_id)
    context = {"viewer": viewer, "alert": alert, "posts": alert_posts(session, alert),
               "users": active_user_names(session), "drafts": list_drafts_for_alert(session, alert_id),
               "reports": alert_reports(session, alert_id)}
    audit.record(session, viewer.name, "view", "alert", alert_id)
    session.commit()
    return request.app.state.pages.render(request, "alert.html", context)


@router.post("/alerts/{alert_id}/status", include_in_schema=False)
def change_status(alert_id: RowId, request: Request, status: str = Form(...),
                  viewer: Viewer = Depends(require("alert")), session: Session = Depends(db_session)) -> Response:
    move_alert(session, alert_id, status, actor=viewer.name, now=request.app.state.clock())
    session.commit()
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.post("/alerts/{alert_id}/assign", include_in_schema=False)
def assign(alert_id: RowId, assignee: str = Form(""), viewer: Viewer = Depends(require("alert")),
           session: Session = Depends(db_session)) -> Response:
    assign_alert(session, alert_id, assignee.strip() or None, actor=viewer.name)
    session.commit()
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
