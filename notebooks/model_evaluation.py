# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 模型评估 A model's evaluation
#
# How well one of the four classifiers (`relevance`, `rumour`, `sentiment`, `category`)
# does on labelled posts: the metrics `yuqing eval` reports and the confusion matrix
# (rows: the label; columns: what the model predicted), with the posts it got wrong.
#
# Two sets of labels are used when present: a labelled JSONL file (`DATA`, one
# `{"text": ..., "label": ...}` per line, the format of `yuqing train`/`yuqing eval`) and the
# labels analysts gave in the review app (the latest label per post wins, as in training).

# %% tags=["parameters"]
CONFIG = "../config.yaml"  # the yuqing config (relative to this folder): its database and nlp.models_dir
MODEL = "rumour"  # relevance | rumour | sentiment | category
DATA = ""  # a labelled JSONL file, or "" for the analysts' labels only

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from sqlalchemy.orm import Session

from alerts.digest.charts import cjk_font_family
from nlp.categories import CATEGORY_NAMES_ZH
from nlp.models.base import features
from nlp.tokenize import tokenize
from nlp.train import evaluate_model, load_card, load_labelled, load_linear, parse_records
from pipeline.config import load_config
from pipeline.db import engine_from_config
from pipeline.store.labels import training_records

config = load_config(Path(CONFIG))
engine = engine_from_config(config)
models_dir = config.path(config.nlp.models_dir) if config.nlp.models_dir else None  # None: the shipped models

# %% [markdown]
# ## The model

# %%
model = load_linear(MODEL, models_dir)
card = load_card(MODEL, models_dir)
pd.Series({"model": MODEL, "classes": list(model.classes), "version": card and card.version,
           "trained": card and card.created, "data": card and card.data,
           "validation metrics": card and card.metrics})

# %% [markdown]
# ## The labelled data

# %%
datasets = {}
if DATA:
    datasets[Path(DATA).name] = load_labelled(Path(DATA), MODEL)
with Session(engine) as session:
    analysts = training_records(session, MODEL)
if analysts:
    datasets["analysts' labels"] = parse_records(MODEL, analysts)
if not datasets:
    raise ValueError(f"no labels for {MODEL!r}: set DATA to a labelled JSONL file or label posts in the review app")
pd.DataFrame({name: pd.Series([r["label"] for r in records]).value_counts() for name, records in datasets.items()})

# %% [markdown]
# ## Metrics
#
# Exactly what `yuqing eval MODEL --data FILE --json` prints. For `relevance` and `rumour`,
# precision, recall and f1 are those of the positive class (1); for `sentiment` and
# `category` they are macro averages over the classes present in the labels.

# %%
metrics = pd.DataFrame({name: evaluate_model(MODEL, records, models_dir) for name, records in datasets.items()}).T
metrics

# %% [markdown]
# ## Confusion matrices
#
# The model's most probable class for each text. (One difference from the metrics above:
# a sentiment file without `neu` labels is scored there on neg/pos only, while here a
# `neu` prediction shows as its own column.)

# %%
def predict(texts: list[str]) -> list[str]:
    proba = model.predict_proba_features([features(tokenize(text)) for text in texts])
    return [model.classes[i] for i in proba.argmax(axis=1)]


def confusion(records: list[dict]) -> pd.DataFrame:
    """rows: the label, columns: the prediction, one cell per pair of the model's classes."""
    truth = pd.Series([r["label"] for r in records], name="label")
    predicted = pd.Series(predict([r["text"] for r in records]), name="predicted")
    classes = list(model.classes)
    return pd.crosstab(truth, predicted).reindex(index=classes, columns=classes, fill_value=0)


matrices = {name: confusion(records) for name, records in datasets.items()}
for name, matrix in matrices.items():
    display(matrix.style.set_caption(name).background_gradient(cmap="Blues"))

# %%
family = cjk_font_family()  # the digest's CJK font set-up: Chinese labels render, not boxes
if family:
    plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"

names_zh = {"1": "是", "0": "否", "neg": "负面", "neu": "中性", "pos": "正面",
            **{str(c): zh for c, zh in CATEGORY_NAMES_ZH.items()}}
fig, axes = plt.subplots(1, len(matrices), figsize=(4.5 * len(matrices), 4), squeeze=False)
for ax, (name, matrix) in zip(axes[0], matrices.items(), strict=True):
    ax.imshow(matrix.values, cmap="Blues")
    ticks = [names_zh.get(c, c) for c in matrix.columns]
    ax.set_xticks(range(len(ticks)), ticks, rotation=45)
    ax.set_yticks(range(len(ticks)), ticks)
    for (i, j), value in pd.DataFrame(matrix.values).stack().items():
        dark = value > matrix.values.max() / 2
        ax.text(j, i, str(value), ha="center", va="center", color="white" if dark else "black")
    ax.set_xlabel("模型预测")
    ax.set_ylabel("人工标注")
    ax.set_title(f"{MODEL}：{name}（{matrix.values.sum()} 条）")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What it got wrong

# %%
mistakes = []
for name, records in datasets.items():
    for record, predicted in zip(records, predict([r["text"] for r in records]), strict=True):
        if predicted != record["label"]:
            mistakes.append({"data": name, "label": record["label"], "predicted": predicted,
                             "text": record["text"][:80]})
pd.DataFrame(mistakes, columns=["data", "label", "predicted", "text"])

# %%
engine.dispose()
