"""Rumour model: P(the post spreads a rumour / false information).

Trained on ``rumour/train.jsonl`` (CED + Ma-2016 Weibo), validated on ``rumour/val.jsonl``. Only the
text is used: dates, timestamps, user fields and t.cn links (removed by normalisation) never are,
because they are confounded with the label (data README). Any CV must group by ``cluster``.

Family-planning posts were taken out of the rumour files (reserved for evaluation), so the few
left are skewed (e.g. the character 胎 pushes toward rumour) and the model scored official
family-planning notices and opinions as likely rumours. 32 hand-written examples of our own
(``nlp/resources/examples/rumour.jsonl``: rumour-style claims about fines, subsidies and
registration, and notices, news, opinions and refutations in the same field) counter that: on the
NLPCC 开放二胎 opinion posts (mostly not rumours) the share scored ≥ 0.5 went 13.5 % → 10.5 %.
"""

from __future__ import annotations

from pathlib import Path

from nlp.models.spec import ModelSpec, Record, hand_written, parse_binary, read_jsonl


def _data(data_dir: Path) -> tuple[list[Record], list[Record], str]:
    train = [{"text": r["text"], "label": r["label"]} for r in read_jsonl(data_dir / "rumour" / "train.jsonl")]
    train.extend(hand_written("rumour"))
    val = [{"text": r["text"], "label": r["label"]} for r in read_jsonl(data_dir / "rumour" / "val.jsonl")]
    return train, val, ("rumour/train.jsonl, hand-written nlp/resources/examples/rumour.jsonl "
                        "(validation: rumour/val.jsonl)")


# Chosen by 5-fold CV grouped by ``cluster`` on train only, macro-F1: min_df 2 0.876, min_df 1 0.879
# (250k features) or 0.883 (400k, 4 of 5 folds better); C 20–50, class weights, NB weighting,
# feature-block weights, SVM/ridge/SGD were no better.
# The grouped-CV learning curve is steep (60 % of the clusters: 0.832, 80 %: 0.856, all: 0.876), so
# the shipped model is refit on train + val once the validation metrics are taken.
SPEC = ModelSpec("rumour", ("0", "1"), "1", parse_binary, c=30.0, max_features=400_000, default_data=_data,
                 min_df=1, refit_on_validation=True)
