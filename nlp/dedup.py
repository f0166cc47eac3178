"""Near-duplicate grouping: MinHash signatures + banded LSH over a sliding time window.

Signatures are computed for a whole batch at once with numpy (shingle hashes → multiply-shift
universal hashing ``(a*h + b) >> 32`` → per-document minimum), several times faster than one
``MinHash`` object per post. Shingles are the text's content words and word bigrams (words: CRC32,
memoised; bigrams: a mix of the two word hashes), so signatures are deterministic across
processes. The signature is shared by :class:`NearDuplicateIndex` (threshold 0.7) and
:class:`nlp.events.EventClusterer` (a lower threshold).

The LSH is the standard banding scheme (as in datasketch's ``MinHashLSH``: ``b`` bands of ``r``
rows, a candidate shares one whole band), written here because datasketch's ``MinHashLSH`` costs
~0.5 s of cold start (it pulls in ``scipy.integrate``), inserts one key at a time into Python
dicts (~2 KB per post at 21 bands) and has no sliding window; this one works on whole batches
with numpy (see :class:`WindowedLSH`). Candidates are verified by estimated Jaccard ≥ threshold.

Memory stays bounded: posts older than ``window`` (by the post's time) and beyond ``max_items``
leave the index, so it holds a window of posts, not history.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta

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


MAX_BUCKET = 12  # candidates taken from one band bucket: its first live posts (a burst of copies is O(1))
SEQ_BITS = 28  # low bits of an index entry: the post's sequence number since the last rebase


class WindowedLSH:
    """Banded MinHash LSH over the posts of a sliding window (by time, and at most ``max_items``).

    Posts get consecutive sequence numbers; they leave the window in that order (first in, first
    out), so signatures, times and keys live in ring buffers indexed by sequence number. The band
    buckets are one sorted ``uint64`` array of entries ``band key's high bits | sequence number``:
    the entries of one bucket are adjacent and in insertion order, so a post's candidates in a
    bucket are a ``searchsorted`` range (its first ``MAX_BUCKET`` posts still in the window when
    the post came). A batch is placed in order (cheap scalar work), then its lookups, its
    similarity checks and its insertion run as whole-array operations. Entries of posts that left
    the window are skipped by their sequence number and dropped when they outnumber the live ones.

    Memory per indexed post: its signature (256 B), ``bands`` entries of 8 B, a key and a time;
    about 0.5 KB instead of the ~2 KB of a dict entry per band. Results do not depend on how the
    posts are split into batches.
    """

    CHUNK = 2048  # posts placed and looked up at a time (ring slack: see __init__)

    def __init__(self, threshold: float, window: timedelta, max_items: int, *, seq_bits: int = SEQ_BITS) -> None:
        if not 0 < max_items < (1 << (seq_bits - 1)) - self.CHUNK:
            raise ValueError(f"max_items must be between 1 and {(1 << (seq_bits - 1)) - self.CHUNK:,}")
        self.threshold = threshold
        self.window = window
        self.max_items = max_items
        self.bands, self.rows = lsh_params(threshold)
        self.latest: datetime | None = None
        self._window_s = window.total_seconds()
        self._latest_ts = -math.inf
        self._seq_bits = seq_bits
        self._seq_mask = np.uint64((1 << seq_bits) - 1)
        # A chunk writes its posts' rows before it reads its candidates' rows: the slack keeps a
        # candidate (at most max_items back) from being overwritten by a later post of the chunk.
        self._cap = max_items + self.CHUNK
        self._sigs = np.empty((0, NUM_PERM), dtype=np.uint32)
        self._times = np.empty(0, dtype=np.float64)
        self._keys: list[Hashable] = []
        self._seq_of: dict[Hashable, int] = {}
        self._next = 0  # the next post's sequence number
        self._oldest = 0  # the oldest sequence number still in the window
        self._forgotten = 0  # keys of sequence numbers below this are gone from _seq_of
        self._base = 0  # entries hold sequence number - _base
        self._entries = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return self._next - self._oldest

    def __contains__(self, key: Hashable) -> bool:
        seq = self._seq_of.get(key)
        return seq is not None and seq >= self._oldest

    def keys(self) -> set[Hashable]:
        """The keys of the posts in the window."""
        return {k for k, s in self._seq_of.items() if s >= self._oldest}

    def add(self, key: Hashable, sig: np.ndarray, when: datetime) -> list[tuple[Hashable, float]]:
        """Index one post; returns the earlier posts in the window whose estimated Jaccard with it
        reaches the threshold, best first. A post older than the window, or a key already indexed,
        is only looked up."""
        return self.add_many([key], np.atleast_2d(sig), [when])[0]

    def add_many(self, keys: Sequence[Hashable], sigs: np.ndarray, whens: Sequence[datetime]
                 ) -> list[list[tuple[Hashable, float]]]:
        """:meth:`add` for each post in order (each sees the ones before it)."""
        found: list[list[tuple[Hashable, float]]] = []
        for lo in range(0, len(keys), self.CHUNK):
            hi = lo + self.CHUNK
            found.extend(self._add_chunk(keys[lo:hi], sigs[lo:hi], whens[lo:hi]))
        return found

    def _add_chunk(self, keys: Sequence[Hashable], sigs: np.ndarray, whens: Sequence[datetime]
                   ) -> list[list[tuple[Hashable, float]]]:
        n = len(keys)
        if self._next + n - self._base >= 1 << self._seq_bits:
            self._compact(self._oldest, rebase=True)
        first, upto, inserted = self._place(keys, whens)
        bkeys = band_keys(sigs, self.bands, self.rows) & ~self._seq_mask
        if inserted:
            at = np.asarray(inserted)
            seqs = upto[at]
            self._sigs[seqs % self._cap] = sigs[at]
            new = (bkeys[at] | (seqs - self._base).astype(np.uint64)[:, None]).ravel()
            new.sort()
            merged = np.concatenate([self._entries, new])
            merged.sort(kind="stable")  # two sorted runs: a merge
            self._entries = merged
        return self._lookup(keys, sigs, bkeys, first, upto)

    def _place(self, keys: Sequence[Hashable], whens: Sequence[datetime]
               ) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Advance the window post by post. Returns, per post, the first and the end (exclusive)
        sequence number it is compared with, and the positions of the posts it inserted."""
        n = len(keys)
        first = np.empty(n, dtype=np.int64)
        upto = np.empty(n, dtype=np.int64)
        inserted: list[int] = []
        self._grow(self._next + n)
        cap, times, ring_keys, seq_of = self._cap, self._times, self._keys, self._seq_of
        for i, (key, when) in enumerate(zip(keys, whens, strict=True)):
            ts = when.timestamp()
            if ts > self._latest_ts:
                self._latest_ts, self.latest = ts, when
                horizon = ts - self._window_s
                oldest = self._oldest
                while oldest < self._next and times[oldest % cap] < horizon:
                    oldest += 1
                self._oldest = oldest
            first[i] = self._oldest
            known = seq_of.get(key)
            if ts < self._latest_ts - self._window_s or (known is not None and known >= self._oldest):
                upto[i] = self._next
                continue
            seq = self._next
            self._next += 1
            slot = seq % cap
            times[slot] = ts
            if len(ring_keys) < cap:
                ring_keys.append(key)
            else:
                ring_keys[slot] = key
            seq_of[key] = seq
            upto[i] = seq
            inserted.append(i)
            if self._next - self._oldest > self.max_items:
                self._oldest = self._next - self.max_items
        for seq in range(self._forgotten, self._oldest):  # keys that left the window
            key = ring_keys[seq % cap]
            if seq_of.get(key) == seq:
                del seq_of[key]
        self._forgotten = self._oldest
        if n and len(self._entries) > self.bands * (len(self) + len(self) // 4 + 2 * self.CHUNK):
            self._compact(keep_from=int(first[0]))  # this chunk's first post still looks back that far
        return first, upto, inserted

    def _grow(self, upto: int) -> None:
        """Make the rings hold sequence numbers below ``upto`` (they grow until they wrap)."""
        size = len(self._times)
        if size >= self._cap or upto <= size:
            return
        size = min(self._cap, max(upto, 2 * size, 1024))
        self._times = np.resize(self._times, size)
        sigs = np.empty((size, NUM_PERM), dtype=np.uint32)
        sigs[: len(self._sigs)] = self._sigs
        self._sigs = sigs

    def _compact(self, keep_from: int, *, rebase: bool = False) -> None:
        """Drop the entries of posts numbered below ``keep_from``; with ``rebase``, renumber the rest
        from there (sequence numbers must fit in the entries' low bits)."""
        low = self._entries & self._seq_mask
        live = self._entries[low >= np.uint64(keep_from - self._base)]
        if rebase:
            live -= np.uint64(keep_from - self._base)  # borrows nothing: each low part is at least that
            self._base = keep_from
        self._entries = live

    def _lookup(self, keys: Sequence[Hashable], sigs: np.ndarray, bkeys: np.ndarray, first: np.ndarray,
                upto: np.ndarray) -> list[list[tuple[Hashable, float]]]:
        n, bands = bkeys.shape
        entries = self._entries
        lo = np.searchsorted(entries, (bkeys | (first - self._base).astype(np.uint64)[:, None]).ravel())
        hi = np.searchsorted(entries, (bkeys | (upto - self._base).astype(np.uint64)[:, None]).ravel())
        counts = np.minimum(hi - lo, MAX_BUCKET)
        total = int(counts.sum())
        found: list[list[tuple[Hashable, float]]] = [[] for _ in range(n)]
        if not total:
            return found
        starts = np.cumsum(counts) - counts
        pos = np.repeat(lo, counts) + (np.arange(total) - np.repeat(starts, counts))
        post = np.repeat(np.arange(n * bands, dtype=np.uint64) // np.uint64(bands), counts)
        pairs = (post << np.uint64(32)) | (entries[pos] & self._seq_mask)
        pairs.sort()
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]  # each candidate once
        post_of = (pairs >> np.uint64(32)).astype(np.int64)
        seqs = (pairs & np.uint64(0xFFFFFFFF)).astype(np.int64) + self._base
        sims = np.count_nonzero(self._sigs[seqs % self._cap] == sigs[post_of], axis=1) / NUM_PERM
        keep = sims >= self.threshold
        ring_keys, cap = self._keys, self._cap
        for i, seq, sim in zip(post_of[keep].tolist(), seqs[keep].tolist(), sims[keep].tolist(), strict=True):
            found[i].append((ring_keys[seq % cap], sim))
        for cands in found:
            if len(cands) > 1:
                cands.sort(key=lambda x: (-x[1], str(x[0])))
        return found


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
            live = self.lsh.keys()
            self.group_of = {k: g for k, g in self.group_of.items() if k in live}
        return group
