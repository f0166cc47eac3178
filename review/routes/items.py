"""The item page (post, highlighted keywords, scores and their terms, event) and its labels."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from pipeline.store import audit
from pipeline.store.items import explanation_terms, item_view, match_spans, post_alert_id
from pipeline.store.review_actions import add_labels
from review.auth import Viewer, db_session, require
from review.params import RowId

router = APIRouter()
LABEL_FIELDS = ("relevance", "rumour", "sentiment", "category")


@router.get("/items/{post_id}", include_in_schema=False)
def item(post_id: RowId, request: Request, viewer: Viewer = Depends(require("view")),
         session: Session = Depends(db_session)) -> Response:
    state = request.app.state
    view = item_view(session, post_id, state.config.tz)
    audit.record(session, viewer.name, "view", "post", post_id)
    session.commit()
    return state.pages.render(request, "item.html", {
        "viewer": viewer, "v": view, "explanations": explanation_terms(view.analysis),
        "title_spans": match_spans(view.analysis, "title"), "body_spans": match_spans(view.analysis, "body"),
    })


@router.post("/items/{post_id}/labels", include_in_schema=False)
async def label(post_id: RowId, request: Request, viewer: Viewer = Depends(require("label")),
                session: Session = Depends(db_session)) -> Response:
    form = await request.form()
    values: dict[str, str] = {}
    action = form.get("action")
    if action in ("confirmed", "false_positive"):
        values["verdict"] = str(action)
    else:
        for name in LABEL_FIELDS:
            raw = form.get(name)
            if isinstance(raw, str) and raw:
                values[name] = raw
    alert_id = post_alert_id(session, post_id)
    add_labels(session, post_id, values, user=viewer.name, alert_id=alert_id, now=request.app.state.clock())
    session.commit()
    return RedirectResponse(f"/items/{post_id}#labels", status_code=303)
