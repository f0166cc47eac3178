"""The serving feature space: all models' vocabularies merged, looked up once per text.

Word features (words, word bigrams) are looked up in a dict. Character n-grams, most of the
features, are never built as strings at serving time: each n-gram of up to three characters is
packed into one integer (21 bits per code point, +1 so lengths differ) with numpy over the whole
batch, and found by binary search in the sorted keys of the known n-grams. The resulting counts are
exactly those of the ``#``-prefixed string features the scikit-learn pipelines were trained on
(tested against the pipeline).

Building the union hashes every term of every model (~0.5 s for the default models), so
``nlp.build_models`` also saves it (:meth:`FeatureSpace.to_state`) and the analyzer loads that when
the model versions match.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp

from nlp.models.base import CHAR_NGRAMS, LinearModel, char_string, word_features
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


def explainable_mask(terms: Sequence[str]) -> np.ndarray:
    """Features that may be named in explanations: words and word bigrams, not character n-grams,
    stopwords or bare numbers."""
    stop = stopwords()
    return np.fromiter(
        (not is_char_term(t) and not all(w in stop or w.isdigit() for w in t.split(" ")) for t in terms),
        dtype=bool, count=len(terms),
    )


class FeatureSpace:
    """Union of the models' vocabularies, with each model re-expressed over it."""

    def __init__(self, terms: list[str], parts: dict[str, dict[str, Any]], extra: dict[str, Any] | None = None
                 ) -> None:
        self.terms = terms
        if extra is None:
            is_char = np.fromiter(map(is_char_term, terms), dtype=bool, count=len(terms))
            char_cols = np.flatnonzero(is_char)
            keys = np.fromiter((char_key(terms[j][1:]) for j in char_cols), dtype=np.int64, count=len(char_cols))
            order = np.argsort(keys)
            extra = {"char_keys": keys[order], "char_cols": char_cols[order],
                     "word_cols": np.flatnonzero(~is_char), "explainable": explainable_mask(terms)}
        self._extra = extra
        self.char_keys: np.ndarray = extra["char_keys"]
        self.char_cols: np.ndarray = extra["char_cols"]
        self.explainable: np.ndarray = extra["explainable"]
        word_cols = extra["word_cols"].tolist()
        self.vocab: dict[str, int] = dict(zip([terms[j] for j in word_cols], word_cols, strict=True))
        self._parts = parts
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
        return {"format": 2, "versions": versions, "terms": "\n".join(self.terms), "parts": self._parts,
                "extra": self._extra}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FeatureSpace:
        return cls(state["terms"].split("\n"), state["parts"], state.get("extra"))

    def counts(self, toks: Sequence[Tokens]) -> sp.csr_matrix:
        """Raw feature counts of each text over the whole space."""
        flat: list[str] = []
        lengths = np.empty(len(toks), dtype=np.int64)
        for i, t in enumerate(toks):
            feats = word_features(t)
            flat.extend(feats)
            lengths[i] = len(feats)
        wcols = np.fromiter(map(self.vocab.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        wrows = np.repeat(np.arange(len(toks)), lengths)
        found = wcols >= 0
        keys, crows = char_ngram_keys([char_string(t) for t in toks])
        pos = np.searchsorted(self.char_keys, keys)
        pos[pos == len(self.char_keys)] = 0
        hit = self.char_keys[pos] == keys if len(self.char_keys) else np.zeros(len(keys), dtype=bool)
        rows = np.concatenate([wrows[found], crows[hit]])
        cols = np.concatenate([wcols[found], self.char_cols[pos[hit]]])
        m = sp.coo_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                          shape=(len(toks), len(self.terms))).tocsr()  # duplicates are summed
        m.sort_indices()
        return m

    def global_model(self, name: str) -> LinearModel:
        """The named model re-expressed over the shared feature space."""
        return self._global[name]
