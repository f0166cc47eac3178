"""Gather one day's data for the digest (SQL, pandas) and hand it to ``alerts.digest``.

The day is a calendar day in the configured time zone. Only that day's posts are loaded
into pandas (one row per post with its latest analysis); the previous day's totals and
the 7-day trend are SQL aggregates, so a day of 100,000 posts builds in seconds.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.digest.build import NEGATIVE_CUTOFF, DigestInput, build_digest_content
from nlp.categories import CATEGORY_NAMES_ZH, Category
from nlp.refutation import CLARIFICATION, REFUTATION_MAX_RUMOUR, answers, refutes_rumour
from pipeline.config import Config
from pipeline.db import transaction
from pipeline.models import Alert, Analysis, CrawlRun, Event, Post, ResponseDraft, Source, utcnow
from pipeline.store import outbox
from pipeline.store.alerts import most_urgent_first
from pipeline.store.digests import save_digest

log = logging.getLogger(__name__)

STATUS_ZH = {"new": "待确认", "acknowledged": "已确认", "responding": "处置中", "closed": "已办结"}
EFFECT_WINDOW = timedelta(hours=24)


@dataclass
class DigestResult:
    day: date
    subject: str
    html: str
    text: str
    stats: dict[str, Any]
    images: dict[str, bytes] = field(default_factory=dict)

    def standalone_html(self) -> str:
        """The HTML with its chart embedded as a data: URI (for --out files and browsers)."""
        html = self.html
        for cid, data in self.images.items():
            html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(data).decode())
        return html


@dataclass
class DigestReport:
    day: str
    archived: bool
    queued: int


def day_bounds(config: Config, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where the local calendar day ``day`` starts and ends."""
    start = datetime.combine(day, time(0), tzinfo=config.tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=config.tz)


def posted_between(start: datetime, end: datetime) -> Any:
    """Posts of [start, end): by publication time, or fetch time when the page showed none."""
    return or_(and_(Post.published_at >= start, Post.published_at < end),
               and_(Post.published_at.is_(None), Post.fetched_at >= start, Post.fetched_at < end))


@dataclass(frozen=True)
class Refutation:
    """A relevant post that refutes a rumour (see nlp.refutation): a clarification, not a rumour."""

    post_id: int
    event_id: int | None
    text: str
    at: datetime


def refutations_between(session: Session, start: datetime, end: datetime) -> list[Refutation]:
    """Posts of [start, end) in the rumour category that refute a rumour rather than spread one.
    Only rumour-category posts the rumour model scores low are read, so this stays a small query."""
    when = func.coalesce(Post.published_at, Post.fetched_at)
    rows = session.execute(
        select(Post.id, Post.event_id, Post.title, Post.text, when, Analysis.rumour)
        .join(Analysis, Analysis.post_id == Post.id)
        .where(posted_between(start, end), Analysis.is_relevant.is_(True), Analysis.category == Category.RUMOUR.value,
               Analysis.rumour < REFUTATION_MAX_RUMOUR)).all()
    out = {}
    for post_id, event_id, title, text, at, rumour in rows:
        body = f"{title or ''} {text or ''}"
        if refutes_rumour(body, float(rumour or 0.0)):
            out[post_id] = Refutation(post_id, event_id, body, at)
    return list(out.values())


def _day_posts(session: Session, start: datetime, end: datetime,
               refutations: Sequence[Refutation] = ()) -> pd.DataFrame:
    stmt = (select(Post.id.label("post_id"), Post.event_id, Source.name.label("source"), Analysis.id.label("aid"),
                   Analysis.is_relevant, Analysis.negative, Analysis.rumour, Analysis.category, Analysis.topics)
            .join(Source, Source.id == Post.source_id).outerjoin(Analysis, Analysis.post_id == Post.id)
            .where(posted_between(start, end)))
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["post_id", "event_id", "source", "aid", "is_relevant", "negative", "rumour",
                                        "category", "topics"])
    if frame["aid"].duplicated().any() or frame["post_id"].duplicated().any():
        frame = frame.sort_values("aid", na_position="first").drop_duplicates("post_id", keep="last")
    frame["is_relevant"] = frame["is_relevant"].fillna(False).astype(bool)
    frame[["negative", "rumour"]] = frame[["negative", "rumour"]].fillna(0.0).astype(float)
    frame["category"] = frame["category"].fillna(Category.OTHER.value)
    refuting = {r.post_id for r in refutations}
    frame.loc[frame["post_id"].isin(refuting), "category"] = CLARIFICATION  # a 辟谣 is not a rumour
    return frame.drop(columns=["aid"])


def totals_between(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    relevant = Analysis.is_relevant.is_(True)
    distinct_where = lambda cond: func.count(func.distinct(case((cond, Post.id))))  # noqa: E731
    row = session.execute(
        select(func.count(func.distinct(Post.id)), distinct_where(relevant),
               distinct_where(and_(relevant, Analysis.negative > NEGATIVE_CUTOFF)),
               distinct_where(and_(relevant, Analysis.category == Category.RUMOUR.value)))
        .outerjoin(Analysis, Analysis.post_id == Post.id).where(posted_between(start, end))).one()
    # 疑似谣言: the one definition (alerts.digest.build.SUSPECTED_RUMOURS): relevant, rumour category, not a 辟谣
    rumours = int(row[3]) - len(refutations_between(session, start, end))
    return {"posts": int(row[0]), "relevant": int(row[1]), "negative": int(row[2]), "rumours": rumours}


def _trend(session: Session, config: Config, day: date) -> pd.DataFrame:
    days = [day - timedelta(days=6 - i) for i in range(7)]
    rows = []
    for d in days:
        t = totals_between(session, *day_bounds(config, d))
        rows.append({"day": d, "posts": t["posts"], "relevant": t["relevant"], "negative": t["negative"]})
    return pd.DataFrame(rows).set_index("day")


def _events(session: Session, config: Config, event_ids: list[int], day: date) -> tuple[pd.DataFrame,
                                                                                       dict[int, list[int]]]:
    if not event_ids:
        return pd.DataFrame(columns=["event_id", "title", "category", "heat", "negative_share"]), {}
    rows = session.execute(select(Event.id, Event.title, Event.category, Event.heat, Event.negative_share)
                           .where(Event.id.in_(event_ids))).all()
    events = pd.DataFrame(rows, columns=["event_id", "title", "category", "heat", "negative_share"])
    week_start, _ = day_bounds(config, day - timedelta(days=6))
    _, end = day_bounds(config, day)
    when = func.coalesce(Post.published_at, Post.fetched_at)
    times = pd.DataFrame(session.execute(
        select(Post.event_id, Post.id, when).join(Analysis, Analysis.post_id == Post.id)
        .where(Post.event_id.in_(event_ids), Analysis.is_relevant.is_(True), posted_between(week_start, end))).all(),
        columns=["event_id", "post_id", "at"]).drop_duplicates("post_id")
    trend: dict[int, list[int]] = {}
    days = [day - timedelta(days=6 - i) for i in range(7)]
    if len(times):
        at = pd.to_datetime(times["at"], utc=True).dt.tz_convert(config.timezone).dt.date
        counts = times.assign(d=at).groupby(["event_id", "d"]).size()
        for eid in event_ids:
            trend[eid] = [int(counts.get((eid, d), 0)) for d in days]
    return events, trend


def local_text(config: Config, value: datetime | None) -> str:
    return value.astimezone(config.tz).strftime("%m-%d %H:%M") if value else "—"


def category_zh(value: str) -> str:
    try:
        return CATEGORY_NAMES_ZH[Category(value)]
    except ValueError:
        return value


def alerts_between(session: Session, config: Config, start: datetime, end: datetime) -> list[dict[str, Any]]:
    stmt = (select(Alert, Event.title).join(Event, Event.id == Alert.event_id)
                         .where(Alert.created_at < end,
                                or_(Alert.status != "closed", Alert.closed_at >= start, Alert.created_at >= start))
                         .order_by(*most_urgent_first()))
    rows = []
    as_of = min(end, utcnow())  # today's digest counts as overdue only what is overdue now
    for alert, title in session.execute(stmt):
        overdue = alert.status == "new" and alert.acknowledged_at is None and alert.due_at < as_of
        rows.append({"id": alert.id, "grade": alert.grade, "category": category_zh(alert.category), "title": title,
                     "monitor": alert.monitor, "status": alert.status,
                     "status_zh": STATUS_ZH.get(alert.status, alert.status), "due": local_text(config, alert.due_at),
                     "new": alert.created_at >= start, "overdue": overdue})
    return rows


def _answers(session: Session, event_ids: list[int]) -> dict[int, datetime]:
    """When each event's first response was published (approved and released)."""
    if not event_ids:
        return {}
    rows = session.execute(select(ResponseDraft.event_id, func.min(ResponseDraft.published_at))
                           .where(ResponseDraft.event_id.in_(event_ids), ResponseDraft.published_at.is_not(None))
                           .group_by(ResponseDraft.event_id)).all()
    return {int(eid): at for eid, at in rows if eid is not None and at is not None}


def rumours_between(session: Session, config: Config, start: datetime, end: datetime,
             refutations: list[Refutation]) -> list[dict[str, Any]]:
    """The day's rumour events with their answer: a published response, else a 辟谣 post that quotes
    the rumour. Events made only of 辟谣 posts are clarifications, not rumours awaiting a response."""
    rows = session.execute(select(Event.id, Event.title, Event.post_count, Event.first_seen)
                           .where(Event.category == Category.RUMOUR.value, Event.last_seen >= start,
                                  Event.first_seen < end)
                           .order_by(Event.post_count.desc()).limit(50)).all()
    refuting_events = Counter(r.event_id for r in refutations if r.event_id is not None)
    rows = [r for r in rows if refuting_events.get(r[0], 0) < r[2]]  # not every post of it a 辟谣
    answered = _answers(session, [r[0] for r in rows])
    out = []
    for eid, title, posts, first in rows:
        # a 辟谣 post in the rumour's own event (story linking put it there) or one that quotes the rumour
        clarified = min((r.at for r in refutations if r.event_id == eid or answers(title, r.text)), default=None)
        answer = ("已回应", answered[eid]) if eid in answered else ("已有辟谣报道", clarified) if clarified else None
        out.append({"title": title, "posts": posts, "first_seen": local_text(config, first),
                    "answered": answer is not None, "answer": answer[0] if answer else "",
                    "answered_at": local_text(config, answer[1] if answer else None)})
    return out


def event_window(session: Session, event_id: int, start: datetime, end: datetime) -> tuple[int, float]:
    when = func.coalesce(Post.published_at, Post.fetched_at)
    row = session.execute(select(func.count(func.distinct(Post.id)),
                                 func.count(func.distinct(case((Analysis.negative > NEGATIVE_CUTOFF, Post.id)))))
                          .outerjoin(Analysis, Analysis.post_id == Post.id)
                          .where(Post.event_id == event_id, when >= start, when < end)).one()
    posts, negative = int(row[0]), int(row[1])
    return posts, (negative / posts if posts else 0.0)


def effects_between(session: Session, config: Config, since: datetime, end: datetime) -> list[dict[str, Any]]:
    """发布效果评估 of the responses published in [since, end): volume and negative share 24 h before and after."""
    rows = session.execute(select(ResponseDraft.event_id, ResponseDraft.published_at, Event.title)
                           .join(Event, Event.id == ResponseDraft.event_id)
                           .where(ResponseDraft.published_at >= since,
                                  ResponseDraft.published_at < end)
                           .order_by(ResponseDraft.published_at)).all()
    out = []
    for event_id, published, title in rows:
        if event_id is None or published is None:
            continue
        before = event_window(session, event_id, published - EFFECT_WINDOW, published)
        after = event_window(session, event_id, published, min(published + EFFECT_WINDOW, end))
        out.append({"title": title, "published": local_text(config, published), "before_posts": before[0],
                    "before_negative": before[1], "after_posts": after[0], "after_negative": after[1]})
    return out


def sources_between(session: Session, config: Config, counts: dict[str, int], start: datetime,
                    end: datetime) -> list[dict[str, Any]]:
    """Each source's health over [start, end), with ``counts`` (posts per source name) in that range."""
    known = {s.name: s for s in session.scalars(select(Source))}
    failed_runs = dict(session.execute(
        select(Source.name, func.count()).join(CrawlRun, CrawlRun.source_id == Source.id)
        .where(CrawlRun.started_at >= start, CrawlRun.started_at < end, CrawlRun.status.in_(("failed", "timeout")))
        .group_by(Source.name)).all())
    enabled = [s.name for s in config.sources if s.enabled]
    disabled = {s.name for s in config.sources if not s.enabled}  # listed if it has data; never "silent"
    names = enabled + sorted(n for n in known if n not in enabled)
    out = []
    for name in names:
        row = known.get(name)
        failed = bool(failed_runs.get(name)) or (row is not None and not row.healthy)
        note = (row.health_note if row is not None and row.health_note else
                (f"{failed_runs[name]} 次采集失败" if failed_runs.get(name) else None))
        out.append({"name": name, "posts": int(counts.get(name, 0)), "failed": failed,
                    "silent": not failed and not counts.get(name) and name not in disabled, "note": note})
    return out


def _source_counts(posts: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in posts["source"].value_counts().items()} if len(posts) else {}


def _hotlists(session: Session, config: Config, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Relevant entries on a hot list during the day (热搜上榜), best rank first."""
    from pipeline.store.hotlists import hotlist_reason, relevant_entries_between

    return [{"label": row.label, "title": title or row.title, "peak_rank": row.peak_rank,
             "minutes": round(row.minutes), "first_seen": local_text(config, row.first_seen),
             "left": local_text(config, row.left_at) if row.left_at else None,
             "reason": hotlist_reason(row.label, row.peak_rank, row.minutes)}
            for row, title in relevant_entries_between(session, start, end)]


def build_digest(session: Session, config: Config, day: date) -> DigestResult:
    """The digest of local calendar day ``day``: subject, HTML, plain text, figures and chart."""
    start, end = day_bounds(config, day)
    refutations = refutations_between(session, start, end)
    posts = _day_posts(session, start, end, refutations)
    event_ids = [int(e) for e in posts.loc[posts["is_relevant"], "event_id"].dropna().unique()]
    by_event = posts[posts["is_relevant"]].dropna(subset=["event_id"]).groupby("event_id").size()
    top_ids = [int(e) for e in by_event.sort_values(ascending=False).head(config.digest.top_events).index]
    events, event_trend = _events(session, config, top_ids, day)
    if len(events):  # an event made only of 辟谣 posts is a clarification, not a rumour
        refuting = Counter(r.event_id for r in refutations if r.event_id is not None)
        sizes = posts.dropna(subset=["event_id"]).groupby("event_id").size()
        clarifying = [e for e, n in refuting.items() if n >= int(sizes.get(e, 0)) and e in set(events["event_id"])]
        events.loc[events["event_id"].isin(clarifying), "category"] = CLARIFICATION
    log.debug("digest data loaded", extra={"day": str(day), "posts": len(posts), "events": len(event_ids)})
    content = build_digest_content(DigestInput(
        day=day, posts=posts, previous=totals_between(session, *day_bounds(config, day - timedelta(days=1))),
        trend=_trend(session, config, day), events=events, event_trend=event_trend,
        alerts=alerts_between(session, config, start, end),
        rumours=rumours_between(session, config, start, end, refutations),
        effects=effects_between(session, config, start - timedelta(days=6), end),
        sources=sources_between(session, config, _source_counts(posts), start, end),
        hotlists=_hotlists(session, config, start, end),
        topic_labels={t.name: t.label for t in config.topics}, top_events=config.digest.top_events,
        review_url=config.review.base_url.rstrip("/") if config.review.base_url else None))
    return DigestResult(day=day, subject=content.subject, html=content.html, text=content.text,
                        stats=content.stats, images=content.images)


def archive_digest(session: Session, result: DigestResult, *, now: datetime) -> None:
    # the archive keeps the chart inside the page (the mail's cid: image exists only in the mail)
    save_digest(session, day=result.day, subject=result.subject, html=result.standalone_html(), text=result.text,
                stats=result.stats, now=now)


def enqueue_digest(session: Session, config: Config, result: DigestResult, *, now: datetime,
                   recipients: list[str] | None = None) -> int:
    """Queue the digest mail for each recipient (once per day and recipient); returns rows written."""
    images = {cid: base64.b64encode(data).decode() for cid, data in result.images.items()}
    written = 0
    for to in recipients if recipients is not None else config.digest.recipients:
        written += int(outbox.enqueue(session, key=f"digest:{result.day.isoformat()}:{to}", channel="email",
                                      recipient=to, subject=result.subject,
                                      payload={"text": result.text, "html": result.html, "images": images},
                                      now=now))
    return written


def publish_digest(session: Session, config: Config, day: date, *, now: datetime,
                   send: bool) -> tuple[DigestResult, int]:
    """Build a day's digest, archive it (if ``digest.archive``) and, with ``send``, queue its
    mails; returns the digest and how many mails were newly queued."""
    result = build_digest(session, config, day)
    if config.digest.archive:
        archive_digest(session, result, now=now)
    queued = enqueue_digest(session, config, result, now=now) if send else 0
    return result, queued


def send_daily_digest(factory: sessionmaker[Session], config: Config, *, now: datetime) -> DigestReport:
    """The scheduled job: build yesterday's digest (local time), archive it and queue its mails."""
    day = now.astimezone(config.tz).date() - timedelta(days=1)
    with transaction(factory) as session:
        _, queued = publish_digest(session, config, day, now=now, send=True)
    log.info("digest built", extra={"day": str(day), "queued": queued})
    return DigestReport(day=day.isoformat(), archived=config.digest.archive, queued=queued)
