"""The dashboard: today's volume and trend, top events, open and overdue alerts, sources, rule precision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from pipeline.store.dashboard import is_overdue, open_alerts, rule_precision, top_events, volume_by_day
from pipeline.store.sources import source_health
from review.auth import Viewer, db_session, require

router = APIRouter()


def dashboard_data(session: Session, request: Request) -> dict[str, Any]:
    state = request.app.state
    now = state.clock()
    volume = volume_by_day(session, state.config.tz, now)
    alerts = open_alerts(session)
    return {
        "volume": volume, "today": volume[-1].posts, "yesterday": volume[-2].posts,
        "peak": max((d.posts for d in volume), default=0) or 1,
        "events": top_events(session, now), "alerts": alerts,
        "overdue": [a for a in alerts if is_overdue(a, now)],
        "sources": source_health(session), "rules": rule_precision(session),
    }


@router.get("/dashboard", include_in_schema=False)
def dashboard(request: Request, viewer: Viewer = Depends(require("view")),
              session: Session = Depends(db_session)) -> Response:
    return request.app.state.pages.render(request, "dashboard.html", {"viewer": viewer,
                                                                      **dashboard_data(session, request)})
