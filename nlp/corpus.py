"""The annotated in-domain corpus (``nlp/resources/corpus``; see its DATASHEET.md): loading and splits.

Every item is labelled under ``ANNOTATION.md`` (relevance 1/0/borderline; category and tone when
relevant) by two independent annotators, a third on disagreements, majority wins. The models train
on it (:mod:`nlp.models`) and are validated on a split **by time**, as they are used: the latest
fifth of the hot-search titles by ``first_seen`` and, for posts, the latest fifth by post time
within each source that dates its posts (the rumour sets), or a stable md5 fifth within the sources
that do not (NLPCC 2016, the COVID-19 Weibo sets). Near-duplicates (same ``near_dup`` key) stay on
one side: the side of the group's earliest item.

``python -m nlp.corpus --out DIR`` writes the train/validation files per model as JSONL
(``{"text", "label"}``) for ``yuqing train --data`` / ``yuqing eval --data``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nlp.tokenize import RESOURCES

log = logging.getLogger(__name__)
CORPUS_DIR = RESOURCES / "corpus"
ITEMS = CORPUS_DIR / "items.jsonl"
WRITTEN = CORPUS_DIR / "synthetic.jsonl"  # written from the guideline, for training only
VAL_FRACTION = 0.2
DATED_POST_SOURCES = frozenset({"ced", "weibo_ma2016"})
LABEL_FIELD = {"relevance": "relevance", "category": "category", "sentiment": "tone"}

Item = dict[str, Any]


def near_dup_key(text: str) -> str:
    """The first 60 characters without links, spaces and punctuation (as the shared data's ``key``)."""
    text = re.sub(r"https?://t\.cn/\w+", "", text)
    return re.sub(r"[\W_]+", "", text)[:60]


def load_items(path: Path = ITEMS) -> list[Item]:
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _md5_bucket(key: str) -> int:
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % 100


def _latest_fifth(items: Sequence[Item], fraction: float) -> set[str]:
    ordered = sorted(items, key=lambda i: (i.get("first_seen") or "", i["id"]))
    cut = round(len(ordered) * (1 - fraction))
    if cut >= len(ordered):
        return set()
    boundary = ordered[cut].get("first_seen") or ""
    return {i["id"] for i in ordered if (i.get("first_seen") or "") >= boundary}


def time_split(items: Sequence[Item], fraction: float = VAL_FRACTION) -> tuple[list[Item], list[Item]]:
    """``(train, validation)``: see the module docstring."""
    val_ids: set[str] = set()
    titles = [i for i in items if i["kind"] == "title"]
    val_ids |= _latest_fifth(titles, fraction)
    posts = [i for i in items if i["kind"] != "title"]
    for source in sorted({p["source"] for p in posts}):
        mine = [p for p in posts if p["source"] == source]
        if source in DATED_POST_SOURCES:
            val_ids |= _latest_fifth(mine, fraction)
        else:
            val_ids |= {p["id"] for p in mine if _md5_bucket(p.get("near_dup") or p["id"]) < fraction * 100}
    # near-duplicates follow their group's earliest item
    side: dict[str, bool] = {}
    for item in sorted(items, key=lambda i: (i.get("first_seen") or "", i["id"])):
        key = item.get("near_dup") or item["id"]
        side.setdefault(key, item["id"] in val_ids)
    val = [i for i in items if side[i.get("near_dup") or i["id"]]]
    train = [i for i in items if not side[i.get("near_dup") or i["id"]]]
    return train, val


def records(model: str, items: Iterable[Item]) -> list[dict[str, Any]]:
    """``{"text", "label", "kind"}`` records for ``model`` (relevance, category or sentiment):
    borderline items are left out of relevance; category and tone come from relevant items only."""
    field = LABEL_FIELD[model]
    out = []
    for item in items:
        rel = item.get("relevance")
        if model == "relevance":
            if rel in (0, 1):
                out.append({"text": item["text"], "label": rel, "kind": item["kind"]})
        elif rel == 1 and item.get(field):
            out.append({"text": item["text"], "label": item[field], "kind": item["kind"]})
    return out


def written_examples(model: str, path: Path = WRITTEN) -> list[dict[str, Any]]:
    """Training records from the examples written from the guideline (DATASHEET.md): titles and posts
    of 2024-2026 topics the 2020-2023 pool lacks, and hard negatives. Never used for validation."""
    if not path.exists():
        return []
    return records(model, load_items(path))


def write_splits(out: Path, items: Sequence[Item] | None = None) -> dict[str, int]:
    """Write ``MODEL_train.jsonl`` and ``MODEL_val.jsonl`` (and per-kind relevance validation files)."""
    items = list(items) if items is not None else load_items()
    train, val = time_split(items)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    files: dict[str, list[dict[str, Any]]] = {}
    for model in LABEL_FIELD:
        files[f"{model}_train"] = records(model, train)
        files[f"{model}_val"] = records(model, val)
    for kind in ("title", "post"):
        files[f"relevance_val_{kind}s"] = [r for r in files["relevance_val"] if r["kind"] == kind]
    for name, recs in files.items():
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps({"text": r["text"], "label": r["label"]}, ensure_ascii=False) + "\n")
        counts[name] = len(recs)
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="write the corpus's time-split train/validation files")
    ap.add_argument("--out", type=Path, default=Path("build/corpus"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    counts = write_splits(args.out)
    log.info("%s", json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
