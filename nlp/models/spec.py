"""What distinguishes one model from another: labels, hyper-parameters and default data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    classes: tuple[str, ...]
    positive: str | None  # positive class for binary metrics; None for multi-class
    parse_label: Callable[[Any], str]
    c: float
    max_features: int | None
    # data_dir -> (train records, validation records, description of the data used)
    default_data: Callable[[Path], tuple[list[Record], list[Record], str]]
    class_weight: str | None = None  # "balanced" where the training mix is deliberately imbalanced
    min_df: int = 2
    # After the validation metrics are taken, fit the shipped model again on train + validation data
    # (where the learning curve is still steep; the card says so and keeps the train-only metrics).
    refit_on_validation: bool = False
    # Calibrate the probabilities on out-of-fold scores of the training data (Platt scaling for
    # binary models, a temperature for multi-class ones), folded into the linear weights.
    calibrate: bool = False
    # The default data needs the shared training data folder (../shared/data); False: it ships
    # with the package (the annotated corpus, nlp.corpus).
    needs_shared_data: bool = True


def parse_binary(raw: Any) -> str:
    """1/0, true/false (bool or string) → "1"/"0"."""
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, int | float) and raw in (0, 1):
        return str(int(raw))
    if isinstance(raw, str) and raw.strip().lower() in ("1", "0", "true", "false"):
        return "1" if raw.strip().lower() in ("1", "true") else "0"
    raise ValueError(f"expected 1/0 or true/false, got {raw!r}")


def read_jsonl(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def bucket(key: str) -> int:
    """Stable 0–99 bucket of a key (md5), for reproducible splits."""
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % 100


def hand_written(name: str) -> list[Record]:
    """Our own hand-written examples shipped in ``nlp/resources/examples/<name>.jsonl``."""
    from nlp.tokenize import RESOURCES

    path = RESOURCES / "examples" / f"{name}.jsonl"
    return list(read_jsonl(path)) if path.exists() else []
