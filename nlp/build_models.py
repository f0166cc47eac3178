"""Rebuild the default models shipped in ``nlp/resources/models`` from the shared data.

Usage: ``python -m nlp.build_models [--data ../shared/data] [--out nlp/resources/models]
[--val-dir build] [--splits-only] [--dev] [MODEL ...]``. Deterministic: fixed seeds, md5 splits.
Each model's validation split is written to ``build/NAME_val.jsonl``. The card's metrics are those
of a fit that never saw it; models whose spec says ``refit_on_validation`` (rumour, sentiment) are
then refit on train + validation for shipping, so to reproduce their card's numbers with
``yuqing eval NAME --data build/NAME_val.jsonl --models build/dev``, first build the train-only fits
with ``python -m nlp.build_models --dev --out build/dev``.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from nlp.corpus import load_items, records, time_split
from nlp.models import MODEL_NAMES, SPECS
from nlp.train import (
    DEFAULT_MODELS_DIR,
    ModelCard,
    bootstrap_intervals,
    load_card,
    load_linear,
    parse_records,
    predict_labels,
    score,
    train_model,
    write_bundle,
)
from nlp.validation_report import keyword_net_labels

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"

log = logging.getLogger("nlp.build_models")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("models", nargs="*", default=list(MODEL_NAMES))
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODELS_DIR)
    ap.add_argument("--val-dir", type=Path, default=Path("build"),
                    help="where to write each model's validation split as NAME_val.jsonl (for `yuqing eval`)")
    ap.add_argument("--splits-only", action="store_true", help="only write the validation splits")
    ap.add_argument("--keep-pipeline", action="store_true", help="also save the sklearn Pipeline")
    ap.add_argument("--dev", action="store_true",
                    help="never refit on the validation data (train-only models, for development numbers)")
    ap.add_argument("--story-terms", action="store_true",
                    help="rebuild the story term table (nlp/resources/story_terms.npz) from the corpus and the "
                         "shared training texts")
    ap.add_argument("--previous", type=Path, default=None,
                    help="models folder of the models these replace: scored on the same validation files")
    ap.add_argument("--dev-models", type=Path, default=None,
                    help="train-only fits (--dev) whose scores the card reports per subset")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.story_terms:
        build_story_terms(args.data)
    if not args.splits_only:
        for name in args.models:
            card = train_model(name, None, args.out, data_dir=args.data, keep_pipeline=args.keep_pipeline,
                               bundle=False, refit_on_validation=not args.dev)
            log.info("%s %s validation %s", name, card.version, json.dumps(card.metrics))
            if SPECS[name].needs_shared_data is False:
                add_comparisons(card, args.out, args.previous, args.dev_models or args.out)
        log.info("serving bundle: %s", write_bundle(args.out))
    args.val_dir.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        _, val, _ = SPECS[name].default_data(args.data)
        path = args.val_dir / f"{name}_val.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for rec in val:
                fh.write(json.dumps({"text": rec["text"], "label": rec["label"]}, ensure_ascii=False) + "\n")
        log.info("wrote the %s validation split (%d records) to %s", name, len(val), path)
    return 0


def build_story_terms(data: Path) -> None:
    """Document frequencies for story linking: corpus texts and the shared training texts."""
    from nlp.stories import build_term_table
    from nlp.tokenize import tokenize

    def docs() -> Iterator[Sequence[str]]:
        for item in load_items():
            yield tokenize(item["text"]).content
        for name in ("topic/train.jsonl", "rumour/train.jsonl", "sentiment/train.jsonl"):
            with (data / name).open(encoding="utf-8") as fh:
                for line in fh:
                    yield tokenize(json.loads(line)["text"]).content

    build_term_table(docs())


def add_comparisons(card: ModelCard, out: Path, previous: Path | None, scored: Path) -> None:
    """Score the validation files of a corpus model per subset (titles, posts) with the train-only
    model, the keyword net (relevance) and the model it replaces; write them into the card."""
    spec = SPECS[card.name]
    _, val = time_split(load_items())
    subsets = {"all": records(card.name, val)}
    for kind in ("title", "post"):
        subsets[kind + "s"] = [r for r in subsets["all"] if r["kind"] == kind]
    comparisons: dict[str, dict[str, dict[str, float]]] = {}
    predictors = {"model (train-only fit)": scored}
    if previous is not None and (previous / f"{card.name}.joblib").exists():
        predictors["replaced model " + (c.version if (c := load_card(card.name, previous)) else "")] = previous
    for label, folder in predictors.items():
        model = load_linear(card.name, folder)
        comparisons[label] = {}
        for subset, recs in subsets.items():
            if not recs:
                continue
            y_true = [str(r["label"]) for r in recs]
            y_pred = predict_labels(spec, parse_records(card.name, recs), model)
            comparisons[label][subset] = score(spec, y_true, y_pred)
            if folder == scored:
                for metric, ci in bootstrap_intervals(spec, y_true, y_pred).items():
                    card.intervals[f"{subset}.{metric}"] = ci
    if card.name == "relevance":
        topics = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["topics"]
        comparisons["keyword net (config.yaml topics)"] = {
            subset: score(spec, [str(r["label"]) for r in recs], keyword_net_labels(topics, [r["text"] for r in recs]))
            for subset, recs in subsets.items() if recs}
    card.comparisons = comparisons
    (out / f"{card.name}.card.json").write_text(card.to_json(), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
