"""试运行专题: how many posts a topic expression would have matched per day, with a sample.

Analysts try a rule on history before it goes into ``topics`` in the config. The counts are
over every stored post (not only the flagged ones) published in the last ``days`` local days,
matched in the database as the inbox search matches (`pipeline.store.search`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Post
from pipeline.store.inbox import InboxFilter, InboxRow, inbox_page
from pipeline.store.search import parse_query, search_condition

TRIAL_DAYS = 30
SAMPLE = 20


@dataclass(frozen=True)
class TrialRun:
    expression: str
    days: list[tuple[date, int]]  # oldest first, every day of the window
    total: int
    sample: list[InboxRow]  # the newest matches, with their highlights

    @property
    def busiest(self) -> int:
        return max((n for _, n in self.days), default=0)


def trial_run(session: Session, expression: str, *, today: date, tz: ZoneInfo, days: int = TRIAL_DAYS,
              sample: int = SAMPLE) -> TrialRun:
    """Matches of ``expression`` per local day over ``days`` days up to ``today``; raises
    `RuleSyntaxError` (a ValueError) for a bad expression."""
    query = parse_query(expression)
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
    stmt = select(Post.published_at).where(Post.published_at >= start, Post.published_at < end,
                                           search_condition(session, query))
    per_day = Counter(when.astimezone(tz).date() for when in session.scalars(stmt) if when is not None)
    window = [(first + timedelta(days=n), per_day.get(first + timedelta(days=n), 0)) for n in range(days)]
    page = inbox_page(session, InboxFilter(q=expression, scope="all", since=first, until=today, per_page=sample), tz)
    return TrialRun(expression=query.expression, days=window, total=sum(per_day.values()), sample=page.rows)
