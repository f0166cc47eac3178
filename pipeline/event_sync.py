"""One event index for every worker: events are assigned in ticket order, and each worker
applies the others' posts to its own index before assigning its batch.

Each worker clusters posts in memory (:class:`nlp.events.EventClusterer`). Alone, a worker that
sees only half the posts would split stories into two events (and raise two alerts). So a batch
takes a ticket from ``event_clock`` inside its write transaction; the ticket's row lock makes
batches assign events one at a time, in ticket order. Holding it, the worker first applies the
posts stamped with earlier tickets that it has not seen (from their stored MinHash signatures: no
re-analysis), then assigns its own batch and stamps those posts with its ticket. Every worker thus
applies the same posts in the same order, and reaches the assignments one worker would have.

A worker's bookmark is ``clusterer.applied_seq``. When it is ``None`` (a new worker, or a batch that
failed after touching the index) the index is rebuilt from the event window's stored posts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np
from sqlalchemy import Row, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from nlp.analyze import Analysis as NlpAnalysis
from nlp.analyze import Analyzer, PostInput
from nlp.dedup import NUM_PERM, signatures
from nlp.tokenize import tokenize
from pipeline.models import EventClock, Post

log = logging.getLogger(__name__)

SIGNATURE_DTYPE = np.dtype("<u4")
# id, minhash, word_count, published_at, fetched_at, thread_url
StoredPost = Row[int, bytes | None, int | None, datetime | None, datetime, str | None]
REPLAY_CHUNK = 20_000  # posts read and applied at a time when catching up or rebuilding


def take_ticket(session: Session) -> int:
    """The next ticket; its row lock is held until this transaction ends."""
    bump = update(EventClock).where(EventClock.id == 1).values(seq=EventClock.seq + 1).returning(EventClock.seq)
    seq = session.execute(bump).scalar()
    if seq is None:  # the clock row is gone (emptied tables): restart after the highest stamp
        start = session.scalar(select(func.coalesce(func.max(Post.event_seq), 0))) or 0
        dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(dialect_insert(EventClock).values(id=1, seq=start).on_conflict_do_nothing())
        seq = session.execute(bump).scalar_one()
    return int(seq)


def sync_index(session: Session, analyzer: Analyzer, ticket: int, *, now: datetime,
               window: timedelta) -> int:
    """Bring the worker's index up to ``ticket - 1`` (call while holding ``ticket``); returns the
    number of posts applied. Rebuilds the whole window when the index has no bookmark."""
    clusterer = analyzer.events
    if clusterer.applied_seq is None:
        analyzer.events = clusterer = clusterer.empty_copy()
        # Posts processed before tickets existed come first, by time, as they were clustered.
        query = (select(Post.id, Post.minhash, Post.word_count, Post.published_at, Post.fetched_at,
                        Post.thread_url)
                 .where(Post.processed_at.is_not(None), Post.fetched_at >= now - window)
                 .order_by(Post.event_seq.is_not(None), Post.event_seq,
                           func.coalesce(Post.published_at, Post.fetched_at), Post.id))
    else:
        query = (select(Post.id, Post.minhash, Post.word_count, Post.published_at, Post.fetched_at,
                        Post.thread_url)
                 .where(Post.event_seq > clusterer.applied_seq, Post.event_seq < ticket)
                 .order_by(Post.event_seq, Post.id))
    applied = 0
    for rows in session.execute(query.execution_options(yield_per=REPLAY_CHUNK)).partitions():
        _apply(session, analyzer, rows)
        applied += len(rows)
    clusterer.applied_seq = ticket - 1
    if applied:
        log.debug("event index caught up", extra={"posts": applied, "ticket": ticket})
    return applied


def _apply(session: Session, analyzer: Analyzer, rows: Sequence[StoredPost]) -> None:
    """Add stored posts to the index; a post without a stored signature is segmented again."""
    missing = [pid for pid, sig, *_ in rows if sig is None]
    computed: dict[int, tuple[np.ndarray, int]] = {}
    if missing:
        texts = dict(session.execute(
            select(Post.id, func.coalesce(Post.title, "") + "\n" + func.coalesce(Post.text, ""))
            .where(Post.id.in_(missing))).tuples().all())
        words = [tokenize(texts.get(pid, "")).content for pid in missing]
        for pid, sig, w in zip(missing, signatures(words), words, strict=True):
            computed[pid] = (sig, len(set(w)))
    ids, sigs, counts, times, threads = [], [], [], [], []
    for pid, blob, word_count, published, fetched, thread in rows:
        if blob is None:
            sig, word_count = computed[pid]
        else:
            sig = np.frombuffer(blob, dtype=SIGNATURE_DTYPE)
        when = published or fetched
        ids.append(pid)
        sigs.append(sig)
        counts.append(int(word_count or 0))
        times.append(when if when.tzinfo else when.replace(tzinfo=UTC))
        threads.append(thread)
    analyzer.events.add_batch(ids, np.stack(sigs).astype(np.uint32, copy=False).reshape(-1, NUM_PERM),
                              counts, times, threads)


def assign_batch(session: Session, analyzer: Analyzer, ticket: int, results: Sequence[NlpAnalysis],
                 inputs: Sequence[PostInput], *, now: datetime) -> None:
    """Assign the batch's events (index already synced) and stamp its posts with the ticket,
    their signatures and word counts; marks them processed."""
    analyzer.assign_events(results, inputs)
    if not results:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # one statement instead of one per post
        conn.exec_driver_sql(
            "UPDATE posts SET processed_at = %s, claimed_by = NULL, claimed_at = NULL, event_seq = %s, "
            "minhash = v.sig, word_count = v.words FROM unnest(%s::bigint[], %s::bytea[], %s::int[]) "
            "AS v(id, sig, words) WHERE posts.id = v.id",
            (now, ticket, [r.post_id for r in results], [_signature_bytes(r) for r in results],
             [r.word_count for r in results]))
        return
    posts = cast(Table, Post.__table__)
    conn.execute(
        update(posts).where(posts.c.id == bindparam("pid")).values(
            processed_at=now, claimed_by=None, claimed_at=None, event_seq=ticket,
            minhash=bindparam("sig"), word_count=bindparam("words")),
        [{"pid": r.post_id, "sig": _signature_bytes(r), "words": r.word_count} for r in results],
    )


def _signature_bytes(result: NlpAnalysis) -> bytes:
    if result.signature is None:
        raise ValueError(f"post {result.post_id}: analysis without a signature")
    return np.asarray(result.signature, dtype=SIGNATURE_DTYPE).tobytes()
