"""The inbox (filters, search, sorting, pagination, counts), its CSV/xlsx export and 试运行专题."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from pipeline.store import audit
from pipeline.store.inbox import FACETS, InboxPage, InboxRow, inbox_page, inbox_rows, inbox_sources
from pipeline.store.search import SHORT_QUERY_DAYS, RuleSyntaxError, snippet
from pipeline.store.trial import TRIAL_DAYS, trial_run
from review.auth import Viewer, db_session, require
from review.csv_export import csv_chunks, xlsx_bytes
from review.filters import filter_params, inbox_filter
from review.rendering import highlight

router = APIRouter()
EXPORT_LIMIT = 50_000
EXCERPT = 110
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def marked(rows: list[InboxRow]) -> dict[int, tuple[Markup, Markup]]:
    """Title and excerpt of each searched row, escaped, with the matches marked; the excerpt is
    the part of the text around the first match."""
    out: dict[int, tuple[Markup, Markup]] = {}
    for r in rows:
        if not r.marks:
            continue
        start, end = snippet(r.text, list(r.marks), "text", width=EXCERPT)
        spans = [(m.start - start, m.end - start, "检索词") for m in r.marks
                 if m.field == "text" and m.start >= start and m.end <= end]
        excerpt = highlight(r.text[start:end], spans)
        if start > 0:
            excerpt = Markup("…") + excerpt
        if end < len(r.text):
            excerpt += Markup("…")
        title = highlight(r.title, [(m.start, m.end, "检索词") for m in r.marks if m.field == "title"])
        out[r.post_id] = (title, excerpt)
    return out


@router.get("/inbox", include_in_schema=False)
def inbox(request: Request, viewer: Viewer = Depends(require("view")),
          session: Session = Depends(db_session)) -> Response:
    state = request.app.state
    f = inbox_filter(request.query_params, state.config, state.clock())
    error = None
    try:
        page = inbox_page(session, f, state.config.tz)
    except RuleSyntaxError as exc:
        error = str(exc)
        page = InboxPage(rows=[], total=0, page=1, per_page=f.per_page, counts={name: {} for name in FACETS})
    return state.pages.render(request, "inbox.html", {
        "viewer": viewer, "page": page, "f": f, "params": filter_params(f), "search_error": error,
        "marked": marked(page.rows), "short_days": SHORT_QUERY_DAYS,
        "sources": inbox_sources(session), "topics": [(t.name, t.label) for t in state.config.topics],
    }, status_code=400 if error else 200)


def _export(request: Request, viewer: Viewer, session: Session, fmt: str) -> tuple[list[InboxRow], str]:
    state = request.app.state
    f = inbox_filter(request.query_params, state.config, state.clock())
    rows = list(inbox_rows(session, f, state.config.tz, limit=EXPORT_LIMIT))
    audit.record(session, viewer.name, "export", "inbox", None, rows=len(rows), format=fmt, filter=filter_params(f))
    session.commit()
    stamp = state.clock().astimezone(state.config.tz).strftime("%Y%m%d-%H%M")
    return rows, f'attachment; filename="yuqing-inbox-{stamp}.{fmt}"'


@router.get("/inbox.csv", include_in_schema=False)
def export_csv(request: Request, viewer: Viewer = Depends(require("export")),
               session: Session = Depends(db_session)) -> Response:
    try:
        rows, disposition = _export(request, viewer, session, "csv")
    except RuleSyntaxError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    body = b"".join(csv_chunks(rows, request.app.state.config.tz))
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})


@router.get("/inbox.xlsx", include_in_schema=False)
def export_xlsx(request: Request, viewer: Viewer = Depends(require("export")),
                session: Session = Depends(db_session)) -> Response:
    try:
        rows, disposition = _export(request, viewer, session, "xlsx")
    except RuleSyntaxError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    return Response(xlsx_bytes(rows, request.app.state.config.tz), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": disposition})


@router.get("/inbox/trial", include_in_schema=False)
def trial(request: Request, viewer: Viewer = Depends(require("view")),
          session: Session = Depends(db_session)) -> Response:
    """试运行专题: a topic expression over the last 30 days of every stored post."""
    state = request.app.state
    expression = (request.query_params.get("q") or "").strip()[:500]
    context: dict[str, Any] = {"viewer": viewer, "q": expression, "run": None, "error": None, "days": TRIAL_DAYS}
    if expression:
        today = state.clock().astimezone(state.config.tz).date()
        try:
            context["run"] = run = trial_run(session, expression, today=today, tz=state.config.tz)
            context["marked"] = marked(run.sample)
        except RuleSyntaxError as exc:
            context["error"] = str(exc)
    return state.pages.render(request, "trial.html", context, status_code=400 if context["error"] else 200)
