"""The one entry point the pipeline calls: ``Analyzer.load(topics).analyze(posts)``.

Per batch, each post's title and text are normalised and segmented once (:mod:`nlp.tokenize`); the
same tokens feed the feature lookup shared by all four models (:class:`nlp.models.base.FeatureSpace`),
the MinHash signature and the event clusterer. Topic rules run on the raw title and body, so match
offsets point into the strings the pipeline stored.

Events are assigned in the same call: the analyzer owns an :class:`nlp.events.EventClusterer`
(``analyzer.events``), and every :class:`Analysis` carries ``event_key`` and ``dup_key``. After a
restart, call ``analyzer.events.rebuild(...)`` with the recent posts' ``(id, content_words, time)``
(``Analysis.content_words``) before analysing new ones, or store and reuse the keys. Naive
``published_at`` values are taken as UTC; a post without a time gets the latest time seen.

Models load lazily on the first :meth:`Analyzer.analyze` (``load`` itself only compiles the rules)
and never import scikit-learn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nlp.categories import Category, rule_category_scores
from nlp.dedup import shingles, signatures
from nlp.events import EventClusterer
from nlp.models import MODEL_NAMES
from nlp.models.base import FeatureSpace, LinearModel, features
from nlp.rules import TopicMatcher
from nlp.tokenize import stopwords, tokenize
from nlp.train import DEFAULT_MODELS_DIR, load_space

log = logging.getLogger(__name__)

N_EXPLAIN = 5
RULE_WEIGHT = 0.4  # share of the cue scores in the blended category scores


@dataclass(frozen=True, slots=True)
class PostInput:
    id: int
    title: str
    text: str
    source: str
    url: str
    published_at: datetime | None


@dataclass(slots=True)
class Analysis:
    post_id: int
    model_version: str
    relevance: float
    rumour: float
    sentiment: str
    negative: float
    category: str
    category_scores: dict[str, float]
    topics: list[str]
    matches: list[dict[str, Any]]
    explanations: dict[str, list[tuple[str, float]]]
    is_relevant: bool
    event_key: str | None = None
    dup_key: str | None = None
    content_words: tuple[str, ...] = field(default=(), repr=False)


def _topic_tuples(topics: Iterable[Any]) -> list[tuple[str, str, str]]:
    """Accept ``(name, expression[, scope])`` tuples, dicts, or config objects with those attributes."""
    out = []
    for t in topics:
        if isinstance(t, dict):
            out.append((t["name"], t["expression"], t.get("scope", "all")))
        elif isinstance(t, list | tuple):
            out.append((t[0], t[1], t[2] if len(t) > 2 else "all"))
        else:
            out.append((t.name, t.expression, getattr(t, "scope", "all")))
    return out


class Analyzer:
    """Holds compiled topic rules, the models (loaded on first use) and the event clusterer."""

    def __init__(
        self, matcher: TopicMatcher, models_dir: Path, relevance_threshold: float = 0.5,
        events: EventClusterer | None = None,
    ) -> None:
        self.matcher = matcher
        self.models_dir = models_dir
        self.relevance_threshold = relevance_threshold
        self.events = events if events is not None else EventClusterer()
        self._space: FeatureSpace | None = None
        self._models: dict[str, LinearModel] = {}
        self.model_version = ""
        self._last_time: datetime | None = None

    @classmethod
    def load(
        cls, topics: Iterable[Any] = (), models_dir: Path | None = None, *, relevance_threshold: float = 0.5,
        events: EventClusterer | None = None,
    ) -> Analyzer:
        matcher = TopicMatcher.from_topics(_topic_tuples(topics))
        return cls(matcher, Path(models_dir or DEFAULT_MODELS_DIR), relevance_threshold, events)

    def warm(self) -> None:
        """Load the models and the segmenter now (otherwise the first ``analyze`` does it)."""
        if self._space is not None:
            return
        space, versions = load_space(self.models_dir)
        self._models = {name: space.global_model(name) for name in MODEL_NAMES}
        self.model_version = "+".join(versions[n] or f"{n}-unversioned" for n in MODEL_NAMES)
        tokenize("预热")
        self._space = space

    def _time(self, post: PostInput) -> datetime:
        t = post.published_at
        if t is None:
            t = self._last_time or datetime.now(UTC)
        elif t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        if self._last_time is None or t > self._last_time:
            self._last_time = t
        return t

    def analyze(self, posts: Sequence[PostInput]) -> list[Analysis]:
        self.warm()
        assert self._space is not None
        if not posts:
            return []
        toks = [tokenize(f"{p.title}\n{p.text}" if p.title else p.text) for p in posts]
        counts = self._space.counts([features(t) for t in toks])
        probs: dict[str, np.ndarray] = {}
        expl: dict[str, list[list[tuple[str, float]]]] = {}
        for name, model in self._models.items():
            x = model.tfidf(counts)
            probs[name] = model.proba_from_tfidf(x)
            expl[name] = self._explain(name, model, x, probs[name])
        contents = [t.content for t in toks]
        shs = [shingles(c) for c in contents]
        sigs = signatures(shs)
        out = []
        sent_classes = self._models["sentiment"].classes
        cat_classes = self._models["category"].classes
        neg_col = sent_classes.index("neg")
        for i, post in enumerate(posts):
            rel = float(probs["relevance"][i, 1])
            rum = float(probs["rumour"][i, 1])
            cat_scores = self._category_scores(post, rum, probs["category"][i], cat_classes)
            topic_matches = self.matcher.match(post.title, post.text)
            assignment = self.events.add(post.id, sigs[i], len(shs[i]), self._time(post))
            out.append(
                Analysis(
                    post_id=post.id,
                    model_version=self.model_version,
                    relevance=rel,
                    rumour=rum,
                    sentiment=sent_classes[int(np.argmax(probs["sentiment"][i]))],
                    negative=float(probs["sentiment"][i, neg_col]),
                    category=max(cat_scores, key=lambda k: cat_scores[k]),
                    category_scores=cat_scores,
                    topics=sorted(topic_matches),
                    matches=[
                        {"term": h.term, "field": h.field, "start": h.start, "end": h.end, "topic": name}
                        for name, m in sorted(topic_matches.items())
                        for h in m.hits
                    ],
                    explanations={name: expl[name][i] for name in expl},
                    is_relevant=rel >= self.relevance_threshold,
                    event_key=assignment.event_key,
                    dup_key=assignment.dup_key,
                    content_words=contents[i],
                )
            )
        return out

    def _category_scores(self, post: PostInput, rumour: float, model_p: np.ndarray,
                         classes: list[str]) -> dict[str, float]:
        """Blend the category model with the cue rules; the rumour model sets the rumour floor."""
        cues = rule_category_scores(f"{post.title}\n{post.text}")
        has_cue = any(cues.values())
        scores = {}
        for c in Category:
            m = float(model_p[classes.index(c.value)]) if c.value in classes else 0.0
            scores[c.value] = (1 - RULE_WEIGHT) * m + RULE_WEIGHT * cues.get(c.value, 0.0) if has_cue else m
        scores[Category.RUMOUR.value] = max(scores[Category.RUMOUR.value], rumour if rumour >= 0.5 else 0.0)
        return {k: round(v, 4) for k, v in scores.items()}

    def _explain(self, name: str, model: LinearModel, x: Any, proba: np.ndarray) -> list[list[tuple[str, float]]]:
        """Top words by tf-idf × coefficient toward the predicted class.

        Binary models: the words with the largest |contribution|, signed (positive pushes toward
        relevant / rumour). Character n-gram features count in the score but are not listed.
        """
        assert self._space is not None
        terms = self._space.terms
        stop = stopwords()
        binary = model.coef.shape[0] == 1
        pred = np.ones(len(proba), dtype=int) if binary else np.argmax(proba, axis=1)
        weights = {c: model.class_weights(c) for c in set(pred.tolist())}
        out = []
        indptr, indices, data = x.indptr, x.indices, x.data
        for i in range(x.shape[0]):
            lo, hi = indptr[i], indptr[i + 1]
            contrib = data[lo:hi] * weights[int(pred[i])][indices[lo:hi]]
            order = np.argsort(-np.abs(contrib)) if binary else np.argsort(-contrib)
            seen: dict[str, float] = {}
            for j in order:
                feature = terms[indices[lo + j]]
                if feature.startswith("#") or all(w in stop or w.isdigit() for w in feature.split(" ")):
                    continue  # character n-grams and function words: explain with content words
                term = feature
                if term not in seen and contrib[j] != 0 and (binary or contrib[j] > 0):
                    seen[term] = round(float(contrib[j]), 4)
                if len(seen) == N_EXPLAIN:
                    break
            out.append(list(seen.items()))
        return out
