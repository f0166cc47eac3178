"""The serving feature space: all models' vocabularies merged, looked up once per text.

Word features (words, word bigrams) are looked up in a dict. Character n-grams, most of the
features, are never built as strings at serving time: each n-gram of up to three characters is
packed into one integer (21 bits per code point, +1 so lengths differ) with numpy over the whole
batch, and looked up in a vectorised hash table (:class:`IntTable`). The resulting counts are
exactly those of the ``#``-prefixed string features the scikit-learn pipelines were trained on
(tested against the pipeline).

Building the union hashes every term of every model (~0.5 s for the default models), so
``nlp.build_models`` also saves it (:meth:`FeatureSpace.to_state`) and the analyzer loads that when
the model versions match.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat
from typing import Any, overload

import numpy as np
import scipy.sparse as sp

from nlp.models.base import CHAR_NGRAMS, LinearModel, char_string
from nlp.tokenize import Tokens, stopwords

_BITS = 21


def is_char_term(term: str) -> bool:
    return term.startswith("#") and 1 <= len(term) - 1 <= max(CHAR_NGRAMS)


def char_key(gram: str) -> int:
    """Integer key of a character n-gram (same packing as :func:`char_ngram_keys`)."""
    key = 0
    for ch in gram:
        key = (key << _BITS) | (ord(ch) + 1)
    return key


def char_ngram_keys(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Keys of every character n-gram of every string, and the index of the string each came from."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    total = int(lengths.sum())
    cps = np.zeros(total + max(CHAR_NGRAMS), dtype=np.int64)
    cps[:total] = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32)
    cps[:total] += 1
    doc = np.repeat(np.arange(len(strings)), lengths)
    remaining = lengths[doc] - (np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    keys, docs = [], []
    for n in CHAR_NGRAMS:
        k = cps[:total].copy()
        for j in range(1, n):
            k = (k << _BITS) | cps[j : total + j]
        ok = remaining >= n
        keys.append(k[ok])
        docs.append(doc[ok])
    return np.concatenate(keys), np.concatenate(docs)


_MIX = np.int64(-7046029254386353131)  # odd 64-bit constant (Fibonacci hashing)


def _bits(n_keys: int) -> int:
    return max(4, int(n_keys * 3).bit_length())  # load factor below 1/3


class IntTable:
    """A vectorised open-addressing hash table int64 key → int64 value (-1: absent).

    Looking up a batch's n-gram keys costs one or two random reads each instead of the ~18 of a
    binary search over the sorted keys.
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Build the table from distinct ``keys``.

        Linear probing, built without a loop over rounds: taking the keys in order of their home
        slot, each lands at ``max(home, previous position + 1)``, i.e. ``i + cummax(home - i)``
        (it is built at every analyzer start, so this matters for cold start). The few keys pushed
        past the end of the array wrap around through :meth:`_insert`.
        """
        bits = _bits(len(keys))
        self.shift = np.int64(64 - bits)
        self.mask = np.int64((1 << bits) - 1)
        self.keys = np.full(1 << bits, -1, dtype=np.int64)
        self.values = np.full(1 << bits, -1, dtype=np.int32)  # column numbers: int32 halves the table's values
        if not len(keys):
            return
        order = self.order(keys)
        home = self._home(keys)
        rank = np.arange(len(keys))
        pos = np.maximum.accumulate(home[order] - rank) + rank
        fits = pos <= self.mask
        self.keys[pos[fits]] = keys[order[fits]]
        self.values[pos[fits]] = values[order[fits]]
        rest = order[~fits]
        self._insert(keys[rest], values[rest])

    @staticmethod
    def order(keys: np.ndarray) -> np.ndarray:
        """The order in which the table places ``keys`` (by home slot). Keys saved in this order
        make the next build's sort a linear pass (a stable sort of sorted input)."""
        return np.argsort(IntTable._slots(keys, _bits(len(keys))), kind="stable")

    def _insert(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Insert keys one probing round at a time (all rounds vectorised over the keys)."""
        pending = np.arange(len(keys))
        slots = self._home(keys)
        while len(pending):
            s = slots[pending]
            free = self.keys[s] == -1
            # among keys aiming at the same free slot, the first one takes it
            _, first = np.unique(s[free], return_index=True)
            chosen = pending[free][first]
            self.keys[slots[chosen]] = keys[chosen]
            self.values[slots[chosen]] = values[chosen]
            placed = np.zeros(len(keys), dtype=bool)
            placed[chosen] = True
            pending = pending[~placed[pending]]
            slots[pending] = (slots[pending] + 1) & self.mask

    @staticmethod
    def _slots(keys: np.ndarray, bits: int) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys * _MIX) >> np.int64(64 - bits)) & np.int64((1 << bits) - 1)

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return self._slots(keys, 64 - int(self.shift))

    def get(self, queries: np.ndarray) -> np.ndarray:
        out = np.full(len(queries), -1, dtype=np.int64)
        pending = np.arange(len(queries))
        slots = self._home(queries)
        while len(pending):
            s = slots[pending]
            found = self.keys[s]
            hit = found == queries[pending]
            out[pending[hit]] = self.values[s[hit]]
            go_on = ~hit & (found != -1)
            pending = pending[go_on]
            slots[pending] = (slots[pending] + 1) & self.mask
        return out


_WORD_RADIX = np.int64(1 << 31)


def _word_index(terms: Sequence[str], word_cols: np.ndarray) -> dict[str, Any]:
    """Word ids for the unigram and bigram features (a bigram is looked up as a pair of ids)."""
    ids: dict[str, int] = {}
    uni: dict[int, int] = {}
    bkeys: list[int] = []
    bcols: list[int] = []
    for col in word_cols.tolist():
        parts = terms[col].split(" ")
        wid = [ids.setdefault(w, len(ids)) for w in parts]
        if len(parts) == 1:
            uni[wid[0]] = col
        elif len(parts) == 2:
            bkeys.append(wid[0] * int(_WORD_RADIX) + wid[1])
            bcols.append(col)
    unigram_col = np.full(len(ids), -1, dtype=np.int64)
    unigram_col[list(uni)] = list(uni.values())
    keys, cols = np.asarray(bkeys, dtype=np.int64), np.asarray(bcols, dtype=np.int64)
    order = IntTable.order(keys)  # saved in table order: faster load
    return {"words": "\n".join(ids), "unigram_col": unigram_col, "bigram_keys": keys[order],
            "bigram_cols": cols[order]}


def explainable_mask(terms: Sequence[str]) -> np.ndarray:
    """Features that may be named in explanations: words and word bigrams, not character n-grams,
    stopwords or bare numbers."""
    stop = stopwords()
    return np.fromiter(
        (not is_char_term(t) and not all(w in stop or w.isdigit() for w in t.split(" ")) for t in terms),
        dtype=bool, count=len(terms),
    )


class TermList(Sequence[str]):
    """Feature names kept as one newline-joined string plus offsets.

    The default models have ~650,000 features; as a list of small ``str`` objects their names
    cost ~55 MB of every worker's memory, for the few that explanations name.
    """

    def __init__(self, joined: str) -> None:
        self.joined = joined
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        newlines = np.flatnonzero(codes == ord("\n"))
        self._starts = np.concatenate([[0], newlines + 1, [len(joined) + 1]]).astype(np.int64) if joined else \
            np.zeros(1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.joined[self._starts[index]:self._starts[index + 1] - 1]


class FeatureSpace:
    """Union of the models' vocabularies, with each model re-expressed over it."""

    def __init__(self, terms: Sequence[str], parts: dict[str, dict[str, Any]], extra: dict[str, Any] | None = None
                 ) -> None:
        self.terms = terms if isinstance(terms, TermList) else TermList("\n".join(terms))
        if extra is None:
            is_char = np.fromiter(map(is_char_term, terms), dtype=bool, count=len(terms))
            char_cols = np.flatnonzero(is_char)
            keys = np.fromiter((char_key(terms[j][1:]) for j in char_cols.tolist()), dtype=np.int64,
                               count=len(char_cols))
            order = IntTable.order(keys)  # saved in table order: faster load
            extra = {"char_keys": keys[order], "char_cols": char_cols[order], "explainable": explainable_mask(terms),
                     **_word_index(terms, np.flatnonzero(~is_char))}
        self._extra = extra
        self.char_table = IntTable(extra["char_keys"], extra["char_cols"])
        self.explainable: np.ndarray = extra["explainable"]
        # words → word ids; a word id → its unigram column; (id, id) pairs → bigram columns
        words = extra["words"].split("\n") if extra["words"] else []
        self.word_id: dict[str, int] = dict(zip(words, range(len(words)), strict=True))
        self.unigram_col: np.ndarray = extra["unigram_col"]
        self.bigram_table = IntTable(extra["bigram_keys"], extra["bigram_cols"])
        self.vocab: dict[str, int] = {}  # the global models look nothing up by string
        self._parts: dict[str, dict[str, Any]] | None = parts
        self._global: dict[str, LinearModel] = {}
        n = len(terms)
        for name, part in parts.items():
            glob = part["glob"]
            # Global-space copies of the model's idf and weights: 0 where the model lacks a term.
            idf = np.zeros(n, dtype=np.float32)
            idf[glob] = part["idf"]
            coef = np.zeros((part["coef"].shape[0], n), dtype=np.float32)
            coef[:, glob] = part["coef"]
            self._global[name] = LinearModel(part["classes"], self.vocab, idf, coef, part["intercept"])

    @classmethod
    def from_models(cls, models: dict[str, LinearModel]) -> FeatureSpace:
        merged = dict.fromkeys(chain.from_iterable(m.vocab for m in models.values()))
        index = dict(zip(merged, range(len(merged)), strict=True))
        parts = {}
        for name, model in models.items():
            order = np.fromiter(model.vocab.values(), dtype=np.int64, count=len(model.vocab))
            glob = np.fromiter(map(index.__getitem__, model.vocab), dtype=np.int32, count=len(model.vocab))
            parts[name] = {"classes": model.classes, "glob": glob, "idf": model.idf[order],
                           "coef": model.coef[:, order], "intercept": model.intercept}
        return cls(list(merged), parts)

    def to_state(self, versions: dict[str, str]) -> dict[str, Any]:
        if self._parts is None:
            raise ValueError("a feature space loaded for serving keeps no model parts to save")
        return {"format": 3, "versions": versions, "terms": self.terms.joined, "parts": self._parts,
                "extra": self._extra}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FeatureSpace:
        space = cls(TermList(state["terms"]), state["parts"], state.get("extra"))
        # Serving only: the global models and tables hold what it needs (~25 MB less per worker).
        space._parts, space._extra = None, {}
        return space

    def counts(self, toks: Sequence[Tokens]) -> sp.csr_matrix:
        """Raw feature counts of each text over the whole space."""
        flat: list[str] = []
        lengths = np.empty(len(toks), dtype=np.int64)
        for i, t in enumerate(toks):
            flat.extend(t.words)
            lengths[i] = len(t.words)
        wids = np.fromiter(map(self.word_id.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        doc = np.repeat(np.arange(len(toks)), lengths)
        ucols = np.where(wids >= 0, self.unigram_col[wids], -1)
        # bigrams: consecutive words of the same text, both known
        pair = (doc[:-1] == doc[1:]) & (wids[:-1] >= 0) & (wids[1:] >= 0)
        bcols = self.bigram_table.get(wids[:-1][pair] * _WORD_RADIX + wids[1:][pair])
        wrows = np.concatenate([doc, doc[:-1][pair]])
        wcols = np.concatenate([ucols, bcols])
        found = wcols >= 0
        keys, crows = char_ngram_keys([char_string(t) for t in toks])
        ccols = self.char_table.get(keys)
        hit = ccols >= 0
        n_cols = len(self.terms)
        cells = np.concatenate([wrows[found] * n_cols + wcols[found], crows[hit] * n_cols + ccols[hit]])
        cells, counts = np.unique(cells, return_counts=True)  # sorted by row, then column
        rows = cells // n_cols
        indptr = np.zeros(len(toks) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(toks)), out=indptr[1:])
        return sp.csr_matrix((counts.astype(np.float32), (cells - rows * n_cols).astype(np.int32), indptr),
                             shape=(len(toks), n_cols))

    def global_model(self, name: str) -> LinearModel:
        """The named model re-expressed over the shared feature space."""
        return self._global[name]
