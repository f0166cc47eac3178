"""The analysts' inbox: flagged posts with their latest analysis and their event's alert.

A flagged item is a post whose newest analysis says it is relevant. Filters are plain
values bound as parameters (never pasted into SQL); unknown sort keys fall back to the
default. Counts per filter are *faceted*: the count shown next to a category is what the
inbox would hold if that category were chosen with every other filter kept. All four
facets come from one grouped query over (category, grade, status, source), combined here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, cast, exists, func, or_, select
from sqlalchemy import String as SqlString
from sqlalchemy.orm import Session, aliased

from pipeline.models import Alert, Analysis, Post, Source

SORTS = ("time", "time_asc", "relevance", "rumour", "negative", "grade")
NO_ALERT = "none"
FACETS = ("category", "grade", "status", "source")
MAX_PER_PAGE = 200
_Sel = TypeVar("_Sel", bound=Select)


@dataclass(frozen=True)
class InboxFilter:
    """What the analyst asked for. Empty strings and None mean "any"."""

    topic: str | None = None
    category: str | None = None
    grade: str | None = None
    status: str | None = None  # an alert status, or "none" for items without an alert
    source: str | None = None
    since: date | None = None  # local days (config timezone), inclusive
    until: date | None = None
    q: str | None = None
    sort: str = "time"
    page: int = 1
    per_page: int = 50

    def normalised(self) -> InboxFilter:
        def clean(value: str | None) -> str | None:
            value = (value or "").strip()
            return value or None

        return replace(
            self, topic=clean(self.topic), category=clean(self.category), grade=clean(self.grade),
            status=clean(self.status), source=clean(self.source), q=clean(self.q),
            sort=self.sort if self.sort in SORTS else "time", page=max(1, self.page),
            per_page=min(max(1, self.per_page), MAX_PER_PAGE),
        )

    def without(self, facet: str) -> InboxFilter:
        return replace(self, **{facet: None})  # type: ignore[arg-type]


@dataclass(frozen=True)
class InboxRow:
    post_id: int
    title: str
    text: str
    url: str
    source: str
    author: str | None
    published_at: datetime | None
    event_id: int | None
    relevance: float
    rumour: float
    negative: float
    sentiment: str
    category: str
    topics: list[str]
    alert_id: int | None
    grade: str | None
    status: str | None
    due_at: datetime | None


@dataclass
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    per_page: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _latest_analysis() -> ColumnElement[bool]:
    newer = aliased(Analysis)
    return ~exists().where(newer.post_id == Analysis.post_id, newer.id > Analysis.id)


def _day_bounds(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _conditions(f: InboxFilter, tz: ZoneInfo, *, facets: bool = True) -> list[ColumnElement[bool]]:
    """WHERE terms for ``f``; with ``facets=False`` the four facet filters are left out."""
    terms: list[ColumnElement[bool]] = [Analysis.is_relevant.is_(True), _latest_analysis()]
    if f.topic:
        # topics is a JSON list of config topic names; names are [A-Za-z0-9_.-] so a quoted
        # substring test is exact, and the value is bound and LIKE-escaped.
        terms.append(cast(Analysis.topics, SqlString).like(f'%"{_like_escape(f.topic)}"%', escape="\\"))
    if f.since:
        terms.append(Post.published_at >= _day_bounds(f.since, tz))
    if f.until:
        terms.append(Post.published_at < _day_bounds(f.until + timedelta(days=1), tz))
    if f.q:
        pattern = f"%{_like_escape(f.q)}%"
        terms.append(or_(Post.title.like(pattern, escape="\\"), Post.text.like(pattern, escape="\\")))
    if facets:
        if f.category:
            terms.append(Analysis.category == f.category)
        if f.grade:
            terms.append(Alert.grade == f.grade)
        if f.status == NO_ALERT:
            terms.append(Alert.id.is_(None))
        elif f.status:
            terms.append(Alert.status == f.status)
        if f.source:
            terms.append(Source.name == f.source)
    return terms


def _joined(stmt: _Sel) -> _Sel:
    return (stmt.select_from(Post)
            .join(Analysis, Analysis.post_id == Post.id)
            .join(Source, Source.id == Post.source_id)
            .outerjoin(Alert, Alert.event_id == Post.event_id))


def _order(sort: str) -> list[Any]:
    orders: dict[str, list[Any]] = {
        "time": [Post.published_at.desc().nulls_last()],
        "time_asc": [Post.published_at.asc().nulls_last()],
        "relevance": [Analysis.relevance.desc()],
        "rumour": [Analysis.rumour.desc()],
        "negative": [Analysis.negative.desc()],
        "grade": [Alert.grade.asc().nulls_last(), Post.published_at.desc().nulls_last()],
    }
    return [*orders[sort], Post.id.desc()]


_ROW_COLUMNS = (Post.id, Post.title, Post.text, Post.url, Source.name, Post.author, Post.published_at,
                Post.event_id, Analysis.relevance, Analysis.rumour, Analysis.negative, Analysis.sentiment,
                Analysis.category, Analysis.topics, Alert.id, Alert.grade, Alert.status, Alert.due_at)


def _row(values: Sequence[Any]) -> InboxRow:
    (post_id, title, text, url, source, author, published_at, event_id, relevance, rumour, negative,
     sentiment, category, topics, alert_id, grade, status, due_at) = values
    return InboxRow(post_id, title or "", text or "", url, source, author, published_at, event_id,
                    float(relevance), float(rumour), float(negative), sentiment, category,
                    list(topics or []), alert_id, grade, status, due_at)


def facet_counts(session: Session, f: InboxFilter, tz: ZoneInfo) -> tuple[int, dict[str, dict[str, int]]]:
    """(total matching ``f``, {facet: {value: count}}) with one grouped query."""
    status_key = func.coalesce(Alert.status, NO_ALERT)
    grouped = select(Analysis.category, Alert.grade, status_key, Source.name, func.count())
    stmt = _joined(grouped)
    stmt = stmt.where(and_(*_conditions(f, tz, facets=False)))
    stmt = stmt.group_by(Analysis.category, Alert.grade, status_key, Source.name)
    combos = [(cat, grade, status, source, int(n)) for cat, grade, status, source, n in session.execute(stmt)]
    chosen = {"category": f.category, "grade": f.grade, "status": f.status, "source": f.source}
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    total = 0
    for cat, grade, status, source, n in combos:
        values = {"category": cat, "grade": grade, "status": status, "source": source}
        misses = [name for name in FACETS if chosen[name] and values[name] != chosen[name]]
        if not misses:
            total += n
        for name in FACETS:
            if not [m for m in misses if m != name] and values[name] is not None:
                counts[name][values[name]] += n
    return total, {name: dict(counts[name].most_common()) for name in FACETS}


def inbox_page(session: Session, f: InboxFilter, tz: ZoneInfo) -> InboxPage:
    """One page of the inbox with the total and the counts per filter."""
    f = f.normalised()
    total, counts = facet_counts(session, f, tz)
    stmt = _joined(select(*_ROW_COLUMNS)).where(and_(*_conditions(f, tz)))
    stmt = stmt.order_by(*_order(f.sort)).limit(f.per_page).offset((f.page - 1) * f.per_page)
    rows = [_row(values) for values in session.execute(stmt)]
    return InboxPage(rows=rows, total=total, page=f.page, per_page=f.per_page, counts=counts)


def inbox_rows(session: Session, f: InboxFilter, tz: ZoneInfo, *, limit: int = 50_000,
               batch: int = 1000) -> Iterator[InboxRow]:
    """Every row matching ``f`` in the inbox order, up to ``limit`` (for exports)."""
    f = f.normalised()
    stmt = _joined(select(*_ROW_COLUMNS)).where(and_(*_conditions(f, tz))).order_by(*_order(f.sort)).limit(limit)
    for values in session.execute(stmt.execution_options(yield_per=batch)):
        yield _row(values)


def inbox_sources(session: Session) -> list[str]:
    """Source names for the filter menu."""
    return list(session.scalars(select(Source.name).order_by(Source.name)))
