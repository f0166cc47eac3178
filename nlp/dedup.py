"""Near-duplicate grouping: MinHash signatures + banded LSH over a sliding time window.

Signatures are computed for a whole batch at once with numpy (CRC32 shingle hashes → multiply-shift
universal hashing ``(a*h + b) >> 32`` → per-document minimum), several times faster than one
``MinHash`` object per post. Shingles are the text's
distinct content words plus word bigrams, hashed with CRC32 so signatures are deterministic across
processes. The signature is shared by :class:`NearDuplicateIndex` (threshold 0.7) and
:class:`nlp.events.EventClusterer` (a lower threshold).

The LSH is the standard banding scheme (as in datasketch's ``MinHashLSH``: ``b`` bands of ``r``
rows, a candidate shares one whole band), written here in a few lines because importing datasketch
costs ~0.5 s of cold start (it pulls in ``scipy.integrate``) and its per-insert band hashing is
slower; candidates are then verified by estimated Jaccard ≥ threshold.

Memory stays bounded: entries older than ``window`` (by the post's time) and beyond ``max_items``
are removed from the LSH index, so it holds a window of posts, not history.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np

NUM_PERM = 64
SEED = 7
_MAX_HASH = np.uint64((1 << 32) - 1)
_SHIFT = np.uint64(32)
_CHUNK = 20_000  # shingles per permutation block (bounds the temporary matrix)

_gen = np.random.RandomState(SEED)
# Multiply-shift universal hashing: h -> (a*h + b mod 2^64) >> 32 with odd a; no modulo, so fast.
_A = (_gen.randint(0, 1 << 62, NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)).reshape(-1, 1)
_B = _gen.randint(0, 1 << 62, NUM_PERM, dtype=np.uint64).reshape(-1, 1)


def shingles(words: Sequence[str]) -> set[str]:
    """Distinct words and word bigrams (what a signature is computed from)."""
    out = set(words)
    out.update(f"{a} {b}" for a, b in pairwise(words))
    return out


def signatures(docs: Sequence[set[str] | Sequence[str]]) -> np.ndarray:
    """MinHash signatures, shape ``(len(docs), NUM_PERM)`` uint32; empty docs get all-max rows."""
    crc = zlib.crc32
    hashes: list[int] = []
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    for i, doc in enumerate(docs):
        hashes.extend([crc(s.encode("utf-8")) for s in doc])
        offsets[i + 1] = len(hashes)
    out = np.full((len(docs), NUM_PERM), _MAX_HASH, dtype=np.uint64)
    if not hashes:
        return out.astype(np.uint32)
    hv = np.asarray(hashes, dtype=np.uint64)
    lengths = np.diff(offsets)
    nonempty = np.flatnonzero(lengths)
    # Process documents in blocks so the (NUM_PERM x shingles) matrix stays small.
    start_doc = 0
    while start_doc < len(nonempty):
        end_doc = start_doc
        while end_doc < len(nonempty) and (
            offsets[nonempty[end_doc] + 1] - offsets[nonempty[start_doc]] <= _CHUNK or end_doc == start_doc
        ):
            end_doc += 1
        idx = nonempty[start_doc:end_doc]
        lo, hi = offsets[idx[0]], offsets[idx[-1] + 1]
        with np.errstate(over="ignore"):
            phv = (hv[lo:hi] * _A + _B) >> _SHIFT
        out[idx] = np.minimum.reduceat(phv, offsets[idx] - lo, axis=1).T
        start_doc = end_doc
    return out.astype(np.uint32)  # values are 32-bit: half the memory per indexed post


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def lsh_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """Bands and rows whose S-curve midpoint ``(1/b)^(1/r)`` is closest to ``threshold`` (slightly below)."""
    best = (num_perm, 1)
    best_err = 9.0
    for r in range(1, num_perm + 1):
        b = num_perm // r
        err = abs((1.0 / b) ** (1.0 / r) - (threshold - 0.05))
        if err < best_err:
            best, best_err = (b, r), err
    return best


_BAND_MIX = np.random.RandomState(SEED + 1).randint(1, 1 << 62, NUM_PERM, dtype=np.uint64) | np.uint64(1)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band per signature (vectorised; a collision only adds a candidate,
    which the Jaccard check then rejects). Shape ``(len(sigs), bands)``."""
    sigs = np.atleast_2d(sigs)
    with np.errstate(over="ignore"):
        mixed = sigs[:, : bands * rows].astype(np.uint64) * _BAND_MIX[: bands * rows]
        return mixed.reshape(len(sigs), bands, rows).sum(axis=2, dtype=np.uint64)


class _Bucket(list):
    """Several keys in one LSH bucket (distinguishes a list from a key that is itself a list)."""


class WindowedLSH:
    """Banded MinHash LSH whose entries expire after ``window`` or beyond ``max_items``."""

    def __init__(self, threshold: float, window: timedelta, max_items: int) -> None:
        self.threshold = threshold
        self.window = window
        self.max_items = max_items
        self.bands, self.rows = lsh_params(threshold)
        # A bucket is the bare key while it holds one post (most do), a list after: saves memory.
        self._tables: list[dict[int, Any]] = [{} for _ in range(self.bands)]
        self._order: deque[tuple[datetime, Hashable]] = deque()
        self.sigs: dict[Hashable, np.ndarray] = {}
        self.latest: datetime | None = None

    def __len__(self) -> int:
        return len(self.sigs)

    def keys_of(self, sigs: np.ndarray) -> list[list[int]]:
        """Band keys of a batch of signatures, to pass to :meth:`query` and :meth:`insert`."""
        return band_keys(sigs, self.bands, self.rows).tolist()

    def _expire(self, now: datetime) -> None:
        horizon = now - self.window
        while self._order and (self._order[0][0] < horizon or len(self._order) > self.max_items):
            _, key = self._order.popleft()
            sig = self.sigs.pop(key, None)
            if sig is None:
                continue
            for table, band in zip(self._tables, self.keys_of(sig)[0], strict=True):
                bucket = table.get(band)
                if isinstance(bucket, _Bucket):
                    bucket.remove(key)
                    if len(bucket) == 1:
                        table[band] = bucket[0]
                elif bucket is not None:
                    del table[band]

    def query(self, sig: np.ndarray, keys: list[int] | None = None, threshold: float | None = None
              ) -> list[tuple[Hashable, float]]:
        """Indexed keys whose estimated Jaccard with ``sig`` reaches the threshold, best first."""
        cands: set[Hashable] = set()
        for table, band in zip(self._tables, keys or self.keys_of(sig)[0], strict=True):
            bucket = table.get(band)
            if isinstance(bucket, _Bucket):
                cands.update(bucket)
            elif bucket is not None:
                cands.add(bucket)
        if not cands:
            return []
        ordered = list(cands)
        sims = (np.stack([self.sigs[k] for k in ordered]) == sig).mean(axis=1).tolist()
        limit = self.threshold if threshold is None else threshold
        return sorted(((k, j) for k, j in zip(ordered, sims, strict=True) if j >= limit),
                      key=lambda x: (-x[1], str(x[0])))

    def advance(self, when: datetime) -> None:
        """Move the window's clock to ``when`` (if later) and drop what fell out of it."""
        if self.latest is None or when > self.latest:
            self.latest = when
        self._expire(self.latest)

    def insert(self, key: Hashable, sig: np.ndarray, when: datetime, keys: list[int] | None = None) -> None:
        self.advance(when)
        assert self.latest is not None
        if when < self.latest - self.window or key in self.sigs:
            return  # already too old to index, or indexed
        keys = keys or self.keys_of(sig)[0]
        for table, band in zip(self._tables, keys, strict=True):
            bucket = table.get(band)
            if bucket is None:
                table[band] = key
            elif isinstance(bucket, _Bucket):
                bucket.append(key)
            else:
                table[band] = _Bucket((bucket, key))
        self.sigs[key] = sig
        self._order.append((when, key))
        if len(self._order) > self.max_items:
            self._expire(self.latest)


class NearDuplicateIndex:
    """Groups reposts and near-copies; each post gets the key of its group's first post."""

    def __init__(
        self, threshold: float = 0.7, window: timedelta = timedelta(days=3), max_items: int = 300_000
    ) -> None:
        self.lsh = WindowedLSH(threshold, window, max_items)
        self.group_of: dict[Hashable, Hashable] = {}

    def add(self, key: Hashable, sig: np.ndarray, when: datetime) -> Hashable:
        """Index one post; returns its group key (its own key if it duplicates nothing in the window)."""
        self.lsh.advance(when)
        best = self.lsh.query(sig) if not np.all(sig == np.uint32(_MAX_HASH)) else []
        group = self.group_of.get(best[0][0], best[0][0]) if best else key
        self.lsh.insert(key, sig, when)
        self.group_of[key] = group
        if len(self.group_of) > 2 * self.lsh.max_items:  # forget groups of expired posts
            self.group_of = {k: g for k, g in self.group_of.items() if k in self.lsh.sigs}
        return group
