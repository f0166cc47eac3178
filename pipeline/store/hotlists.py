"""Hot-list rank history: each poll of a ``kind: hotlist`` source updates one row per entry.

An entry seen for the first time gets ``first_seen``; every later poll that still shows it adds
the time since the previous poll to its minutes on the list and records its rank; a poll that
no longer shows it sets ``left_at``. An entry that comes back continues its row (its minutes
add up, ``left_at`` is cleared). The alert signal (`pipeline.alerting.raise_hotlist_alerts`)
reads the entries that reached the configured rank and have not raised their alert yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Analysis, HotlistRank, Post, Source

HISTORY_LIMIT = 1000  # polls kept per entry (a week at the default 10 minutes)


@dataclass(frozen=True)
class RankedEntry:
    """One entry of a poll, as the store needs it (the URL is the post's canonical URL)."""

    url: str
    title: str
    rank: int
    heat: float | None = None


@dataclass(frozen=True)
class SnapshotResult:
    entered: int
    stayed: int
    left: int


def record_snapshot(session: Session, source_id: int, label: str, entries: Sequence[RankedEntry], *,
                    now: datetime) -> SnapshotResult:
    """Apply one poll of a hot list to its rank history."""
    rows = {r.url: r for r in session.scalars(select(HotlistRank).where(HotlistRank.source_id == source_id))}
    entered = stayed = left = 0
    seen: set[str] = set()
    stamp = now.isoformat()
    for entry in entries:
        if entry.url in seen:
            continue
        seen.add(entry.url)
        row = rows.get(entry.url)
        if row is None:
            session.add(HotlistRank(
                source_id=source_id, url=entry.url, title=entry.title, label=label, first_seen=now, last_seen=now,
                on_list=True, rank=entry.rank, peak_rank=entry.rank, heat=entry.heat, minutes=0.0,
                history=[[stamp, entry.rank]]))
            entered += 1
            continue
        if row.on_list:
            row.minutes = (row.minutes or 0.0) + max((now - row.last_seen).total_seconds(), 0.0) / 60
            stayed += 1
        else:
            entered += 1
        row.on_list, row.left_at, row.last_seen = True, None, now
        row.rank, row.peak_rank = entry.rank, min(row.peak_rank, entry.rank)
        row.title, row.label = entry.title, label
        if entry.heat is not None:
            row.heat = entry.heat
        row.history = [*row.history, [stamp, entry.rank]][-HISTORY_LIMIT:]
    for url, row in rows.items():
        if url not in seen and row.on_list:
            # it was there at the last poll and is gone now: count its time up to that poll
            row.on_list, row.left_at = False, now
            row.history = [*row.history, [stamp, None]][-HISTORY_LIMIT:]
            left += 1
    session.flush()
    return SnapshotResult(entered=entered, stayed=stayed, left=left)


def hotlist_reason(label: str, rank: int, minutes: float) -> str:
    """The words an alert and the digest use: 上榜 微博热搜 第3位, 在榜40分钟."""
    return f"上榜 {label} 第{rank}位, 在榜{round(minutes)}分钟"


@dataclass(frozen=True)
class HotSignal:
    """A relevant entry that reached a source's alert rank and has not raised its alert yet."""

    rank_id: int
    source: str
    label: str
    title: str
    url: str
    peak_rank: int
    minutes: float
    event_id: int

    @property
    def reason(self) -> str:
        return hotlist_reason(self.label, self.peak_rank, self.minutes)


def pending_signals(session: Session, alert_ranks: dict[str, int]) -> list[HotSignal]:
    """Entries of the named hot-list sources at or above their alert rank whose post is analysed,
    relevant and in an event, and that have not alerted yet (``alert_ranks``: source → rank)."""
    if not alert_ranks:
        return []
    rows = session.execute(
        select(HotlistRank, Source.name, Post.event_id)
        .join(Source, Source.id == HotlistRank.source_id)
        .join(Post, Post.url == HotlistRank.url)
        .join(Analysis, Analysis.post_id == Post.id)
        .where(Source.name.in_(list(alert_ranks)), HotlistRank.alerted_at.is_(None),
               Analysis.is_relevant.is_(True), Post.event_id.is_not(None))
        .order_by(HotlistRank.peak_rank, HotlistRank.id)).all()
    out: list[HotSignal] = []
    seen: set[int] = set()
    for row, source, event_id in rows:
        if row.id in seen or row.peak_rank > alert_ranks[source]:
            continue
        seen.add(row.id)
        assert event_id is not None  # the query asks for posts in an event
        out.append(HotSignal(row.id, source, row.label, row.title, row.url, row.peak_rank, row.minutes, event_id))
    return out


def mark_alerted(session: Session, rank_ids: Iterable[int], *, now: datetime) -> None:
    for row in session.scalars(select(HotlistRank).where(HotlistRank.id.in_(list(rank_ids)))):
        row.alerted_at = now


def rank_history(session: Session, url: str) -> list[HotlistRank]:
    """Every hot list a post's URL was on (the item page shows them)."""
    return list(session.scalars(select(HotlistRank).where(HotlistRank.url == url).order_by(HotlistRank.first_seen)))


def relevant_entries_between(session: Session, start: datetime, end: datetime, *, limit: int = 20) -> list[
        tuple[HotlistRank, str]]:
    """Relevant entries that were on a hot list between ``start`` and ``end`` (the digest's 热搜上榜),
    best rank first, with the post's title."""
    rows = session.execute(
        select(HotlistRank, Post.title)
        .join(Post, Post.url == HotlistRank.url)
        .join(Analysis, Analysis.post_id == Post.id)
        .where(Analysis.is_relevant.is_(True), HotlistRank.first_seen < end, HotlistRank.last_seen >= start)
        .order_by(HotlistRank.peak_rank, HotlistRank.first_seen).limit(limit * 2)).all()
    out: list[tuple[HotlistRank, str]] = []
    seen: set[int] = set()
    for row, title in rows:
        if row.id not in seen:
            seen.add(row.id)
            out.append((row, title))
    return out[:limit]
