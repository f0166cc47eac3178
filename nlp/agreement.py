"""Agreement between annotators, majority adjudication, and clustering scores (B-cubed).

Used to build the annotated corpus (``nlp/resources/corpus``, see its DATASHEET.md) and to score
story clustering against annotated story groups. Pure functions on plain data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa of two annotators' labels on the same items (1.0 when both are constant and equal)."""
    if len(a) != len(b):
        raise ValueError("kappa needs the same items from both annotators")
    n = len(a)
    if n == 0:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def majority(labels: Sequence[Any], tie_breaker: Any = None) -> tuple[Any, str]:
    """The label most annotators gave, and how it was reached.

    ``unanimous`` (all agree), ``majority`` (more than half), else the ``tie_breaker`` (the
    adjudicator's label) when given: ``adjudicated``; otherwise the first label: ``tie``.
    """
    if not labels:
        raise ValueError("no labels")
    counts = Counter(labels).most_common()
    top, n = counts[0]
    if n == len(labels):
        return top, "unanimous"
    if n * 2 > len(labels):
        return top, "majority"
    if tie_breaker is not None:
        return tie_breaker, "adjudicated"
    return labels[0], "tie"


def bcubed(gold: Mapping[K, Hashable], predicted: Mapping[K, Hashable]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of a clustering against gold clusters (items in both)."""
    items = [i for i in gold if i in predicted]
    if not items:
        raise ValueError("no items in common")
    gold_members: dict[Hashable, set[K]] = {}
    pred_members: dict[Hashable, set[K]] = {}
    for i in items:
        gold_members.setdefault(gold[i], set()).add(i)
        pred_members.setdefault(predicted[i], set()).add(i)
    precision = recall = 0.0
    for i in items:
        g, p = gold_members[gold[i]], pred_members[predicted[i]]
        both = len(g & p)
        precision += both / len(p)
        recall += both / len(g)
    precision /= len(items)
    recall /= len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": float(len(items)), "precision": precision, "recall": recall, "f1": f1}
