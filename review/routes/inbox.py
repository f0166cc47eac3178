"""The inbox of flagged items (filters, sorting, pagination, counts) and its CSV export."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from pipeline.store import audit
from pipeline.store.inbox import inbox_page, inbox_rows, inbox_sources
from review.auth import Viewer, db_session, require
from review.csv_export import csv_chunks
from review.filters import filter_params, inbox_filter

router = APIRouter()
EXPORT_LIMIT = 50_000


@router.get("/inbox", include_in_schema=False)
def inbox(request: Request, viewer: Viewer = Depends(require("view")),
          session: Session = Depends(db_session)) -> Response:
    state = request.app.state
    f = inbox_filter(request.query_params, state.config, state.clock())
    page = inbox_page(session, f, state.config.tz)
    return state.pages.render(request, "inbox.html", {
        "viewer": viewer, "page": page, "f": f, "params": filter_params(f),
        "sources": inbox_sources(session), "topics": [(t.name, t.label) for t in state.config.topics],
    })


@router.get("/inbox.csv", include_in_schema=False)
def export_csv(request: Request, viewer: Viewer = Depends(require("export")),
               session: Session = Depends(db_session)) -> Response:
    state = request.app.state
    f = inbox_filter(request.query_params, state.config, state.clock())
    rows = list(inbox_rows(session, f, state.config.tz, limit=EXPORT_LIMIT))
    body = b"".join(csv_chunks(rows, state.config.tz))
    audit.record(session, viewer.name, "export", "inbox", None, rows=len(rows), filter=filter_params(f))
    session.commit()
    stamp = state.clock().astimezone(state.config.tz).strftime("%Y%m%d-%H%M")
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="yuqing-inbox-{stamp}.csv"'})
