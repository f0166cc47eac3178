"""Rebuild the default models shipped in ``nlp/resources/models`` from the shared data.

Usage: ``python -m nlp.build_models [--data ../shared/data] [--out nlp/resources/models]
[--relevance-val build/relevance_val.jsonl] [MODEL ...]``. Deterministic: fixed seeds, md5 splits.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from nlp.models import MODEL_NAMES
from nlp.models.relevance import validation_split
from nlp.train import DEFAULT_MODELS_DIR, train_model, write_bundle

log = logging.getLogger("nlp.build_models")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("models", nargs="*", default=list(MODEL_NAMES))
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODELS_DIR)
    ap.add_argument("--relevance-val", type=Path, default=Path("build/relevance_val.jsonl"))
    ap.add_argument("--keep-pipeline", action="store_true", help="also save the sklearn Pipeline")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in args.models:
        card = train_model(name, None, args.out, data_dir=args.data, keep_pipeline=args.keep_pipeline,
                           bundle=False)
        log.info("%s %s validation %s", name, card.version, json.dumps(card.metrics))
    log.info("serving bundle: %s", write_bundle(args.out))
    _, val = validation_split(args.data)
    args.relevance_val.parent.mkdir(parents=True, exist_ok=True)
    with args.relevance_val.open("w", encoding="utf-8") as fh:
        for rec in val:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    log.info("wrote the relevance validation split to %s", args.relevance_val)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
