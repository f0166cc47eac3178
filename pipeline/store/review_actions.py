"""What analysts, monitors and approvers do in the review app, persisted with an audit trail.

Labels (confirm, false positive, corrected category / relevance / rumour / sentiment),
alert assignment and status changes, and the response-draft workflow. The rules of who
may move a draft or an alert live in `alerts.workflow`; this module applies them, writes
a `DraftRevision` for every draft change and an audit entry for every action. Callers
commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.drafts import render_draft
from alerts.workflow import DraftAction, DraftState, WorkflowError, apply_draft_action, next_alert_status
from nlp.categories import SENTIMENTS, Category
from pipeline.config import Config
from pipeline.exceptions import NotFound, YuqingError
from pipeline.models import Alert, DraftRevision, Label, Post, ResponseDraft, User, utcnow
from pipeline.store import audit
from pipeline.store.drafts import create_draft, draft_context

log = logging.getLogger(__name__)

VERDICTS = ("confirmed", "false_positive")
LABEL_VALUES: dict[str, tuple[str, ...]] = {
    "verdict": VERDICTS,
    "relevance": ("1", "0"),
    "rumour": ("1", "0"),
    "sentiment": SENTIMENTS,
    "category": tuple(c.value for c in Category),
}
MAX_DRAFT_CHARS = 20_000


class ActionRefused(YuqingError):
    """The action is not allowed (a workflow rule, a stale form, a bad value); the message says why."""


def add_labels(session: Session, post_id: int, values: Mapping[str, str], *, user: str,
               alert_id: int | None = None, now: datetime | None = None) -> list[Label]:
    """Store one label per given field; empty values are skipped, unknown ones refused."""
    if session.get(Post, post_id) is None:
        raise NotFound(f"信息 #{post_id}")
    labels: list[Label] = []
    for name, raw in values.items():
        value = (raw or "").strip()
        if not value:
            continue
        allowed = LABEL_VALUES.get(name)
        if allowed is None or value not in allowed:
            raise ActionRefused(f"标注 {name}={value!r} 无效")
        labels.append(Label(post_id=post_id, alert_id=alert_id, field=name, value=value, user=user,
                            created_at=now or utcnow()))
    if not labels:
        raise ActionRefused("没有选择任何标注")
    session.add_all(labels)
    audit.record(session, user, "label", "post", post_id, labels={lb.field: lb.value for lb in labels},
                 alert_id=alert_id)
    session.flush()
    return labels


def _alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"预警 #{alert_id}")
    return alert


def assign_alert(session: Session, alert_id: int, assignee: str | None, *, actor: str) -> Alert:
    """Give the alert to an active user (or to nobody with None)."""
    alert = _alert(session, alert_id)
    if assignee:
        user = session.scalar(select(User).where(User.name == assignee, User.active.is_(True)))
        if user is None:
            raise ActionRefused(f"没有名为 {assignee!r} 的在用账号")
    alert.assignee = assignee or None
    audit.record(session, actor, "assign", "alert", alert_id, assignee=assignee)
    session.flush()
    return alert


def move_alert(session: Session, alert_id: int, wanted: str, *, actor: str, now: datetime | None = None) -> Alert:
    """new → acknowledged → responding → closed, as `alerts.workflow` allows."""
    alert = _alert(session, alert_id)
    now = now or utcnow()
    try:
        status = next_alert_status(alert.status, wanted)
    except WorkflowError as exc:
        raise ActionRefused(str(exc)) from None
    before = alert.status
    alert.status = status
    if status != "closed" and alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor
    if status == "closed":
        alert.closed_at = now
    audit.record(session, actor, "alert_status", "alert", alert_id, before=before, after=status)
    session.flush()
    return alert


def get_draft(session: Session, draft_id: int) -> ResponseDraft:
    draft = session.get(ResponseDraft, draft_id)
    if draft is None:
        raise NotFound(f"回应稿 #{draft_id}")
    return draft


def draft_history(session: Session, draft_id: int) -> list[DraftRevision]:
    return list(session.scalars(select(DraftRevision).where(DraftRevision.draft_id == draft_id)
                                .order_by(DraftRevision.id)))


def start_draft(session: Session, config: Config, alert_id: int, *, author: str,
                now: datetime | None = None) -> ResponseDraft:
    """A new draft for the alert, written from its category's template."""
    alert = _alert(session, alert_id)
    templates_dir = Path(config.path(config.alerts.templates_dir)) if config.alerts.templates_dir else None
    body = render_draft(alert.category, draft_context(session, config, alert_id), templates_dir)
    draft = create_draft(session, alert_id=alert_id, category=alert.category, body=body, author=author, now=now)
    audit.record(session, author, "draft_create", "draft", draft.id, alert_id=alert_id)
    return draft


def _revise(session: Session, draft: ResponseDraft, action: str, actor: str, now: datetime) -> None:
    session.add(DraftRevision(draft_id=draft.id, version=draft.version, status=draft.status, action=action,
                              body=draft.body, actor=actor, at=now))
    audit.record(session, actor, f"draft_{action}", "draft", draft.id, version=draft.version, status=draft.status)
    session.flush()


def _check_version(draft: ResponseDraft, version: int | None) -> None:
    if version is not None and version != draft.version:
        raise ActionRefused(f"回应稿已被修改（现为第 {draft.version} 版，你看到的是第 {version} 版），请刷新后再操作")


WRITING_ACTIONS = ("create", "edit")


def draft_writers(session: Session, draft: ResponseDraft) -> list[str]:
    """Everyone who started the draft or wrote a version of it, in the order they first wrote."""
    actors = session.scalars(select(DraftRevision.actor).where(DraftRevision.draft_id == draft.id,
                                                               DraftRevision.action.in_(WRITING_ACTIONS))
                             .order_by(DraftRevision.id))
    return list(dict.fromkeys(a for a in [draft.author, *actors] if a))


def _apply(session: Session, draft: ResponseDraft, action: DraftAction, actor: str) -> DraftState:
    state = DraftState(status=draft.status, author=draft.author, reviewer=draft.reviewer,  # type: ignore[arg-type]
                       approver=draft.approver, version=draft.version,
                       writers=frozenset(draft_writers(session, draft)))
    try:
        return apply_draft_action(state, action, actor)
    except WorkflowError as exc:
        raise ActionRefused(str(exc)) from None


def edit_draft(session: Session, draft_id: int, body: str, *, actor: str, version: int | None = None,
               now: datetime | None = None) -> ResponseDraft:
    """Save new text: a new version, back to ``draft`` status (reviews of old text lapse)."""
    draft = get_draft(session, draft_id)
    _check_version(draft, version)
    body = body.replace("\r\n", "\n")
    if not body.strip():
        raise ActionRefused("回应稿内容为空")
    if len(body) > MAX_DRAFT_CHARS:
        raise ActionRefused(f"回应稿超过 {MAX_DRAFT_CHARS} 字")
    if body == draft.body:
        raise ActionRefused("内容没有变化")
    state = _apply(session, draft, "edit", actor)
    draft.body, draft.status, draft.version = body, state.status, state.version
    draft.author, draft.reviewer, draft.approver = state.author, None, None
    _revise(session, draft, "edit", actor, now or utcnow())
    return draft


def submitted(session: Session, draft: ResponseDraft) -> bool:
    """Whether the current version was submitted for review (the last revision is a submit)."""
    last = session.scalar(select(DraftRevision.action).where(DraftRevision.draft_id == draft.id)
                          .order_by(DraftRevision.id.desc()).limit(1))
    return last == "submit"


def submit_draft(session: Session, draft_id: int, *, actor: str, version: int | None = None,
                 now: datetime | None = None) -> ResponseDraft:
    draft = get_draft(session, draft_id)
    _check_version(draft, version)
    if draft.status != "draft":
        raise ActionRefused("只有草稿状态的回应稿可以提交审核")
    if submitted(session, draft):
        raise ActionRefused("这一版已经提交审核")
    _revise(session, draft, "submit", actor, now or utcnow())
    return draft


def review_draft(session: Session, draft_id: int, *, actor: str, version: int | None = None,
                 now: datetime | None = None) -> ResponseDraft:
    draft = get_draft(session, draft_id)
    _check_version(draft, version)
    if draft.status == "draft" and not submitted(session, draft):
        raise ActionRefused("回应稿尚未提交审核")
    state = _apply(session, draft, "review", actor)
    draft.status, draft.reviewer = state.status, state.reviewer
    _revise(session, draft, "review", actor, now or utcnow())
    return draft


def approve_draft(session: Session, draft_id: int, *, actor: str, version: int | None = None,
                  now: datetime | None = None) -> ResponseDraft:
    draft = get_draft(session, draft_id)
    _check_version(draft, version)
    state = _apply(session, draft, "approve", actor)
    draft.status, draft.approver = state.status, state.approver
    _revise(session, draft, "approve", actor, now or utcnow())
    log.info("draft approved", extra={"draft": draft.id, "approver": actor, "author": draft.author})
    return draft


def list_drafts(session: Session, *, status: str | None = None, limit: int = 200) -> list[ResponseDraft]:
    stmt = select(ResponseDraft).order_by(ResponseDraft.updated_at.desc(), ResponseDraft.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(ResponseDraft.status == status)
    return list(session.scalars(stmt))


def list_drafts_for_alert(session: Session, alert_id: int) -> list[ResponseDraft]:
    return list(session.scalars(select(ResponseDraft).where(ResponseDraft.alert_id == alert_id)
                                .order_by(ResponseDraft.id.desc())))
