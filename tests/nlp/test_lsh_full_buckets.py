"""Regression: expiring keys from the windowed LSH when their band buckets were full.

A bucket keeps its first MAX_BUCKET keys only; expiring a key it never took raised ValueError
(seen by `yuqing process` after 300,000 posts, when expiry by count starts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nlp.dedup import MAX_BUCKET, WindowedLSH, signatures


def test_expiry_of_keys_that_full_buckets_never_took() -> None:
    lsh = WindowedLSH(0.7, timedelta(days=3), max_items=MAX_BUCKET + 8)
    sigs = signatures([["三孩", "政策", "补贴", "登记", "生育", "津贴", "计划"]] * (MAX_BUCKET * 5))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i, sig in enumerate(sigs):
        found = lsh.add(i, sig, start + timedelta(seconds=i))
        if i:
            assert found and found[0][1] == 1.0  # still finds the copies it keeps
    assert len(lsh) == MAX_BUCKET + 8
