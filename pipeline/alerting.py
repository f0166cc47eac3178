"""Turn events into alerts: rules, grade, deadline, monitor, first draft and notifications.

`raise_alerts` is called by the processing step after it has updated events. Everything
it writes (the alert, its draft, the outbox rows) goes into the caller's transaction, so
an alert never exists without its notifications or the other way round. One alert per
event (``alerts.event_id`` is unique): as the event grows the alert is re-graded, and a
grade raised upward notifies again. Idempotency keys name the alert, the grade and the
channel, so nothing is ever notified twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.drafts import DraftContext, render_draft
from alerts.exceptions import TemplateError
from alerts.grades import Grade
from alerts.grading import EventFacts, GradeResult, grade_event
from alerts.hotlist import with_hotlist_floor
from alerts.messages import AlertView, MessageKind, render_alert_message
from alerts.routing import Route, find_monitor, route
from alerts.rules import first_matching_rule
from nlp.categories import Category
from pipeline.config import AlertRuleConfig, Config, MonitorConfig
from pipeline.models import Alert, Event
from pipeline.store import alerts as alert_store
from pipeline.store import hotlists as hotlist_store
from pipeline.store import outbox
from pipeline.store.drafts import create_draft, event_context, latest_draft

log = logging.getLogger(__name__)

DRAFT_AUTHOR = "yuqing"
CHUNK = 500
SAMPLE_POSTS = 3


def review_url(config: Config, alert_id: int) -> str | None:
    base = config.review.base_url
    return f"{base.rstrip('/')}/alerts/{alert_id}" if base else None


def alert_view(session: Session, config: Config, alert: Alert, kind: MessageKind, *,
               context: DraftContext | None = None, previous_grade: Grade | None = None,
               followup_no: int = 0) -> AlertView:
    """Everything a notification about ``alert`` shows, gathered from the database."""
    event = alert.event
    ctx = context or event_context(session, config, event, grade=alert.grade, monitor=alert.monitor,
                                   category=alert.category)
    draft = latest_draft(session, alert.id)
    return AlertView(
        alert_id=alert.id, kind=kind, grade=Grade(alert.grade), category=alert.category,
        category_zh=ctx.category_zh, title=event.title or ctx.claim, topic_label=ctx.topic_name,
        due_at=alert.due_at, timezone=config.timezone, monitor=alert.monitor, supervisor=alert.supervisor,
        reasons=list(alert.reasons), post_count=ctx.post_count, source_count=ctx.source_count,
        sources=list(ctx.sources), negative_share=ctx.negative_share, first_seen=event.first_seen,
        posts=alert_store.sample_posts(session, event.id, SAMPLE_POSTS), draft=draft.body if draft else "",
        review_url=review_url(config, alert.id), followup_no=followup_no, previous_grade=previous_grade)


def notify(session: Session, config: Config, view: AlertView, *, key: str, to: MonitorConfig | None,
           now: datetime, attachments: list[dict[str, str]] | None = None) -> int:
    """Queue the notification for ``view`` by mail to ``to`` and to ``to``'s webhooks; returns rows written.
    ``attachments`` (the outbox's form: filename, content_type, base64 data) go with the mail only."""
    if to is None:
        log.warning("alert has nobody to notify: no monitor matches", extra={"alert": view.alert_id})
        return 0
    message = render_alert_message(view)
    written = int(outbox.enqueue(
        session, key=f"{key}:email:{to.email}", channel="email", recipient=to.email, subject=message.subject,
        payload={"text": message.text, "html": message.html, **({"attachments": attachments} if attachments else {})},
        now=now, alert_id=view.alert_id))
    for name in to.webhooks:
        written += int(outbox.enqueue(
            session, key=f"{key}:webhook:{name}", channel=f"webhook:{name}", recipient=name,
            subject=message.subject, payload={"markdown": message.markdown, "fields": message.fields,
                                              "grade": view.grade.value},
            now=now, alert_id=view.alert_id))
    return written


def _create(session: Session, config: Config, event: Event, facts: EventFacts, graded: GradeResult,
            rule: AlertRuleConfig, where: Route, now: datetime) -> Alert | None:
    alert = Alert(
        event_id=event.id, rule=rule.name, topic=event.topic, category=facts.category,
        grade=graded.grade.value, notified_grade=graded.grade.value, reasons=graded.reasons, status="new",
        monitor=where.monitor.name if where.monitor else None, supervisor=where.supervisor_name,
        due_at=now + config.alerts.deadlines[graded.grade],
        next_followup_at=now + config.alerts.followup_every if facts.category == Category.EMERGENCY else None,
        created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:  # another worker alerted this event a moment ago: update theirs
        return None
    context = event_context(session, config, event, grade=alert.grade, monitor=alert.monitor,
                            category=alert.category)
    templates = config.path(config.alerts.templates_dir) if config.alerts.templates_dir else None
    try:
        body = render_draft(alert.category, context, templates)
    except TemplateError as exc:
        log.error("no response draft: template broken", extra={"alert": alert.id, "error": str(exc)})
    else:
        create_draft(session, alert_id=alert.id, category=alert.category, body=body, author=DRAFT_AUTHOR, now=now)
    view = alert_view(session, config, alert, "new", context=context)
    notify(session, config, view, key=f"alert:{alert.id}:grade:{alert.grade}", to=where.monitor, now=now)
    log.info("alert raised", extra={"alert": alert.id, "event": event.id, "grade": alert.grade, "rule": rule.name})
    return alert


def _update(session: Session, config: Config, alert: Alert, facts: EventFacts, graded: GradeResult,
            now: datetime) -> bool:
    """Re-grade an existing alert; notify again only when the grade went up. True if it changed."""
    if alert.status == "closed":
        return False
    old = Grade(alert.grade)
    if not graded.grade.more_severe_than(old):
        return False
    alert.grade = graded.grade.value
    alert.reasons = graded.reasons
    alert.updated_at = now
    if alert.acknowledged_at is None:
        alert.due_at = min(alert.due_at, now + config.alerts.deadlines[graded.grade])
    if facts.category == Category.EMERGENCY and alert.next_followup_at is None:
        alert.next_followup_at = now + config.alerts.followup_every
    previous = Grade(alert.notified_grade) if alert.notified_grade else old
    alert.notified_grade = graded.grade.value
    session.flush()
    view = alert_view(session, config, alert, "upgrade", previous_grade=previous)
    notify(session, config, view, key=f"alert:{alert.id}:grade:{alert.grade}",
           to=find_monitor(config.monitors, alert.monitor), now=now)
    log.info("alert grade raised", extra={"alert": alert.id, "from": old.value, "to": alert.grade})
    return True


def evaluate(config: Config, facts: EventFacts) -> tuple[GradeResult, AlertRuleConfig | None]:
    """Grade an event and find the first rule it meets (pure; no database)."""
    graded = grade_event(facts)
    return graded, first_matching_rule(config.alerts.rules, facts, graded.grade)


HOTLIST_RULE = AlertRuleConfig(name="hotlist", min_relevance=0.0)


def raise_hotlist_alerts(session: Session, config: Config, *, now: datetime) -> list[int]:
    """Alert the events of relevant hot-list entries that reached their source's ``alert_rank``.

    Each entry raises its signal once (``hotlist_ranks.alerted_at``), however many polls still
    show it: the event's alert is created, or raised to the source's ``alert_grade``, with the
    reason "上榜 微博热搜 第N位, 在榜M分钟". Returns the ids of alerts created or re-graded.
    """
    hot_sources = [s for s in config.sources if s.kind == "hotlist"]
    signals = hotlist_store.pending_signals(session, {s.name: s.alert_rank for s in hot_sources})
    if not signals:
        return []
    floors = {s.name: s.alert_grade for s in hot_sources}
    by_event: dict[int, list[hotlist_store.HotSignal]] = {}
    for signal in signals:
        by_event.setdefault(signal.event_id, []).append(signal)
    events = list(session.scalars(select(Event).where(Event.id.in_(list(by_event)))))
    facts = alert_store.event_facts(session, events, now=now)
    existing = alert_store.alerts_by_event(session, list(by_event))
    changed: list[int] = []
    for event in events:
        found = by_event[event.id]
        reasons = [s.reason for s in found]
        graded = with_hotlist_floor(grade_event(facts[event.id]), [floors[s.source] for s in found], reasons)
        alert = existing.get(event.id)
        if alert is None:
            created = _create(session, config, event, facts[event.id], graded, HOTLIST_RULE,
                              route(config.monitors, facts[event.id].topics), now)
            if created is not None:
                changed.append(created.id)
            alert = created or alert_store.alerts_by_event(session, [event.id])[event.id]
        if alert.id not in changed:
            if _update(session, config, alert, facts[event.id], graded, now):
                changed.append(alert.id)
            else:  # the grade stands: the alert still says it is on the list
                alert.reasons = [*reasons, *(r for r in alert.reasons if r not in reasons)]
        log.info("hot-list signal", extra={"alert": alert.id, "event": event.id, "reasons": reasons})
        hotlist_store.mark_alerted(session, [s.rank_id for s in found], now=now)
    return changed


def raise_alerts(session: Session, config: Config, event_ids: Iterable[int], *, now: datetime) -> list[int]:
    """Alert the events that meet a rule; returns the ids of alerts created or re-graded."""
    ids = sorted(set(event_ids))
    changed: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk: Sequence[int] = ids[start:start + CHUNK]
        events = list(session.scalars(select(Event).where(Event.id.in_(chunk))))
        facts = alert_store.event_facts(session, events, now=now)
        existing = alert_store.alerts_by_event(session, chunk)
        for event in events:
            graded, rule = evaluate(config, facts[event.id])
            if rule is None:
                continue
            alert = existing.get(event.id)
            if alert is None:
                created = _create(session, config, event, facts[event.id], graded, rule,
                                  route(config.monitors, facts[event.id].topics), now)
                if created is not None:
                    changed.append(created.id)
                    continue
                alert = alert_store.alerts_by_event(session, [event.id])[event.id]
            if _update(session, config, alert, facts[event.id], graded, now):
                changed.append(alert.id)
    return changed
