"""Near-duplicate grouping: MinHash signatures + banded LSH over a sliding time window.

Signatures are computed for a whole batch at once with numpy (shingle hashes → multiply-shift
universal hashing ``(a*h + b) >> 32`` → per-document minimum), several times faster than one
``MinHash`` object per post. Shingles are the text's content words and word bigrams (words: CRC32,
memoised; bigrams: a mix of the two word hashes), so signatures are deterministic across
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


_word_hash_cache: dict[str, int] = {}
# Emptied when it reaches this size: posts keep bringing words never seen again (numbers, names),
# so an unbounded memo grew a worker by ~150 MB per million posts. Re-hashing is cheap (CRC32).
WORD_CACHE_MAX = 200_000
_BIGRAM_MIX = np.uint64(0x9E3779B97F4A7C15)


def _word_hashes(words: list[str]) -> np.ndarray:
    """CRC32 of each word (deterministic across processes), memoised: words repeat a lot."""
    cache = _word_hash_cache
    if len(cache) > WORD_CACHE_MAX:
        cache.clear()
    out = list(map(cache.get, words))
    if None in out:  # only new words take the Python path
        for i, h in enumerate(out):
            if h is None:
                w = words[i]
                out[i] = cache[w] = zlib.crc32(w.encode("utf-8"))
    return np.asarray(out, dtype=np.uint64)


def _minhash(hv: np.ndarray, starts: np.ndarray, docs: np.ndarray, out: np.ndarray) -> None:
    """out[docs] = min(out[docs], MinHash of the segments of ``hv`` beginning at ``starts``)."""
    if not len(docs):
        return
    block = starts // _CHUNK  # blocks of whole documents bound the (NUM_PERM x n) matrix
    bounds = np.flatnonzero(np.diff(block)) + 1
    ends = np.append(starts[1:], len(hv))
    for idx in np.split(np.arange(len(docs)), bounds):
        lo, hi = starts[idx[0]], ends[idx[-1]]
        with np.errstate(over="ignore"):
            phv = hv[lo:hi] * _A  # (NUM_PERM, n); then in place: no further temporaries
            phv += _B
            phv >>= _SHIFT
        out[docs[idx]] = np.minimum(out[docs[idx]], np.minimum.reduceat(phv, starts[idx] - lo, axis=1).T)


def signatures(docs: Sequence[Sequence[str]]) -> np.ndarray:
    """MinHash signatures of each document's words and word bigrams, shape ``(len(docs), NUM_PERM)``
    uint32; documents without words get all-max rows (they match nothing).

    Word hashes are CRC32 (deterministic); a bigram's hash mixes its two word hashes, so no bigram
    string is built. MinHash is a minimum over a set, so repeated shingles need no de-duplication.
    """
    flat: list[str] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    for i, doc in enumerate(docs):
        flat.extend(doc)
        lengths[i] = len(doc)
    out = np.full((len(docs), NUM_PERM), _MAX_HASH, dtype=np.uint64)
    if not flat:
        return out.astype(np.uint32)
    hv = _word_hashes(flat)
    starts = np.cumsum(lengths) - lengths
    has = np.flatnonzero(lengths)
    _minhash(hv, starts[has], has, out)
    # bigrams: positions i whose next word is in the same document
    doc_of = np.repeat(np.arange(len(docs)), lengths)
    same = doc_of[:-1] == doc_of[1:]
    with np.errstate(over="ignore"):
        big = ((hv[:-1] * _BIGRAM_MIX + hv[1:]) & np.uint64(0xFFFFFFFFFFFF))[same]
    two = np.flatnonzero(lengths >= 2)
    counts = lengths[two] - 1
    _minhash(big, np.cumsum(counts) - counts, two, out)
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


MAX_BUCKET = 12  # a band bucket keeps its first posts only: a burst of copies costs O(1) per post


class _Bucket(list):
    """Several keys in one LSH bucket (distinguishes a list from a key that is itself a list)."""


class WindowedLSH:
    """Banded MinHash LSH whose entries expire after ``window`` or beyond ``max_items``.

    All bands share one dict (each band's key already differs by its own multipliers; a rare
    cross-band collision only adds a candidate, which the Jaccard check rejects).
    """

    def __init__(self, threshold: float, window: timedelta, max_items: int) -> None:
        self.threshold = threshold
        self.window = window
        self.max_items = max_items
        self.bands, self.rows = lsh_params(threshold)
        # A bucket is the bare key while it holds one post (most do), a _Bucket list after.
        self._table: dict[int, Any] = {}
        self._order: deque[tuple[datetime, Hashable]] = deque()
        self.sigs: dict[Hashable, np.ndarray] = {}
        self.latest: datetime | None = None

    def __len__(self) -> int:
        return len(self.sigs)

    def keys_of(self, sigs: np.ndarray) -> list[list[int]]:
        """Band keys of a batch of signatures, to pass to :meth:`query`, :meth:`insert`, :meth:`add`."""
        keys: list[list[int]] = band_keys(sigs, self.bands, self.rows).tolist()
        return keys

    def _expire(self, now: datetime) -> None:
        horizon = now - self.window
        table = self._table
        while self._order and (self._order[0][0] < horizon or len(self._order) > self.max_items):
            _, key = self._order.popleft()
            sig = self.sigs.pop(key, None)
            if sig is None:
                continue
            for band in self.keys_of(sig)[0]:
                bucket = table.get(band)
                if type(bucket) is _Bucket:
                    if key in bucket:  # a bucket already at MAX_BUCKET never took this key
                        bucket.remove(key)
                    if len(bucket) == 1:
                        table[band] = bucket[0]
                elif bucket == key:
                    del table[band]

    def _similar(self, sig: np.ndarray, cands: set[Hashable], threshold: float | None
                 ) -> list[tuple[Hashable, float]]:
        if not cands:
            return []
        ordered = list(cands)
        sims = (np.count_nonzero(np.stack([self.sigs[k] for k in ordered]) == sig, axis=1) / NUM_PERM).tolist()
        limit = self.threshold if threshold is None else threshold
        return sorted(((k, j) for k, j in zip(ordered, sims, strict=True) if j >= limit),
                      key=lambda x: (-x[1], str(x[0])))

    def query(self, sig: np.ndarray, keys: list[int] | None = None, threshold: float | None = None
              ) -> list[tuple[Hashable, float]]:
        """Indexed keys whose estimated Jaccard with ``sig`` reaches the threshold, best first."""
        cands: set[Hashable] = set()
        for bucket in map(self._table.get, keys or self.keys_of(sig)[0]):
            if type(bucket) is _Bucket:
                cands.update(bucket)
            elif bucket is not None:
                cands.add(bucket)
        return self._similar(sig, cands, threshold)

    def advance(self, when: datetime) -> None:
        """Move the window's clock to ``when`` (if later) and drop what fell out of it."""
        if self.latest is None or when > self.latest:
            self.latest = when
            self._expire(when)

    def add(self, key: Hashable, sig: np.ndarray, when: datetime, keys: list[int] | None = None
            ) -> list[tuple[Hashable, float]]:
        """:meth:`query` then :meth:`insert` in one pass over the bands."""
        self.advance(when)
        assert self.latest is not None
        keys = keys or self.keys_of(sig)[0]
        if when < self.latest - self.window or key in self.sigs:
            return self.query(sig, keys)
        table = self._table
        cands: set[Hashable] = set()
        for band, bucket in zip(keys, list(map(table.get, keys)), strict=True):
            if bucket is None:
                table[band] = key
            elif type(bucket) is _Bucket:
                cands.update(bucket)
                if len(bucket) < MAX_BUCKET:
                    bucket.append(key)
            else:
                cands.add(bucket)
                table[band] = _Bucket((bucket, key))
        found = self._similar(sig, cands, None)
        self._remember(key, sig, when)
        return found

    def insert(self, key: Hashable, sig: np.ndarray, when: datetime, keys: list[int] | None = None) -> None:
        self.add(key, sig, when, keys)

    def _remember(self, key: Hashable, sig: np.ndarray, when: datetime) -> None:
        self.sigs[key] = sig
        self._order.append((when, key))
        if len(self._order) > self.max_items:
            assert self.latest is not None
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
        if np.all(sig == np.uint32(_MAX_HASH)):  # no words: nothing to compare
            best: list[tuple[Hashable, float]] = []
        else:
            best = self.lsh.add(key, sig, when)
        group = self.group_of.get(best[0][0], best[0][0]) if best else key
        self.group_of[key] = group
        if len(self.group_of) > 2 * self.lsh.max_items:  # forget groups of expired posts
            self.group_of = {k: g for k, g in self.group_of.items() if k in self.lsh.sigs}
        return group
