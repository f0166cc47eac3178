"""Baselines a model card compares its model with, on the same validation file.

The keyword net is the office's own topic rules (``topics`` in the config): an item is called
relevant when any topic matches it, as an inbox of keyword hits would show it. It is the
baseline the relevance model must beat (before the corpus, the shipped model did not).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from nlp.rules import TopicMatcher


def keyword_net_labels(topics: Iterable[Any], texts: Sequence[str]) -> list[str]:
    """``"1"`` where any topic rule matches the text (as body), else ``"0"``."""
    from nlp.analyze import _topic_tuples

    matcher = TopicMatcher.from_topics(_topic_tuples(topics))
    return ["1" if matcher.match("", t) else "0" for t in texts]
