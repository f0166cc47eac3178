"""Written reports: gather the facts of an alert or a period, keep the report, export it as Word.

`alerts.reports` lays the report out; this module is the only one that reads the database
for it. A report's facts are gathered once, when it is created, and stored with it, so
its versions and exports show the same numbers. The periodic reports count posts with the
digest's own queries (`pipeline.digest`), day by day, so their figures equal the digests'.
"""

from __future__ import annotations

import base64
import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.drafts import DraftContext
from alerts.grades import Grade
from alerts.reports.content import default_sections
from alerts.reports.document import SERIES_NAMES, Approval
from alerts.reports.docx import render_docx
from pipeline.config import Config
from pipeline.db import transaction
from pipeline.digest import (
    EFFECT_WINDOW,
    STATUS_ZH,
    alerts_between,
    category_zh,
    day_bounds,
    effects_between,
    event_window,
    local_text,
    posted_between,
    refutations_between,
    rumours_between,
    sources_between,
    totals_between,
)
from pipeline.exceptions import NotFound, ReportTemplateError
from pipeline.models import Alert, Analysis, Event, HotlistRank, Post, Report, ResponseDraft, Source
from pipeline.store import audit, outbox
from pipeline.store import reports as store
from pipeline.store.drafts import event_context, latest_draft
from pipeline.store.review_actions import ActionRefused

log = logging.getLogger(__name__)

SYSTEM_AUTHOR = "yuqing"
KINDS = ("alert", "weekly", "monthly")
SERIES = {"alert": "special", "weekly": "weekly", "monthly": "monthly"}
HOURLY_SPAN = timedelta(hours=72)  # an event shorter than this is charted by the hour, else by the day
DRAFT_STATUS_ZH = {"draft": "正在起草", "reviewed": "已审核、待签发", "approved": "已审批、待发布"}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def zh_time(config: Config, value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(config.tz)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def zh_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def zh_duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}天"
    if minutes % 60 == 0:
        return f"{minutes // 60}小时"
    return f"{minutes}分钟"


# ---- 舆情专报: one alert ---------------------------------------------------------------------------------------

def _event_series(session: Session, config: Config, event: Event) -> dict[str, Any]:
    """Posts and negative posts of the event per hour (short events) or per local day."""
    when = func.coalesce(Post.published_at, Post.fetched_at)
    rows = session.execute(select(Post.id, when, Analysis.negative).outerjoin(Analysis, Analysis.post_id == Post.id)
                           .where(Post.event_id == event.id).order_by(Post.id, Analysis.id)).all()
    latest: dict[int, tuple[datetime, float]] = {}
    for post_id, at, share in rows:  # the newest analysis of each post wins, as in the digest
        latest[post_id] = (at, share or 0.0)
    if not latest:
        return {"unit": "hour", "labels": [], "posts": [], "negative": []}
    times = [at.astimezone(config.tz) for at, _ in latest.values()]
    hourly = max(times) - min(times) <= HOURLY_SPAN
    if hourly:
        def key(t: datetime) -> datetime:
            return t.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=1)
    else:
        def key(t: datetime) -> datetime:
            return t.replace(hour=0, minute=0, second=0, microsecond=0)
        step = timedelta(days=1)
    buckets: list[datetime] = []
    t = key(min(times))
    while t <= key(max(times)):
        buckets.append(t)
        t += step
    posts = dict.fromkeys(buckets, 0)
    negative = dict.fromkeys(buckets, 0)
    for (_, neg), at in zip(latest.values(), times, strict=True):
        posts[key(at)] += 1
        negative[key(at)] += int(neg > 0.5)
    labels = [f"{b:%H}时" if hourly else f"{b.month}月{b.day}日" for b in buckets]
    if hourly and buckets[0].date() != buckets[-1].date():
        labels = [f"{b.day}日{b:%H}时" for b in buckets]
    return {"unit": "hour" if hourly else "day", "labels": labels, "posts": list(posts.values()),
            "negative": list(negative.values())}


def _response(session: Session, config: Config, alert: Alert) -> dict[str, Any]:
    published = session.scalar(select(func.min(ResponseDraft.published_at))
                               .where(ResponseDraft.alert_id == alert.id, ResponseDraft.published_at.is_not(None)))
    draft = latest_draft(session, alert.id)
    out: dict[str, Any] = {"status": draft.status if draft else None,
                           "status_zh": DRAFT_STATUS_ZH.get(draft.status, draft.status) if draft else "尚未起草",
                           "published_at": zh_time(config, published) if published else None, "effect": None}
    if published is not None:  # 发布效果评估, as the digest measures it
        before = event_window(session, alert.event_id, published - EFFECT_WINDOW, published)
        after = event_window(session, alert.event_id, published, published + EFFECT_WINDOW)
        out["effect"] = {"before_posts": before[0], "before_negative": before[1], "after_posts": after[0],
                         "after_negative": after[1]}
    return out


def _source_counts(session: Session, event_id: int) -> list[list[Any]]:
    rows = session.execute(select(Source.name, func.count(Post.id)).join(Post, Post.source_id == Source.id)
                           .where(Post.event_id == event_id).group_by(Source.name)
                           .order_by(func.count(Post.id).desc(), Source.name)).all()
    return [[name, int(n)] for name, n in rows]


def _hot_ranks(session: Session, event_id: int) -> list[str]:
    """The hot lists the event's posts reached (上榜 微博热搜 第3位, 在榜40分钟), best rank first."""
    from pipeline.store.hotlists import hotlist_reason

    rows = session.scalars(select(HotlistRank).join(Post, Post.url == HotlistRank.url)
                           .where(Post.event_id == event_id).order_by(HotlistRank.peak_rank, HotlistRank.id)
                           .limit(5)).unique()
    return [hotlist_reason(r.label, r.peak_rank, r.minutes) for r in rows]


def alert_facts(session: Session, config: Config, alert: Alert, *, now: datetime,
                previous: Report | None = None) -> dict[str, Any]:
    """Everything a 初报 or 续报 of ``alert`` states, as JSON (figures are the alert's and its event's)."""
    event = alert.event
    ctx: DraftContext = event_context(session, config, event, grade=alert.grade, monitor=alert.monitor,
                                      category=alert.category)
    sources = _source_counts(session, event.id)
    facts: dict[str, Any] = {
        "as_of": zh_time(config, now),
        "followup_every": zh_duration(config.alerts.followup_every),
        "alert": {"id": alert.id, "grade": alert.grade, "grade_zh": Grade(alert.grade).name_zh,
                  "category": alert.category, "category_zh": category_zh(alert.category),
                  "reasons": [str(r) for r in alert.reasons], "status": alert.status,
                  "status_zh": STATUS_ZH.get(alert.status, alert.status), "monitor": alert.monitor,
                  "contact": ctx.contact, "due": zh_time(config, alert.due_at),
                  "next_followup": zh_time(config, alert.next_followup_at) if alert.next_followup_at else None},
        "event": {"id": event.id, "title": event.title or ctx.claim, "topic": ctx.topic_name,
                  "first_seen": zh_time(config, event.first_seen), "last_seen": zh_time(config, event.last_seen),
                  "post_count": event.post_count, "source_count": event.source_count or len(sources),
                  "negative_share": event.negative_share, "rumour_score": event.rumour_score, "heat": event.heat,
                  "burst": event.burst, "sources": sources, "claim": ctx.claim, "urls": list(ctx.urls),
                  "hot_ranks": _hot_ranks(session, event.id)},
        "series": _event_series(session, config, event),
        "response": _response(session, config, alert),
        "previous": None,
    }
    if previous is not None:
        before = previous.facts["event"]
        known = {name for name, _ in before["sources"]}
        facts["previous"] = {
            "at": zh_time(config, previous.created_at),
            "stage": "初报" if previous.followup_no == 0 else f"续报{previous.followup_no}",
            "grade": previous.facts["alert"]["grade"],
            "post_count": before["post_count"],
            "new_posts": max(event.post_count - int(before["post_count"]), 0),
            "new_sources": [name for name, _ in sources if name not in known],
        }
    return facts


def _alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    return alert


def _alert_title(facts: dict[str, Any]) -> str:
    return f"关于“{facts['event']['title'][:40]}”的舆情{'续报' if facts['previous'] else '报告'}"


def initial_report(session: Session, config: Config, alert_id: int, *, author: str, now: datetime) -> Report:
    """The alert's 初报: the one there is, or a new one written from the alert's facts."""
    alert = _alert(session, alert_id)
    existing = store.alert_reports(session, alert_id)
    if existing:
        return existing[0]
    facts = alert_facts(session, config, alert, now=now)
    return store.create_report(session, kind="alert", series="special", year=now.astimezone(config.tz).year,
                               title=_alert_title(facts), facts=facts, sections=default_sections("alert", facts),
                               author=author, now=now, alert_id=alert_id, followup_no=0)


def followup_report(session: Session, config: Config, alert_id: int, *, author: str, now: datetime) -> Report:
    """A new 续报N: what changed since the alert's previous report (an 初报 is written first if none)."""
    alert = _alert(session, alert_id)
    existing = store.alert_reports(session, alert_id)
    if not existing:
        raise ActionRefused("这条预警还没有初报：先生成初报，再写续报")
    previous = existing[-1]
    facts = alert_facts(session, config, alert, now=now, previous=previous)
    return store.create_report(session, kind="alert", series="special", year=now.astimezone(config.tz).year,
                               title=_alert_title(facts), facts=facts, sections=default_sections("alert", facts),
                               author=author, now=now, alert_id=alert_id, followup_no=previous.followup_no + 1)


# ---- 周报 / 月报 ---------------------------------------------------------------------------------------------------

def period_of(kind: str, day: date) -> tuple[date, date]:
    """The week (Monday to Sunday) or calendar month containing ``day``: first and last day."""
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind == "monthly":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    raise ValueError(f"unknown periodic report {kind!r}")


def last_period(kind: str, today: date) -> tuple[date, date]:
    """The last complete week or month before ``today``."""
    start, _ = period_of(kind, today)
    return period_of(kind, start - timedelta(days=1))


def _top_events(session: Session, config: Config, start: datetime, end: datetime) -> list[dict[str, Any]]:
    n = func.count(func.distinct(Post.id)).label("n")
    ranked = session.execute(select(Post.event_id, n).join(Analysis, Analysis.post_id == Post.id)
                             .where(Analysis.is_relevant.is_(True), Post.event_id.is_not(None),
                                    posted_between(start, end))
                             .group_by(Post.event_id).order_by(n.desc(), Post.event_id)
                             .limit(config.digest.top_events)).all()
    ids = [int(eid) for eid, _ in ranked if eid is not None]
    if not ids:
        return []
    events = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(ids)))}
    alerts = {a.event_id: a for a in session.scalars(select(Alert).where(Alert.event_id.in_(ids)))}
    published = dict(session.execute(select(ResponseDraft.event_id, func.min(ResponseDraft.published_at))
                                     .where(ResponseDraft.event_id.in_(ids), ResponseDraft.published_at.is_not(None))
                                     .group_by(ResponseDraft.event_id)).all())
    out = []
    for eid, count in zip(ids, (c for _, c in ranked), strict=True):
        event, alert = events[eid], alerts.get(eid)
        handling = [f"{STATUS_ZH.get(alert.status, alert.status)}" if alert else "未预警"]
        if published.get(eid):
            handling.append(f"已回应（{local_text(config, published[eid])}）")
        out.append({"title": event.title, "category": category_zh(event.category) if event.category else "—",
                    "posts": int(count),
                    "negative_share": event.negative_share, "grade": f"{alert.grade}级" if alert else None,
                    "handling": "，".join(handling)})
    return out


def _source_totals(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    rows = session.execute(select(Source.name, func.count(Post.id)).join(Post, Post.source_id == Source.id)
                           .where(posted_between(start, end)).group_by(Source.name)).all()
    return {name: int(n) for name, n in rows}


def periodic_facts(session: Session, config: Config, kind: str, first: date, last: date) -> dict[str, Any]:
    """The figures of a weekly or monthly report over the local days ``first``..``last``."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    daily: list[dict[str, Any]] = []
    for d in days:  # the digest's own totals, day by day: the report's figures are the digests'
        daily.append({"day": d.isoformat(), "label": f"{d.month}月{d.day}日",
                      **totals_between(session, *day_bounds(config, d))})
    totals = {k: sum(d[k] for d in daily) for k in ("posts", "relevant", "negative", "rumours")}
    start, end = day_bounds(config, first)[0], day_bounds(config, last)[1]
    length = last - first + timedelta(days=1)
    before = (day_bounds(config, first - length)[0], start)
    alerts = alerts_between(session, config, start, end)
    return {
        "period": {"first": first.isoformat(), "last": last.isoformat(),
                   "label": f"{zh_date(first)}至{zh_date(last)}"},
        "days": daily, "totals": totals, "previous_totals": totals_between(session, *before),
        "alerts": {"new": sum(1 for a in alerts if a["new"]),
                   "closed": sum(1 for a in alerts if a["status"] == "closed"),
                   "overdue": sum(1 for a in alerts if a["overdue"])},
        "top_events": _top_events(session, config, start, end),
        "rumours": rumours_between(session, config, start, end, refutations_between(session, start, end)),
        "effects": effects_between(session, config, start, end),
        "sources": sources_between(session, config, _source_totals(session, start, end), start, end),
    }


def periodic_report(session: Session, config: Config, kind: str, day: date, *, author: str,
                    now: datetime) -> Report:
    """The weekly or monthly report of the period containing ``day``: the one there is, or a new one.

    A report written before its period ended is written again from fresh figures as long as
    nobody has touched it (version 1, not submitted): the scheduled mail after the period must
    not send a mid-week snapshot. Once someone edited or submitted it, its figures stay.
    """
    first, last = period_of(kind, day)
    existing = store.period_report(session, kind, first)
    _, period_end = day_bounds(config, last)
    if existing is not None and not (existing.created_at < period_end and existing.version == 1
                                     and existing.status == "draft" and not store.submitted(session, existing)):
        return existing
    facts = periodic_facts(session, config, kind, first, last)
    if existing is not None:
        return store.refresh_report(session, existing, facts=facts, sections=default_sections(kind, facts),
                                    actor=author, now=now)
    name = SERIES_NAMES[SERIES[kind]]  # 舆情周报 → 周报
    title = f"{config.reports.unit}{facts['period']['label']}网络舆情{name[2:]}"
    return store.create_report(session, kind=kind, series=SERIES[kind], year=first.year, title=title, facts=facts,
                               sections=default_sections(kind, facts), author=author, now=now, period=(first, last))


# ---- export ---------------------------------------------------------------------------------------------------

def report_filename(report: Report) -> str:
    stage = "" if report.kind != "alert" else ("-初报" if report.followup_no == 0 else f"-续报{report.followup_no}")
    return f"{SERIES_NAMES[report.series]}-{report.year}-第{report.issue_no}期{stage}.docx"


def render_report(config: Config, report: Report) -> bytes:
    """The report's current version as a Word file (草稿 watermark unless approved)."""
    from alerts.reports.content import build_document

    approval = (Approval(reviewer=report.reviewer, approver=report.approver,
                         approved_at=zh_time(config, report.approved_at))
                if report.status == "approved" and report.approver else None)
    document = build_document(
        kind=report.kind, series=report.series, issue_no=report.issue_no, year=report.year,
        unit=config.reports.unit, date_text=zh_date(report.created_at.astimezone(config.tz).date()), title=report.title,
        facts=report.facts, sections=report.sections, followup_no=report.followup_no, approval=approval,
        version=report.version)
    template = config.path(config.reports.template) if config.reports.template else None
    if template is not None and not template.is_file():
        raise ReportTemplateError(f"reports.template: {template} does not exist")
    try:
        return render_docx(document, template=template)
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        if template is None:
            raise
        raise ReportTemplateError(f"reports.template: {template} is not a usable Word file ({exc})") from None


def export_report(session: Session, config: Config, report: Report, *, actor: str | None) -> bytes:
    """Render the report and record who exported which version."""
    data = render_report(config, report)
    audit.record(session, actor, "export", "report", report.id, version=report.version, status=report.status)
    return data


def attachment(name: str, data: bytes) -> dict[str, str]:
    """A mail attachment as the outbox stores it."""
    return {"filename": name, "content_type": DOCX_TYPE, "data": base64.b64encode(data).decode()}


@dataclass
class PeriodicMailReport:
    kind: str
    first: str
    report_id: int
    queued: int


def send_periodic_report(factory: sessionmaker[Session], config: Config, kind: str, *,
                         now: datetime) -> PeriodicMailReport:
    """The scheduled job: write the last week's or month's report and queue it to ``reports.recipients``."""
    first, _ = last_period(kind, now.astimezone(config.tz).date())
    recipients = config.reports.recipients if config.reports.recipients is not None else config.digest.recipients
    with transaction(factory) as session:
        report = periodic_report(session, config, kind, first, author=SYSTEM_AUTHOR, now=now)
        data = export_report(session, config, report, actor=SYSTEM_AUTHOR)
        files = [attachment(report_filename(report), data)]
        subject = f"【{SERIES_NAMES[report.series]}】{report.title}"
        text = (f"{report.title}（{report.year}年第{report.issue_no}期）见附件。"
                + ("" if report.status == "approved" else "本期报告尚未审批，附件为草稿。"))
        queued = 0
        for to in recipients:
            queued += int(outbox.enqueue(session, key=f"report:{kind}:{first.isoformat()}:{to}", channel="email",
                                         recipient=to, subject=subject,
                                         payload={"text": text, "attachments": files}, now=now))
    log.info("periodic report queued", extra={"kind": kind, "first": str(first), "queued": queued})
    return PeriodicMailReport(kind=kind, first=first.isoformat(), report_id=report.id, queued=queued)
