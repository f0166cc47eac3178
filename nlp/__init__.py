"""yuqing NLP: segmentation, topic rules, classifiers, near-duplicates, events and bursts.

Pure logic, no database or network (DESIGN §2). The pipeline calls :func:`analyze` or keeps an
:class:`Analyzer` (``Analyzer.load(topics, models_dir)``) and calls ``analyzer.analyze(posts)``.
Nothing heavy happens at import time.
"""

from __future__ import annotations

from collections.abc import Sequence

from nlp.analyze import Analysis, Analyzer, PostInput

__all__ = ["Analysis", "Analyzer", "PostInput", "analyze"]

_default: Analyzer | None = None


def analyze(posts: Sequence[PostInput], analyzer: Analyzer | None = None) -> list[Analysis]:
    """Analyse a batch with ``analyzer`` or a process-wide default one (shipped models, no topics)."""
    global _default
    if analyzer is None:
        if _default is None:
            _default = Analyzer.load(())
        analyzer = _default
    return analyzer.analyze(posts)
