"""yuqing NLP: segmentation, topic rules, classifiers, near-duplicates, events and bursts.

Pure logic, no database or network (DESIGN §2). The pipeline calls :func:`analyze` or keeps an
:class:`Analyzer` (``Analyzer.load(topics, models_dir)``) and calls ``analyze(posts)`` on it.
Importing ``nlp`` (or its leaf modules such as ``nlp.categories``, which the config imports)
loads nothing heavy: the analyzer and its numeric stack are imported on first use, so a
crawl process that never analyses does not pay for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.analyze import Analysis, Analyzer, PostInput

__all__ = ["Analysis", "Analyzer", "PostInput", "analyze"]

_default: Analyzer | None = None


def __getattr__(name: str) -> Any:
    if name in ("Analysis", "Analyzer", "PostInput"):
        import importlib

        return getattr(importlib.import_module("nlp.analyze"), name)
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")


def analyze(posts: Sequence[PostInput], analyzer: Analyzer | None = None) -> list[Analysis]:
    """Analyse a batch with ``analyzer`` or a process-wide default one (shipped models, no topics)."""
    global _default
    if analyzer is None:
        if _default is None:
            from nlp.analyze import Analyzer

            _default = Analyzer.load(())
        analyzer = _default
    return analyzer.analyze(posts)
