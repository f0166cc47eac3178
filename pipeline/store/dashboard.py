"""Figures for the dashboard: volume and trend, top events, open and overdue alerts, rule precision."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from pipeline.models import Alert, Event, Label, Post
from pipeline.store.alerts import most_urgent_first


@dataclass(frozen=True)
class DayVolume:
    day: date
    posts: int


@dataclass(frozen=True)
class RulePrecision:
    """How many alerts a rule raised and how analysts judged them (latest verdict per alert)."""

    rule: str
    alerts: int
    confirmed: int
    false_positive: int

    @property
    def judged(self) -> int:
        return self.confirmed + self.false_positive

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.judged if self.judged else None


def volume_by_day(session: Session, tz: ZoneInfo, now: datetime, days: int = 14) -> list[DayVolume]:
    """Posts collected per local day for the last ``days`` days (today last), in one scan."""
    today = now.astimezone(tz).date()
    starts = [datetime.combine(today - timedelta(days=n), time(0), tzinfo=tz) for n in range(days - 1, -1, -1)]
    bounds = [*starts, starts[-1] + timedelta(days=1)]
    columns = [func.sum(case((and_(Post.fetched_at >= lo, Post.fetched_at < hi), 1), else_=0))
               for lo, hi in pairwise(bounds)]
    row = session.execute(select(*columns).where(Post.fetched_at >= bounds[0], Post.fetched_at < bounds[-1])).one()
    return [DayVolume(start.date(), int(n or 0)) for start, n in zip(starts, row, strict=True)]


def top_events(session: Session, now: datetime, *, days: int = 3, limit: int = 10) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.last_seen >= now - timedelta(days=days))
                                .order_by(Event.heat.desc(), Event.post_count.desc()).limit(limit)))


def open_alerts(session: Session, *, limit: int = 100) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.status != "closed")
                                .order_by(*most_urgent_first()).limit(limit)))


def is_overdue(alert: Alert, now: datetime) -> bool:
    """Not acknowledged and past its reporting deadline."""
    return alert.status == "new" and alert.due_at < now


def rule_precision(session: Session) -> list[RulePrecision]:
    raised = {rule: n for rule, n in session.execute(select(Alert.rule, func.count()).group_by(Alert.rule))}
    verdicts = session.execute(
        select(Alert.rule, Label.alert_id, Label.value).join(Alert, Alert.id == Label.alert_id)
        .where(Label.field == "verdict").order_by(Label.id))
    latest: dict[int, tuple[str, str]] = {}
    for rule, alert_id, value in verdicts:
        if alert_id is None:
            continue
        latest[alert_id] = (rule, value)
    judged: dict[str, dict[str, int]] = defaultdict(lambda: {"confirmed": 0, "false_positive": 0})
    for rule, value in latest.values():
        if value in ("confirmed", "false_positive"):
            judged[rule][value] += 1
    return [RulePrecision(rule, int(n), judged[rule]["confirmed"], judged[rule]["false_positive"])
            for rule, n in sorted(raised.items())]
