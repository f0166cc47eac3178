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
from pathlib import Path

from nlp.models import MODEL_NAMES, SPECS
from nlp.train import DEFAULT_MODELS_DIR, train_model, write_bundle

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
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.splits_only:
        for name in args.models:
            card = train_model(name, None, args.out, data_dir=args.data, keep_pipeline=args.keep_pipeline,
                               bundle=False, refit_on_validation=not args.dev)
            log.info("%s %s validation %s", name, card.version, json.dumps(card.metrics))
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


if __name__ == "__main__":
    raise SystemExit(main())
