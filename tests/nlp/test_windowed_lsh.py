"""The windowed LSH and the event clusterer on top of it: results that do not depend on how posts
are split into batches (workers apply the same posts in different batches and must agree), a
window that forgets by time and by count, and bounded memory."""

from __future__ import annotations

import random
from collections import deque
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from nlp.dedup import WindowedLSH, jaccard, signatures
from nlp.events import EventAssignment, EventClusterer

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
VOCAB = [f"词{i}" for i in range(60)]  # a small vocabulary: many posts share bands


def stream(n: int, seed: int = 1) -> tuple[list[int], np.ndarray, list[int], list[datetime], list[str | None]]:
    """Posts from a small vocabulary, with reposts, short posts, threads, out-of-order times and
    a few ids seen twice."""
    rng = random.Random(seed)
    docs: list[list[str]] = []
    ids: list[int] = []
    times: list[datetime] = []
    threads: list[str | None] = []
    for i in range(n):
        if docs and rng.random() < 0.2:
            doc = list(rng.choice(docs[-200:]))  # a repost of a recent post
        else:
            doc = rng.sample(VOCAB, rng.choice([0, 2, 6, 8, 10]))
        docs.append(doc)
        ids.append(ids[rng.randrange(len(ids))] if ids and rng.random() < 0.01 else i)
        times.append(T0 + timedelta(seconds=30 * i + rng.randint(-600, 60)))
        threads.append(f"t{rng.randrange(40)}" if rng.random() < 0.3 else None)
    return ids, signatures(docs), [len(set(d)) for d in docs], times, threads


def cluster(batch: int, n: int = 8000, *, window: timedelta, max_items: int) -> list[EventAssignment]:
    ids, sigs, counts, times, threads = stream(n)
    clusterer = EventClusterer(window=window, max_items=max_items)
    done: list[EventAssignment] = []
    for lo in range(0, n, batch):
        hi = lo + batch
        done += clusterer.add_batch(ids[lo:hi], sigs[lo:hi], counts[lo:hi], times[lo:hi], threads[lo:hi])
    return done


@pytest.mark.parametrize("batch", [1, 7, 500, 2500])
def test_assignments_do_not_depend_on_batches(batch: int) -> None:
    small = timedelta(hours=2), 300  # both kinds of expiry happen
    reference = cluster(8000, window=small[0], max_items=small[1])
    assert cluster(batch, window=small[0], max_items=small[1]) == reference
    events = {a.event_key for a in reference}
    assert 100 < len(events) < 7500  # posts were grouped, not all lumped together


def test_renumbering_keeps_the_results() -> None:
    """Sequence numbers live in 13 low bits here, so the index renumbers its entries many times."""
    ids, sigs, _counts, times, _threads = stream(20_000)
    tight = WindowedLSH(0.35, timedelta(hours=2), 1000, seq_bits=13)
    roomy = WindowedLSH(0.35, timedelta(hours=2), 1000)
    for lo in range(0, 20_000, 333):
        hi = lo + 333
        assert tight.add_many(ids[lo:hi], sigs[lo:hi], times[lo:hi]) == roomy.add_many(
            ids[lo:hi], sigs[lo:hi], times[lo:hi])
    assert tight._base > 0


def test_candidates_are_similar_posts_still_in_the_window() -> None:
    ids, sigs, _counts, times, _threads = stream(2000)
    window, max_items = timedelta(hours=1), 150
    lsh = WindowedLSH(0.35, window, max_items)
    # The window, modelled plainly: posts leave it first in, first out, when the oldest one is
    # older than the newest time minus the window, or when it holds more than max_items.
    recent: deque[tuple[int, np.ndarray, datetime]] = deque()
    latest = times[0]
    copies_found = 0
    for pid, sig, when in zip(ids, sigs, times, strict=True):
        found = lsh.add(pid, sig, when)
        latest = max(latest, when)
        while recent and recent[0][2] < latest - window:
            recent.popleft()
        for key, sim in found:
            match = [s for k, s, _t in recent if k == key]
            assert match, f"{key} is not in the window of post {pid}"
            assert sim == jaccard(match[0], sig) >= 0.35
        assert [s for _k, s in found] == sorted((s for _k, s in found), reverse=True)
        if any(np.array_equal(s, sig) for k, s, _t in recent if k != pid):
            assert found and found[0][1] == 1.0  # a copy is always found
            copies_found += 1
        if when >= latest - window and pid not in {k for k, _s, _t in recent}:
            recent.append((pid, sig, when))
            if len(recent) > max_items:
                recent.popleft()
        assert len(lsh) == len(recent)
    assert copies_found > 100
    assert len(lsh) <= max_items


def test_memory_stays_bounded() -> None:
    ids, sigs, counts, times, threads = stream(20_000)
    clusterer = EventClusterer(window=timedelta(days=30), max_items=1000)
    for lo in range(0, 20_000, 500):
        hi = lo + 500
        clusterer.add_batch(ids[lo:hi], sigs[lo:hi], counts[lo:hi], times[lo:hi], threads[lo:hi])
    lsh = clusterer.lsh
    assert len(lsh) == 1000
    assert len(lsh._sigs) <= 1000 + lsh.CHUNK and len(lsh._keys) <= 1000 + lsh.CHUNK
    assert len(lsh._entries) <= lsh.bands * (1000 + 250 + 2 * lsh.CHUNK)
    assert len(lsh._seq_of) <= 1000
    assert len(clusterer.event_of) <= 1250 and len(clusterer.thread_event) <= 1250


def test_window_size_is_checked() -> None:
    with pytest.raises(ValueError, match="max_items"):
        WindowedLSH(0.35, timedelta(days=1), 0)
    with pytest.raises(ValueError, match="max_items"):
        WindowedLSH(0.35, timedelta(days=1), 5000, seq_bits=13)
