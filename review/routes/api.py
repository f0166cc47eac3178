"""The JSON API under /api: the same data and actions as the pages, with the same roles.

Sessions are the same signed cookie; unsafe calls need the ``X-CSRF-Token`` header
(the token is in ``GET /api/me``). The schema is at ``/api/openapi.json``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pipeline.models import Alert, ResponseDraft
from pipeline.store import audit
from pipeline.store.alert_views import get_alert, list_alerts
from pipeline.store.archive import list_digests
from pipeline.store.inbox import inbox_page
from pipeline.store.items import explanation_terms, item_view, post_alert_id
from pipeline.store.review_actions import (
    add_labels,
    approve_draft,
    assign_alert,
    draft_history,
    draft_writers,
    edit_draft,
    get_draft,
    move_alert,
    review_draft,
    start_draft,
    submit_draft,
)
from pipeline.store.search import SHORT_QUERY_DAYS, RuleSyntaxError
from pipeline.store.sources import source_health
from review.auth import Forbidden, Viewer, db_session, require
from review.filters import inbox_filter
from review.params import MAX_ID, RowId
from review.rendering import safe_url
from review.routes.dashboard import dashboard_data

router = APIRouter(prefix="/api", tags=["api"])


class Me(BaseModel):
    name: str
    role: str
    csrf_token: str


class HighlightOut(BaseModel):
    field: Literal["title", "text"]
    start: int
    end: int


class InboxItem(BaseModel):
    post_id: int
    title: str
    excerpt: str
    url: str | None
    source: str
    published_at: datetime | None
    category: str
    relevance: float
    rumour: float
    negative: float
    sentiment: str
    topics: list[str]
    event_id: int | None
    alert_id: int | None
    grade: str | None
    status: str | None
    highlights: list[HighlightOut] = Field(default_factory=list, description=(
        "where the search terms of q occur: offsets into the stored title or text (not the excerpt)"))


class InboxOut(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    counts: dict[str, dict[str, int]]
    items: list[InboxItem]
    since: date | None = Field(None, description="the first day searched (moved up for a short search term)")
    narrowed: bool = Field(False, description=(
        f"q cannot use the search index (a term shorter than three characters, or NOT alone), so only the "
        f"last {SHORT_QUERY_DAYS} days were searched"))


class AnalysisOut(BaseModel):
    model_version: str
    relevance: float
    rumour: float
    negative: float
    sentiment: str
    category: str
    topics: list[Any]
    matches: list[Any]
    explanations: dict[str, list[tuple[str, float]]]


class AlertOut(BaseModel):
    id: int
    event_id: int
    rule: str
    topic: str | None
    category: str
    grade: str
    status: str
    monitor: str | None
    assignee: str | None
    due_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None


class LabelOut(BaseModel):
    field: str
    value: str
    user: str
    created_at: datetime


class ItemOut(BaseModel):
    post_id: int
    title: str
    text: str
    url: str | None
    source: str
    author: str | None
    published_at: datetime | None
    analysis: AnalysisOut | None
    event_id: int | None
    event_posts: list[int]
    event_sources: dict[str, int]
    alert: AlertOut | None
    labels: list[LabelOut]


class LabelIn(BaseModel):
    verdict: Literal["confirmed", "false_positive"] | None = None
    relevance: Literal["1", "0"] | None = None
    rumour: Literal["1", "0"] | None = None
    sentiment: Literal["neg", "neu", "pos"] | None = None
    category: str | None = None


class StatusIn(BaseModel):
    status: Literal["acknowledged", "responding", "closed"]


class AssignIn(BaseModel):
    assignee: str | None = None


class RevisionOut(BaseModel):
    version: int
    status: str
    action: str
    body: str
    actor: str | None
    at: datetime


class DraftOut(BaseModel):
    id: int
    alert_id: int | None
    category: str
    status: str
    body: str
    version: int
    author: str | None
    reviewer: str | None
    approver: str | None
    writers: list[str] = Field(default_factory=list, description="who started or wrote a version of it")
    history: list[RevisionOut] = Field(default_factory=list)


class DraftActionIn(BaseModel):
    version: int = Field(ge=1, le=MAX_ID)
    body: str | None = None


class DigestOut(BaseModel):
    id: int
    day: date
    subject: str
    sent_at: datetime | None


class SourceOut(BaseModel):
    name: str
    kind: str
    healthy: bool
    health_note: str | None
    consecutive_failures: int
    last_run_at: datetime | None
    last_ok_at: datetime | None


class RulePrecisionOut(BaseModel):
    rule: str
    alerts: int
    confirmed: int
    false_positive: int
    precision: float | None


class DashboardOut(BaseModel):
    volume: dict[date, int]
    today: int
    top_events: list[dict[str, Any]]
    open_alerts: int
    overdue_alerts: list[int]
    unhealthy_sources: list[str]
    rules: list[RulePrecisionOut]


def _alert_out(alert: Alert) -> AlertOut:
    return AlertOut.model_validate(alert, from_attributes=True)


def _draft_out(session: Session, draft: ResponseDraft) -> DraftOut:
    out = DraftOut.model_validate(draft, from_attributes=True)
    out.history = [RevisionOut.model_validate(r, from_attributes=True) for r in draft_history(session, draft.id)]
    out.writers = draft_writers(session, draft)
    return out


@router.get("/me", response_model=Me)
def me(viewer: Viewer = Depends(require("view"))) -> Me:
    return Me(name=viewer.name, role=viewer.role, csrf_token=viewer.csrf_token)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, viewer: Viewer = Depends(require("view"))) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema


@router.get("/inbox", response_model=InboxOut)
def api_inbox(request: Request, viewer: Viewer = Depends(require("view")),
              session: Session = Depends(db_session)) -> InboxOut:
    """Flagged items, or every stored post with ``scope=all``; the same query parameters as the inbox
    page (scope, topic, category, grade, status, source, since, until, q, sort, page, per_page).
    ``q`` is an expression in the topic-rule language (AND, OR, NOT, "phrases", NEAR/n); a bad one
    is answered 422 with the position of the problem."""
    state = request.app.state
    f = inbox_filter(request.query_params, state.config, state.clock())
    try:
        page = inbox_page(session, f, state.config.tz)
    except RuleSyntaxError as exc:
        raise HTTPException(422, detail=f"q: {exc}") from None
    items = [InboxItem(post_id=r.post_id, title=r.title, excerpt=r.text[:200], url=safe_url(r.url), source=r.source,
                       published_at=r.published_at, category=r.category, relevance=r.relevance, rumour=r.rumour,
                       negative=r.negative, sentiment=r.sentiment, topics=r.topics, event_id=r.event_id,
                       alert_id=r.alert_id, grade=r.grade, status=r.status,
                       highlights=[HighlightOut(field=m.field, start=m.start, end=m.end)
                                   for m in r.marks]) for r in page.rows]
    return InboxOut(total=page.total, page=page.page, per_page=page.per_page, pages=page.pages,
                    counts=page.counts, items=items, since=f.since, narrowed=f.narrowed)


@router.get("/items/{post_id}", response_model=ItemOut)
def api_item(post_id: RowId, request: Request, viewer: Viewer = Depends(require("view")),
             session: Session = Depends(db_session)) -> ItemOut:
    v = item_view(session, post_id, request.app.state.config.tz)
    analysis = None
    if v.analysis is not None:
        a = v.analysis
        analysis = AnalysisOut(model_version=a.model_version, relevance=a.relevance, rumour=a.rumour,
                               negative=a.negative, sentiment=a.sentiment, category=a.category,
                               topics=list(a.topics or []), matches=list(a.matches or []),
                               explanations=explanation_terms(a))
    out = ItemOut(post_id=v.post.id, title=v.post.title, text=v.post.text, url=safe_url(v.post.url), source=v.source,
                  author=v.post.author, published_at=v.post.published_at, analysis=analysis,
                  event_id=v.post.event_id, event_posts=[p.post_id for p in v.event_posts],
                  event_sources=dict(v.event_sources), alert=_alert_out(v.alert) if v.alert else None,
                  labels=[LabelOut.model_validate(lb, from_attributes=True) for lb in v.labels])
    audit.record(session, viewer.name, "view", "post", post_id, via="api")
    session.commit()
    return out


@router.post("/items/{post_id}/labels", response_model=list[LabelOut])
def api_label(post_id: RowId, body: LabelIn, request: Request, viewer: Viewer = Depends(require("label")),
              session: Session = Depends(db_session)) -> list[LabelOut]:
    values = {k: v for k, v in body.model_dump().items() if v}
    labels = add_labels(session, post_id, values, user=viewer.name, alert_id=post_alert_id(session, post_id),
                        now=request.app.state.clock())
    session.commit()
    return [LabelOut.model_validate(lb, from_attributes=True) for lb in labels]


@router.get("/alerts", response_model=list[AlertOut])
def api_alerts(status: str = "open", viewer: Viewer = Depends(require("view")),
               session: Session = Depends(db_session)) -> list[AlertOut]:
    return [_alert_out(a) for a in list_alerts(session, status)]


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def api_alert(alert_id: RowId, viewer: Viewer = Depends(require("view")),
              session: Session = Depends(db_session)) -> AlertOut:
    return _alert_out(get_alert(session, alert_id))


@router.post("/alerts/{alert_id}/status", response_model=AlertOut)
def api_alert_status(alert_id: RowId, body: StatusIn, request: Request, viewer: Viewer = Depends(require("alert")),
                     session: Session = Depends(db_session)) -> AlertOut:
    alert = move_alert(session, alert_id, body.status, actor=viewer.name, now=request.app.state.clock())
    session.commit()
    return _alert_out(alert)


@router.post("/alerts/{alert_id}/assign", response_model=AlertOut)
def api_alert_assign(alert_id: RowId, body: AssignIn, viewer: Viewer = Depends(require("alert")),
                     session: Session = Depends(db_session)) -> AlertOut:
    alert = assign_alert(session, alert_id, body.assignee, actor=viewer.name)
    session.commit()
    return _alert_out(alert)


@router.post("/alerts/{alert_id}/drafts", response_model=DraftOut)
def api_start_draft(alert_id: RowId, request: Request, viewer: Viewer = Depends(require("draft_write")),
                    session: Session = Depends(db_session)) -> DraftOut:
    draft = start_draft(session, request.app.state.config, alert_id, author=viewer.name,
                        now=request.app.state.clock())
    session.commit()
    return _draft_out(session, draft)


@router.get("/drafts/{draft_id}", response_model=DraftOut)
def api_draft(draft_id: RowId, viewer: Viewer = Depends(require("view")),
              session: Session = Depends(db_session)) -> DraftOut:
    return _draft_out(session, get_draft(session, draft_id))


_ACTION_PERMISSION = {"edit": "draft_write", "submit": "draft_write", "review": "draft_review",
                      "approve": "draft_approve"}


@router.post("/drafts/{draft_id}/{action}", response_model=DraftOut)
def api_draft_action(draft_id: RowId, action: Literal["edit", "submit", "review", "approve"], body: DraftActionIn,
                     request: Request, viewer: Viewer = Depends(require("view")),
                     session: Session = Depends(db_session)) -> DraftOut:
    """``edit`` (needs ``body``), ``submit``, ``review`` or ``approve`` the draft at ``version``."""
    if not viewer.may(_ACTION_PERMISSION[action]):
        raise Forbidden(f"“{viewer.role}”角色不能执行此操作")
    now = request.app.state.clock()
    if action == "edit":
        draft = edit_draft(session, draft_id, body.body or "", actor=viewer.name, version=body.version, now=now)
    elif action == "submit":
        draft = submit_draft(session, draft_id, actor=viewer.name, version=body.version, now=now)
    elif action == "review":
        draft = review_draft(session, draft_id, actor=viewer.name, version=body.version, now=now)
    else:
        draft = approve_draft(session, draft_id, actor=viewer.name, version=body.version, now=now)
    session.commit()
    return _draft_out(session, draft)


@router.get("/dashboard", response_model=DashboardOut)
def api_dashboard(request: Request, viewer: Viewer = Depends(require("view")),
                  session: Session = Depends(db_session)) -> DashboardOut:
    d = dashboard_data(session, request)
    return DashboardOut(
        volume={v.day: v.posts for v in d["volume"]}, today=d["today"],
        top_events=[{"id": e.id, "title": e.title, "posts": e.post_count, "sources": e.source_count,
                     "heat": e.heat} for e in d["events"]],
        open_alerts=len(d["alerts"]), overdue_alerts=[a.id for a in d["overdue"]],
        unhealthy_sources=[s.name for s in d["sources"] if not s.healthy],
        rules=[RulePrecisionOut(rule=r.rule, alerts=r.alerts, confirmed=r.confirmed, false_positive=r.false_positive,
                                precision=r.precision) for r in d["rules"]])


@router.get("/digests", response_model=list[DigestOut])
def api_digests(viewer: Viewer = Depends(require("view")), session: Session = Depends(db_session)) -> list[DigestOut]:
    return [DigestOut.model_validate(d, from_attributes=True) for d in list_digests(session)]


@router.get("/sources", response_model=list[SourceOut])
def api_sources(viewer: Viewer = Depends(require("view")), session: Session = Depends(db_session)) -> list[SourceOut]:
    return [SourceOut.model_validate(s, from_attributes=True) for s in source_health(session)]
