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

from sqlalchemy import ColumnElement, FromClause, Select, and_, cast, exists, func, or_, select, text
from sqlalchemy import String as SqlString
from sqlalchemy.orm import Session

from pipeline.models import Alert, Analysis, Post, Source
from pipeline.store.search import SHORT_QUERY_DAYS, Highlight, highlights, parse_query, search_condition

SORTS = ("time", "time_asc", "relevance", "rumour", "negative", "grade")
NO_ALERT = "none"
FACETS = ("category", "grade", "status", "source")
# 仅相关: posts flagged relevant; 全部信息: every stored post; 待确认: where a label helps the models
# most (relevance within UNCERTAIN_BAND of the threshold, or the topic rules and the model disagree)
SCOPES = ("flagged", "all", "uncertain")
UNCERTAIN_BAND = 0.2
MAX_PER_PAGE = 200
EXCERPT_CHARS = 300  # of each post's text on an inbox page (exports get all of it)
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
    q: str | None = None  # a search expression in the topic-rule language (pipeline.store.search)
    sort: str = "time"
    page: int = 1
    per_page: int = 50
    scope: str = "flagged"
    threshold: float = 0.5  # the config's relevance threshold (for scope "uncertain")
    narrowed: bool = False  # ``since`` was moved up because ``q`` cannot use the search index

    def normalised(self) -> InboxFilter:
        def clean(value: str | None) -> str | None:
            value = (value or "").strip()
            return value or None

        return replace(
            self, topic=clean(self.topic), category=clean(self.category), grade=clean(self.grade),
            status=clean(self.status), source=clean(self.source), q=clean(self.q),
            sort=self.sort if self.sort in SORTS else "time", page=max(1, self.page),
            per_page=min(max(1, self.per_page), MAX_PER_PAGE), scope=self.scope if self.scope in SCOPES else "flagged",
        )

    def bounded(self, today: date) -> InboxFilter:
        """This filter with its cost bounded: an expression the search index cannot answer (a
        term of one or two characters, NOT alone) looks at the last `SHORT_QUERY_DAYS` days of
        the chosen dates only. A syntax error is left for the search to report."""
        if not self.q:
            return self
        try:
            indexed = parse_query(self.q).indexed
        except ValueError:
            return self
        first = (self.until or today) - timedelta(days=SHORT_QUERY_DAYS - 1)
        if indexed or (self.since is not None and self.since >= first):
            return self
        return replace(self, since=first, narrowed=True)

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
    thread_url: str | None = None
    floor: int | None = None
    marks: tuple[Highlight, ...] = ()  # where the search terms occur (offsets into title and text)


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


_ANALYSIS_COLUMNS = ("id", "post_id", "relevance", "is_relevant", "rumour", "negative", "sentiment", "category",
                     "topics")


def _plain_plan(session: Session) -> None:
    """PostgreSQL prices the per-post LATERAL probes high enough to trigger JIT compilation,
    which costs more (15–100 ms) than the small query it compiles; off for this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _latest_analysis(dialect: str) -> tuple[FromClause, list[ColumnElement[bool]]]:
    """The newest analysis of each post, as a FROM item and the terms that select it.

    PostgreSQL: a LATERAL subquery (one index probe per post, ``ORDER BY id DESC LIMIT 1``),
    so the planner walks the posts of the date window instead of hash-joining every flagged
    analysis. SQLite has no LATERAL; its nested-loop planner does well with NOT EXISTS newer.
    """
    table = Analysis.__table__
    if dialect == "postgresql":
        wanted = [table.c[name] for name in _ANALYSIS_COLUMNS]
        latest = (select(*wanted).where(table.c.post_id == Post.id).order_by(table.c.id.desc()).limit(1)
                  .lateral("latest"))
        return latest, []
    newer = table.alias("newer")
    return table, [~exists().where(newer.c.post_id == table.c.post_id, newer.c.id > table.c.id)]


def _day_bounds(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _conditions(f: InboxFilter, tz: ZoneInfo, a: FromClause, search: ColumnElement[bool] | None, *,
                facets: bool = True) -> list[ColumnElement[bool]]:
    """WHERE terms for ``f``; with ``facets=False`` the four facet filters are left out."""
    terms: list[ColumnElement[bool]] = [a.c.is_relevant.is_(True)] if f.scope == "flagged" else []
    if f.scope == "uncertain":
        no_topic = cast(a.c.topics, SqlString) == "[]"
        terms.append(or_(a.c.relevance.between(f.threshold - UNCERTAIN_BAND, f.threshold + UNCERTAIN_BAND),
                         and_(~no_topic, a.c.is_relevant.is_(False)), and_(no_topic, a.c.is_relevant.is_(True))))
    if f.topic:
        # topics is a JSON list of config topic names; names are [A-Za-z0-9_.-] so a quoted
        # substring test is exact, and the value is bound and LIKE-escaped.
        terms.append(cast(a.c.topics, SqlString).like(f'%"{_like_escape(f.topic)}"%', escape="\\"))
    if f.since:
        terms.append(Post.published_at >= _day_bounds(f.since, tz))
    if f.until:
        terms.append(Post.published_at < _day_bounds(f.until + timedelta(days=1), tz))
    if search is not None:
        terms.append(search)
    if facets:
        if f.category:
            terms.append(a.c.category == f.category)
        if f.grade:
            terms.append(Alert.grade == f.grade)
        if f.status == NO_ALERT:
            terms.append(Alert.id.is_(None))
        elif f.status:
            terms.append(Alert.status == f.status)
        if f.source:
            terms.append(Source.name == f.source)
    return terms


def _joined(stmt: _Sel, a: FromClause, latest: list[ColumnElement[bool]], scope: str) -> _Sel:
    """Posts with their newest analysis (every post, analysed or not, for scope "all"), source and alert."""
    return (stmt.select_from(Post)
            .join(a, and_(a.c.post_id == Post.id, *latest), isouter=scope == "all")
            .join(Source, Source.id == Post.source_id)
            .outerjoin(Alert, Alert.event_id == Post.event_id))


def _order(sort: str, a: FromClause, f: InboxFilter | None = None) -> list[Any]:
    if f is not None and f.scope == "uncertain" and sort == "time":  # nearest the threshold first
        return [func.abs(a.c.relevance - f.threshold).asc(), Post.published_at.desc().nulls_last()]
    orders: dict[str, list[Any]] = {
        "time": [Post.published_at.desc().nulls_last()],
        "time_asc": [Post.published_at.asc().nulls_last()],
        "relevance": [a.c.relevance.desc()],
        "rumour": [a.c.rumour.desc()],
        "negative": [a.c.negative.desc()],
        "grade": [Alert.grade.asc().nulls_last(), Post.published_at.desc().nulls_last()],
    }
    return [*orders[sort], Post.id.desc()]


def _row_columns(a: FromClause, text_chars: int | None = None) -> tuple[Any, ...]:
    """The row's columns; ``text_chars`` cuts the text in SQL (pages show an excerpt, and a
    narrower row keeps PostgreSQL's sort of the date window in memory)."""
    body = func.substr(Post.text, 1, text_chars) if text_chars else Post.text
    return (Post.id, Post.title, body, Post.url, Source.name, Post.author, Post.published_at, Post.event_id,
            a.c.relevance, a.c.rumour, a.c.negative, a.c.sentiment, a.c.category, a.c.topics,
            Alert.id, Alert.grade, Alert.status, Alert.due_at, Post.thread_url, Post.floor)


def _row(values: Sequence[Any]) -> InboxRow:
    (post_id, title, text, url, source, author, published_at, event_id, relevance, rumour, negative,
     sentiment, category, topics, alert_id, grade, status, due_at, thread_url, floor) = values
    return InboxRow(post_id, title or "", text or "", url, source, author, published_at, event_id,
                    float(relevance or 0), float(rumour or 0), float(negative or 0), sentiment or "", category or "",
                    list(topics or []), alert_id, grade, status, due_at, thread_url, floor)


def _search(session: Session, f: InboxFilter) -> ColumnElement[bool] | None:
    """The condition of ``f.q``; raises `RuleSyntaxError` (a ValueError) for a bad expression."""
    return search_condition(session, parse_query(f.q)) if f.q else None


def facet_counts(session: Session, f: InboxFilter, tz: ZoneInfo) -> tuple[int, dict[str, dict[str, int]]]:
    """(total matching ``f``, {facet: {value: count}}) with one grouped query."""
    _plain_plan(session)
    a, latest = _latest_analysis(session.get_bind().dialect.name)
    status_key = func.coalesce(Alert.status, NO_ALERT)
    grouped = select(a.c.category, Alert.grade, status_key, Source.name, func.count())
    stmt = _joined(grouped, a, latest, f.scope)
    stmt = stmt.where(and_(*_conditions(f, tz, a, _search(session, f), facets=False)))
    stmt = stmt.group_by(a.c.category, Alert.grade, status_key, Source.name)
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


def _posts_only(f: InboxFilter) -> bool:
    """Whether ``f`` and its order need nothing but the posts table."""
    return (f.scope == "all" and f.sort in ("time", "time_asc") and not f.topic
            and not any(getattr(f, name) for name in FACETS))


def inbox_page(session: Session, f: InboxFilter, tz: ZoneInfo) -> InboxPage:
    """One page of the inbox with the total and the counts per filter."""
    f = f.normalised()
    total, counts = facet_counts(session, f, tz)
    a, latest = _latest_analysis(session.get_bind().dialect.name)
    # A search shows the text around its first match, which may be anywhere in the text.
    columns = _row_columns(a, None if f.q else EXCERPT_CHARS)
    stmt = _joined(select(*columns), a, latest, f.scope)
    if _posts_only(f):
        # Every condition is on posts: choose the page's posts first, then join the analyses
        # and alerts of those few (not of every post a search matched).
        chosen = (select(Post.id).where(and_(*_conditions(f, tz, a, _search(session, f))))
                  .order_by(*_order(f.sort, a)).limit(f.per_page).offset((f.page - 1) * f.per_page))
        stmt = stmt.where(Post.id.in_(chosen.scalar_subquery())).order_by(*_order(f.sort, a))
    else:
        stmt = stmt.where(and_(*_conditions(f, tz, a, _search(session, f))))
        stmt = stmt.order_by(*_order(f.sort, a, f)).limit(f.per_page).offset((f.page - 1) * f.per_page)
    rows = [_row(values) for values in session.execute(stmt)]
    if f.q:
        query = parse_query(f.q)
        rows = [replace(r, marks=tuple(highlights(query, r.title, r.text))) for r in rows]
    return InboxPage(rows=rows, total=total, page=f.page, per_page=f.per_page, counts=counts)


def inbox_rows(session: Session, f: InboxFilter, tz: ZoneInfo, *, limit: int = 50_000,
               batch: int = 1000) -> Iterator[InboxRow]:
    """Every row matching ``f`` in the inbox order, up to ``limit`` (for exports)."""
    f = f.normalised()
    _plain_plan(session)
    a, latest = _latest_analysis(session.get_bind().dialect.name)
    stmt = (_joined(select(*_row_columns(a)), a, latest, f.scope)
            .where(and_(*_conditions(f, tz, a, _search(session, f)))).order_by(*_order(f.sort, a, f)).limit(limit))
    for values in session.execute(stmt.execution_options(yield_per=batch)):
        yield _row(values)


def inbox_sources(session: Session) -> list[str]:
    """Source names for the filter menu."""
    return list(session.scalars(select(Source.name).order_by(Source.name)))
