"""One event index for every worker: events are assigned in ticket order, and each worker
applies the others' posts to its own index before assigning its batch.

Each worker clusters posts in memory (:class:`nlp.events.EventClusterer`). Alone, a worker that
sees only half the posts would split stories into two events (and raise two alerts). So a batch
first runs a short transaction (:func:`assign_in_step`) that takes a ticket from ``event_clock``;
the ticket's row lock makes these transactions run one at a time, in ticket order. Holding it,
the worker applies the posts stamped with earlier tickets that it has not seen (from their stored
MinHash signatures: no re-analysis), assigns its own batch, stamps those posts with its ticket,
creates the events the batch needs and links its posts to them. Every worker thus applies the same
posts in the same order and reaches the assignments one worker would have. Everything else of the
batch (analyses, event statistics, alerts) is stored afterwards, in parallel with other workers.

A post stamped by a batch whose second transaction never committed is redone later: its stamp is
kept and its assignment taken from the index, never made twice. A worker's bookmark is
``clusterer.applied_seq``; when it is ``None`` (a new worker, or a first transaction that failed
after touching the index) the index is rebuilt from the event window's stored posts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np
from sqlalchemy import Row, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from nlp.analyze import Analysis as NlpAnalysis
from nlp.analyze import Analyzer, PostInput
from nlp.dedup import NUM_PERM, signatures
from nlp.stories import TERM_DTYPE, story_terms
from nlp.tokenize import tokenize
from pipeline.db import transaction, upsert_into
from pipeline.events import link_events
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
        session.execute(upsert_into(session, EventClock).values(id=1, seq=start).on_conflict_do_nothing())
        seq = session.execute(bump).scalar_one()
    return int(seq)


def sync_index(session: Session, analyzer: Analyzer, ticket: int, *, now: datetime,
               window: timedelta) -> int:
    """Bring the worker's index up to ``ticket - 1`` (call while holding ``ticket``); returns the
    number of posts applied. Rebuilds the whole window when the index has no bookmark."""
    clusterer = analyzer.events
    stored = select(Post.id, Post.minhash, Post.word_count, Post.published_at, Post.fetched_at, Post.thread_url)
    if clusterer.applied_seq is None:
        analyzer.events = clusterer = clusterer.empty_copy()
        # Posts processed before tickets existed come first, by time, as they were clustered.
        query = (stored.where(or_(Post.event_seq.is_not(None), Post.processed_at.is_not(None)),
                              Post.fetched_at >= now - window)
                 .order_by(Post.event_seq.is_not(None), Post.event_seq,
                           func.coalesce(Post.published_at, Post.fetched_at), Post.id))
    else:
        query = (stored.where(Post.event_seq > clusterer.applied_seq, Post.event_seq < ticket)
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
    computed: dict[int, tuple[np.ndarray, int, np.ndarray]] = {}
    if missing:
        texts = {pid: text for pid, text in session.execute(
            select(Post.id, func.coalesce(Post.title, "") + "\n" + func.coalesce(Post.text, ""))
            .where(Post.id.in_(missing)))}
        words = [tokenize(texts.get(pid, "")).content for pid in missing]
        for pid, sig, w in zip(missing, signatures(words), words, strict=True):
            computed[pid] = (sig, len(set(w)), story_terms(w))
    ids, sigs, counts, times, threads, terms = [], [], [], [], [], []
    for pid, blob, word_count, published, fetched, thread in rows:
        if blob is None:
            sig, word_count, post_terms = computed[pid]
        else:
            sig, post_terms = split_blob(blob)
        when = published or fetched
        ids.append(pid)
        sigs.append(sig)
        counts.append(int(word_count or 0))
        times.append(when if when.tzinfo else when.replace(tzinfo=UTC))
        threads.append(thread)
        terms.append(post_terms)
    analyzer.events.add_batch(ids, np.stack(sigs).astype(np.uint32, copy=False).reshape(-1, NUM_PERM),
                              counts, times, threads, terms)


def assign_in_step(factory: sessionmaker[Session], analyzer: Analyzer, *, worker: str,
                   results: Sequence[NlpAnalysis], inputs: Sequence[PostInput], now: datetime,
                   window: timedelta) -> tuple[list[NlpAnalysis], list[int]]:
    """The batch's first transaction: under a ticket, sync the index, assign and stamp the posts
    still claimed by ``worker``, create and link their events. Returns those posts' results (with
    event keys) and the ids of the events they touched."""
    index_touched = False
    try:
        with transaction(factory) as session:
            ticket = take_ticket(session)  # first: on SQLite the write lock before any read
            mine = select(Post.id, Post.event_seq).where(
                Post.id.in_([r.post_id for r in results]), Post.claimed_by == worker, Post.processed_at.is_(None))
            if session.get_bind().dialect.name == "postgresql":
                mine = mine.with_for_update()  # a worker taking over a stale claim waits for this commit
            stamps = {pid: seq for pid, seq in session.execute(mine)}
            results = [r for r in results if r.post_id in stamps]
            index_touched = True
            sync_index(session, analyzer, ticket, now=now, window=window)
            fresh = [r for r in results if stamps[r.post_id] is None]
            _assign_and_stamp(session, analyzer, ticket, fresh, inputs)
            for result in results:
                if stamps[result.post_id] is not None and (known := analyzer.events.assignment_of(result.post_id)):
                    result.event_key, result.dup_key = known.event_key, known.dup_key
            event_ids = link_events(session, results, inputs, now=now)
    except BaseException:
        if index_touched:  # the index may hold posts this transaction did not commit: rebuild it
            analyzer.events.applied_seq = None
        raise
    analyzer.events.applied_seq = ticket
    return results, event_ids


def _assign_and_stamp(session: Session, analyzer: Analyzer, ticket: int, results: Sequence[NlpAnalysis],
                      inputs: Sequence[PostInput]) -> None:
    """Assign the posts' events (index already synced) and stamp them with the ticket, their
    signatures and word counts."""
    analyzer.assign_events(results, inputs)
    if not results:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # one statement instead of one per post
        conn.exec_driver_sql(
            "UPDATE posts SET event_seq = %s, minhash = v.sig, word_count = v.words "
            "FROM unnest(%s::bigint[], %s::bytea[], %s::int[]) AS v(id, sig, words) WHERE posts.id = v.id",
            (ticket, [r.post_id for r in results], [_signature_bytes(r) for r in results],
             [r.word_count for r in results]))
        return
    posts = cast(Table, Post.__table__)
    conn.execute(
        update(posts).where(posts.c.id == bindparam("pid")).values(
            event_seq=ticket, minhash=bindparam("sig"), word_count=bindparam("words")),
        [{"pid": r.post_id, "sig": _signature_bytes(r), "words": r.word_count} for r in results],
    )


def _signature_bytes(result: NlpAnalysis) -> bytes:
    """The stored blob: the MinHash signature, then the post's story terms (nlp.stories), so other
    workers link the post to the same story without segmenting it again."""
    if result.signature is None:
        raise ValueError(f"post {result.post_id}: analysis without a signature")
    blob = np.asarray(result.signature, dtype=SIGNATURE_DTYPE).tobytes()
    if result.story_terms is not None:
        blob += np.asarray(result.story_terms, dtype=TERM_DTYPE).tobytes()
    return blob


def split_blob(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A stored blob's signature and story terms (none in blobs written before stories existed)."""
    sig_len = NUM_PERM * SIGNATURE_DTYPE.itemsize
    return (np.frombuffer(blob[:sig_len], dtype=SIGNATURE_DTYPE),
            np.frombuffer(blob[sig_len:], dtype=TERM_DTYPE))
