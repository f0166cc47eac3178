"""The one entry point the pipeline calls: ``Analyzer.load(topics).analyze(posts)``.

Per batch, each post's title and text are normalised and segmented once (:mod:`nlp.tokenize`); the
same tokens feed the feature lookup shared by all four models (:class:`nlp.models.base.FeatureSpace`),
the MinHash signature and the event clusterer. Topic rules run on the raw title and body, so match
offsets point into the strings the pipeline stored.

Events are assigned in the same call: the analyzer owns an :class:`nlp.events.EventClusterer`
(``analyzer.events``), and every :class:`Analysis` carries ``event_key`` and ``dup_key``. After a
restart, call ``analyzer.events.rebuild(...)`` with the recent posts' ``(id, content_words, time,
thread)`` (``Analysis.content_words``, ``PostInput.thread``) before analysing new ones, or store
and reuse the keys. Naive ``published_at`` values are taken as UTC; a post without a time gets the latest time seen.
``analyze(posts, assign_events=False)`` leaves the keys for a later :meth:`Analyzer.assign_events`
(the pipeline assigns them in step with other workers; each result keeps its MinHash ``signature``).

Models load lazily on the first :meth:`Analyzer.analyze` (``load`` itself only compiles the rules)
and never import scikit-learn.

Explanations: every post gets the words that pushed its relevance score most; relevant posts (the
ones analysts review) also get them for rumour, sentiment and category; for the others those lists
are empty (computing them for every discarded post would cost ~10 % of the analysis).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from nlp.categories import CUE_ORDER, Category, cue_scores
from nlp.content_words import is_content_term
from nlp.dedup import signatures
from nlp.events import EventClusterer
from nlp.models import MODEL_NAMES
from nlp.models.base import LinearModel
from nlp.models.space import FeatureSpace
from nlp.rules import TopicMatcher
from nlp.stories import StoryIndex, story_terms_batch
from nlp.tokenize import normalize_for_match, tokenize
from nlp.train import DEFAULT_MODELS_DIR, load_space

log = logging.getLogger(__name__)

N_EXPLAIN = 5
RULE_WEIGHT = 0.4  # share of the cue scores in the blended category scores
RUMOUR_ALONE = 0.8  # P(rumour) at which the rumour model sets the rumour category without a cue


@dataclass(frozen=True, slots=True)
class PostInput:
    id: int
    title: str
    text: str
    source: str
    url: str
    published_at: datetime | None
    thread: str | None = None  # forum thread (e.g. its URL): posts of one thread form one event


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
    signature: np.ndarray | None = field(default=None, repr=False)  # MinHash of the content words
    story_terms: np.ndarray | None = field(default=None, repr=False)  # nlp.stories.story_terms

    @property
    def word_count(self) -> int:
        """Distinct content words: posts with few only join events as near-duplicates."""
        return len(set(self.content_words))


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


def _with_title_words(words: Sequence[str], title: str) -> Sequence[str]:
    """A post's content words, each distinct word of its title twice more (headlines name the story)."""
    if not title:
        return words
    in_title = [w for w in dict.fromkeys(words) if w in title]
    return [*words, *in_title, *in_title]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a batch.

    A batch allocates tens of container objects per post, none of them cyclic garbage; with the
    collector on, its young-generation passes cost ~15 % of the analysis. Collection resumes (and
    catches up) as soon as the batch is done. Reference counting frees memory as usual meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Analyzer:
    """Holds compiled topic rules, the models (loaded on first use) and the event clusterer."""

    def __init__(
        self, matcher: TopicMatcher, models_dir: Path, relevance_threshold: float = 0.5,
        events: EventClusterer | None = None,
    ) -> None:
        self.matcher = matcher
        self.models_dir = models_dir
        self.relevance_threshold = relevance_threshold
        self.events = events if events is not None else EventClusterer(stories=StoryIndex())
        self._space: FeatureSpace | None = None
        self._models: dict[str, LinearModel] = {}
        self.model_version = ""
        self._last_time: datetime | None = None
        self._content: np.ndarray | None = None  # per feature: content word (1), not (0), unknown (-1)

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
        for model in self._models.values():
            model.prepare()
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

    def analyze(self, posts: Sequence[PostInput], *, assign_events: bool = True) -> list[Analysis]:
        """Analyse a batch (any size; a few hundred posts amortise the numpy work best).

        With ``assign_events=False`` the results carry their signatures but no event keys yet:
        the caller decides when to :meth:`assign_events` (the pipeline does it in step with
        other workers, see :mod:`pipeline.event_sync`).
        """
        with _gc_paused():
            results = self._analyze(posts)
            if assign_events:
                self.assign_events(results, posts)
            return results

    def assign_events(self, results: Sequence[Analysis], posts: Sequence[PostInput]) -> None:
        """Put analysed posts into the event clusterer, in this order; sets their event and dup keys."""
        if not results:
            return
        by_id = {p.id: p for p in posts}
        chosen = [by_id[r.post_id] for r in results]
        sigs = np.stack([r.signature for r in results if r.signature is not None])
        if len(sigs) != len(results):
            raise ValueError("assign_events needs the signatures analyze() computed")
        assignments = self.events.add_batch([p.id for p in chosen], sigs, [r.word_count for r in results],
                                            [self._time(p) for p in chosen], [p.thread for p in chosen],
                                            [r.story_terms for r in results])
        for result, assignment in zip(results, assignments, strict=True):
            result.event_key = assignment.event_key
            result.dup_key = assignment.dup_key

    def _analyze(self, posts: Sequence[PostInput]) -> list[Analysis]:
        self.warm()
        assert self._space is not None
        if not posts:
            return []
        # Translate each field once (offset-preserving); rules, cues and segmentation reuse it.
        titles = [normalize_for_match(p.title) if p.title else "" for p in posts]
        bodies = [normalize_for_match(p.text) for p in posts]
        texts = [f"{t}\n{b}" if t else b for t, b in zip(titles, bodies, strict=True)]
        toks = [tokenize(t, matched=True) for t in texts]
        counts = self._space.counts(toks)
        probs: dict[str, np.ndarray] = {}
        expl: dict[str, list[list[tuple[str, float]]]] = {}
        relevant_rows: np.ndarray | None = None
        for name, model in self._models.items():  # relevance first
            x = model.tfidf(counts)
            probs[name] = model.proba_from_tfidf(x)
            if relevant_rows is None:
                expl[name] = self._explain(model, x, probs[name])
                relevant_rows = np.flatnonzero(probs[name][:, 1] >= self.relevance_threshold)
            else:  # the other models explain relevant posts only (what analysts review)
                sub_expl = self._explain(model, x[relevant_rows], probs[name][relevant_rows])
                full: list[list[tuple[str, float]]] = [[] for _ in range(len(posts))]
                for row, e in zip(relevant_rows.tolist(), sub_expl, strict=True):
                    full[row] = e
                expl[name] = full
        rel = probs["relevance"][:, 1].tolist()
        rum = probs["rumour"][:, 1]
        sent = self._models["sentiment"]
        sentiments = [sent.classes[i] for i in probs["sentiment"].argmax(axis=1)]
        negative = probs["sentiment"][:, sent.classes.index("neg")].tolist()
        cat = self._category_matrix(texts, rum, probs["category"])
        best = [CUE_ORDER[i].value for i in cat.argmax(axis=1)]
        cat_rows = np.round(cat, 4).tolist()
        cat_names = [c.value for c in CUE_ORDER]
        contents = [t.content for t in toks]
        sigs = signatures(contents)
        matched = [self.matcher.match(t, b, normalized=True) for t, b in zip(titles, bodies, strict=True)]
        # story linking serves the office's events: relevant posts and topic hits only
        linked = [i for i in range(len(posts)) if rel[i] >= self.relevance_threshold or matched[i]]
        stories: list[np.ndarray | None] = [None] * len(posts)
        for i, terms in zip(linked, story_terms_batch([_with_title_words(contents[i], titles[i]) for i in linked]),
                            strict=True):
            stories[i] = terms
        rum_list = rum.tolist()
        out = []
        for i, post in enumerate(posts):
            topic_matches = matched[i]
            out.append(
                Analysis(
                    post_id=post.id,
                    model_version=self.model_version,
                    relevance=rel[i],
                    rumour=rum_list[i],
                    sentiment=sentiments[i],
                    negative=negative[i],
                    category=best[i],
                    category_scores=dict(zip(cat_names, cat_rows[i], strict=True)),
                    topics=sorted(topic_matches),
                    matches=[
                        {"term": h.term, "field": h.field, "start": h.start, "end": h.end, "topic": name}
                        for name, m in sorted(topic_matches.items())
                        for h in m.hits
                    ],
                    explanations={name: e[i] for name, e in expl.items()},
                    is_relevant=rel[i] >= self.relevance_threshold,
                    content_words=contents[i],
                    signature=sigs[i],
                    story_terms=stories[i],
                )
            )
        return out

    def _category_matrix(self, texts: Sequence[str], rumour: np.ndarray, model_p: np.ndarray) -> np.ndarray:
        """Category scores, columns in ``CUE_ORDER``: the category model blended with the cue rules
        (where a post has cues), and the rumour model setting the ``rumour`` floor when P ≥ 0.8, or
        P ≥ 0.5 with a rumour cue."""
        classes = self._models["category"].classes
        m = np.zeros((len(texts), len(CUE_ORDER)))
        for col, c in enumerate(CUE_ORDER):
            if c.value in classes:
                m[:, col] = model_p[:, classes.index(c.value)]
        cues = cue_scores(texts)
        has_cue = cues.sum(axis=1, keepdims=True) > 0
        scores = np.where(has_cue, (1 - RULE_WEIGHT) * m + RULE_WEIGHT * cues, m)
        col = CUE_ORDER.index(Category.RUMOUR)
        # The rumour model learnt generic 2010s Weibo rumours: in the office's field it sets the
        # category alone only when confident; otherwise a rumour cue (网传, 据传, 求证...) must agree.
        corroborated = (rumour >= RUMOUR_ALONE) | ((rumour >= 0.5) & (cues[:, col] > 0))
        scores[:, col] = np.maximum(scores[:, col], np.where(corroborated, rumour, 0.0))
        return scores

    def _content_terms(self, indices: np.ndarray) -> np.ndarray:
        """Whether each feature index is a content word, memoised per feature (-1: not yet known)."""
        assert self._space is not None
        if self._content is None:
            self._content = np.full(len(self._space.terms), -1, dtype=np.int8)
        known = self._content[indices]
        if (known < 0).any():
            terms = self._space.terms
            for j in np.unique(indices[known < 0]).tolist():
                self._content[j] = is_content_term(terms[j])
            known = self._content[indices]
        return known == 1

    def _explain(self, model: LinearModel, x: Any, proba: np.ndarray) -> list[list[tuple[str, float]]]:
        """Top words by tf-idf × coefficient toward the predicted class, for the whole batch at once.

        Binary models: the words with the largest |contribution|, signed (positive pushes toward
        relevant / rumour). Character n-grams, stopwords and numbers count in the score but are not
        listed (``FeatureSpace.explainable``).
        """
        assert self._space is not None
        n = x.shape[0]
        rows = np.repeat(np.arange(n), np.diff(x.indptr))
        mask = self._space.explainable[x.indices]
        terms = self._space.terms
        mask[mask] = self._content_terms(x.indices[mask])  # name content words only
        rows, indices, data = rows[mask], x.indices[mask], x.data[mask]
        if model.coef.shape[0] == 1:
            contrib = data * model.coef[0][indices]
            key = -np.abs(contrib)
            keep = contrib != 0
        else:
            contrib = data * model.coef[proba.argmax(axis=1)[rows], indices]
            key = -contrib
            keep = contrib > 0
        rows, indices, contrib, key = rows[keep], indices[keep], contrib[keep], key[keep]
        # one sort on a composite key: row first, then the strongest contribution (key ≤ 0, |key| < 1e6)
        order = np.argsort(rows * 1e6 + np.maximum(key, -9.9e5), kind="stable")
        rows, indices, contrib = rows[order], indices[order], contrib[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, np.arange(n))[rows]
        top = rank < N_EXPLAIN
        names = [terms[j] for j in indices[top].tolist()]
        values = np.round(contrib[top], 4).tolist()
        bounds = np.searchsorted(rows[top], np.arange(n + 1)).tolist()
        return [list(zip(names[a:b], values[a:b], strict=True)) for a, b in pairwise(bounds)]
