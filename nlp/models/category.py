"""Category model: the seed's response categories (DESIGN §1), from rules plus weak labels.

Until analysts' labels exist, training labels are weak: on the rumour and topic texts, the category
cue with most hits (``nlp.categories.CATEGORY_CUES``), otherwise ``other`` (capped so it does not
swamp the rest). The rumour dataset's labels are NOT used here: the rumour model decides that
category (:mod:`nlp.analyze` raises the ``rumour`` score to P(rumour) when it is ≥ 0.5), and the
classifier generalises beyond the literal cues; :mod:`nlp.analyze` blends its probabilities with
the cue scores. Analysts' labels passed to
``train_model`` as extra records are appended (and count as strong labels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp.categories import Category, weak_category
from nlp.models.spec import ModelSpec, Record, bucket, hand_written, read_jsonl

VAL_PERCENT = 10
MAX_OTHER = 1500


def parse_category(raw: Any) -> str:
    try:
        return Category(str(raw).strip().lower()).value
    except ValueError:
        raise ValueError(f"expected one of {[c.value for c in Category]}, got {raw!r}") from None


def _data(data_dir: Path) -> tuple[list[Record], list[Record], str]:
    records: list[Record] = []
    n_other = 0
    for r in read_jsonl(data_dir / "rumour" / "train.jsonl"):
        cat = weak_category(r["text"])
        if cat is Category.OTHER:
            if n_other >= MAX_OTHER:
                continue
            n_other += 1
        records.append({"text": r["text"], "label": cat.value, "key": r["cluster"]})
    for r in read_jsonl(data_dir / "topic" / "train.jsonl"):
        cat = weak_category(r["text"])
        if cat is not Category.OTHER:
            records.append({"text": r["text"], "label": cat.value, "key": r["id"]})
    records.extend(hand_written("category"))
    train = [r for r in records if bucket(str(r.get("key", r["text"]))) >= VAL_PERCENT]
    val = [r for r in records if bucket(str(r.get("key", r["text"]))) < VAL_PERCENT]
    desc = "weak labels: category cues on rumour/train.jsonl and topic/train.jsonl texts (md5 10% validation)"
    return train, val, desc


SPEC = ModelSpec("category", tuple(c.value for c in Category), None, parse_category, c=3.0,
                 max_features=50_000, default_data=_data)
