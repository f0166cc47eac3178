"""The four classifiers: relevance, rumour, sentiment, category (see each module)."""

from __future__ import annotations

from nlp.models import category, relevance, rumour, sentiment
from nlp.models.spec import ModelSpec

SPECS: dict[str, ModelSpec] = {
    "relevance": relevance.SPEC,
    "rumour": rumour.SPEC,
    "sentiment": sentiment.SPEC,
    "category": category.SPEC,
}
MODEL_NAMES: tuple[str, ...] = tuple(SPECS)

__all__ = ["MODEL_NAMES", "SPECS", "ModelSpec"]
