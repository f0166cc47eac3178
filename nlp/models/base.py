"""Shared model machinery: features, the scikit-learn pipeline, and a compiled linear form.

Every model is a scikit-learn ``Pipeline`` (``tfidf`` → ``clf``): a ``TfidfVectorizer`` whose
analyzer is the module-level :func:`text_features` (picklable), then a ``LogisticRegression``.
Features of one text: its jieba words, word bigrams and character 1–3-grams (``#``-prefixed) of the
normalised text. URLs are removed by normalisation, so link presence is never a feature.

For serving, :class:`LinearModel` holds the same maths as plain numpy arrays (vocabulary, idf,
coefficients). It loads without importing scikit-learn (fast cold start), and
:class:`nlp.models.space.FeatureSpace` merges the vocabularies of all models so that each text's
features are looked up once and shared by every model. ``LinearModel.from_pipeline`` is tested to give the
same probabilities as the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp

from nlp.tokenize import Tokens, tokenize

CHAR_NGRAMS = (1, 2, 3)


def features(tokens: Tokens) -> list[str]:
    """Word unigrams, word bigrams and ``#``-prefixed character n-grams of one text."""
    words = tokens.words
    out = list(words)
    out.extend([f"{a} {b}" for a, b in pairwise(words)])
    s = tokens.normalized.replace(" ", "")
    for n in CHAR_NGRAMS:
        out.extend(["#" + s[i : i + n] for i in range(len(s) - n + 1)])
    return out


def word_features(tokens: Tokens) -> list[str]:
    """The word part of :func:`features` (unigrams and bigrams)."""
    words = tokens.words
    return [*words, *(f"{a} {b}" for a, b in pairwise(words))]


def char_string(tokens: Tokens) -> str:
    """The string the character n-grams of :func:`features` are taken from."""
    return tokens.normalized.replace(" ", "")


def text_features(text: str) -> list[str]:
    """Analyzer used inside the sklearn pipelines (module-level so models pickle)."""
    return features(tokenize(text))


def build_pipeline(c: float, max_features: int | None, seed: int = 0, class_weight: str | None = None,
                   min_df: int = 2) -> Any:
    """The scikit-learn pipeline every model uses (imports sklearn lazily)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer=text_features, sublinear_tf=True, min_df=min_df, max_features=max_features,
                    dtype=np.float32,
                ),
            ),
            ("clf", LogisticRegression(C=c, max_iter=3000, random_state=seed, class_weight=class_weight)),
        ]
    )


def display_term(feature: str) -> str:
    """Human-readable form of a feature name (drops the char-n-gram marker)."""
    return feature[1:] if feature.startswith("#") and len(feature) > 1 else feature


def count_matrix(vocab: dict[str, int], docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
    """Term counts of each document's features over ``vocab`` (unknown features dropped)."""
    flat: list[str] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    for i, feats in enumerate(docs):
        flat.extend(feats)
        lengths[i] = len(feats)
    # dict.get mapped in C (no Python-level loop per feature); -1 marks unknown features.
    idx = np.fromiter(map(vocab.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(len(docs)), lengths)
    keep = idx >= 0
    m = sp.coo_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], idx[keep])), shape=(len(docs), len(vocab))
    ).tocsr()  # duplicates are summed
    m.sort_indices()
    return m


@dataclass
class LinearModel:
    """TF-IDF (sublinear tf, l2 norm) + linear classifier as plain arrays."""

    classes: list[str]
    vocab: dict[str, int]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_classes or 1, n_features)
    intercept: np.ndarray  # (n_classes or 1,)
    _coef_t: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_pipeline(cls, pipe: Any, classes: Sequence[str]) -> LinearModel:
        vec, clf = pipe.named_steps["tfidf"], pipe.named_steps["clf"]
        vocab = {str(k): int(v) for k, v in vec.vocabulary_.items()}
        return cls(
            classes=[str(c) for c in classes],
            vocab=vocab,
            idf=np.asarray(vec.idf_, dtype=np.float32),
            coef=np.asarray(clf.coef_, dtype=np.float32),
            intercept=np.asarray(clf.intercept_, dtype=np.float32),
        )

    @property
    def terms(self) -> list[str]:
        """Feature names in column order."""
        return sorted(self.vocab, key=self.vocab.__getitem__)

    def to_state(self) -> dict[str, Any]:
        # Terms as one newline-joined string: unpickles far faster than a dict of 10^5 strings.
        return {"format": 1, "classes": self.classes, "terms": "\n".join(self.terms), "idf": self.idf,
                "coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LinearModel:
        terms = state["terms"].split("\n")
        return cls(state["classes"], dict(zip(terms, range(len(terms)), strict=True)), state["idf"],
                   state["coef"], state["intercept"])

    def tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Raw counts over this model's vocabulary → l2-normalised sublinear tf-idf."""
        data = np.log(counts.data, dtype=np.float32) + np.float32(1.0)
        data *= self.idf[counts.indices]
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=counts.shape[0]))
        norms[norms == 0] = 1.0
        data /= norms[rows].astype(np.float32)
        return sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)

    def prepare(self) -> np.ndarray:
        """The transposed weights, C-contiguous (sparse @ it is several times faster than @ coef.T)."""
        if self._coef_t is None or self._coef_t.shape[0] != self.coef.shape[1]:
            self._coef_t = np.ascontiguousarray(self.coef.T)
        return self._coef_t

    def proba_from_tfidf(self, x: sp.csr_matrix) -> np.ndarray:
        """Class probabilities, columns in ``self.classes`` order."""
        scores = np.asarray(x @ self.prepare()) + self.intercept
        if self.coef.shape[0] == 1:
            p1 = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def class_weights(self, class_index: int) -> np.ndarray:
        """Per-feature weight pushing toward ``class_index`` (for explanations)."""
        if self.coef.shape[0] == 1:
            return self.coef[0] if class_index == 1 else -self.coef[0]
        return self.coef[class_index]

    def counts(self, docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
        return count_matrix(self.vocab, docs)

    def predict_proba_features(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        return self.proba_from_tfidf(self.tfidf(self.counts(docs)))
