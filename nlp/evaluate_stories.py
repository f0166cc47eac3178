"""Score event clustering against the annotated story groups (``nlp/resources/corpus/stories.jsonl``).

``python -m nlp.evaluate_stories [--threshold T ...]`` replays each annotated 3-day window of
hot-search titles through a fresh :class:`nlp.events.EventClusterer` (titles in order of first
appearance) and prints B-cubed precision, recall and F1 per threshold: on windows W01-W20 (where
the default threshold was chosen) and W21-W40 (reported), and, as references, every title alone
(threshold 0: MinHash copies only, no story linking). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nlp.agreement import bcubed
from nlp.analyze import Analyzer, PostInput
from nlp.corpus import CORPUS_DIR, load_items
from nlp.events import EventClusterer
from nlp.stories import StoryIndex

log = logging.getLogger(__name__)
STORIES = CORPUS_DIR / "stories.jsonl"
TUNING_WINDOWS = {f"W{i:02d}" for i in range(1, 21)}


def predict(rows: Sequence[dict], texts: dict[str, str], firsts: dict[str, str], threshold: float
            ) -> dict[str, str]:
    """Event key per item id, each window clustered on its own (threshold 0: no story linking)."""
    out: dict[str, str] = {}
    for window in sorted({r["window"] for r in rows}):
        mine = [r for r in rows if r["window"] == window]
        posts = []
        for n, r in enumerate(sorted(mine, key=lambda r: (firsts[r["id"]], r["id"]))):
            when = datetime.fromisoformat(firsts[r["id"]]).replace(tzinfo=UTC) + timedelta(minutes=n)
            posts.append(PostInput(n, texts[r["id"]], "", "weibo-hot", r["id"], when))
        stories = StoryIndex(threshold) if threshold > 0 else None
        analyzer = Analyzer.load([], events=EventClusterer(stories=stories))
        for post, result in zip(posts, analyzer.analyze(posts), strict=True):
            out[post.url] = f"{window}:{result.event_key}"
    return out


def evaluate(thresholds: Sequence[float], path: Path = STORIES, *, keyword_only: bool = False
             ) -> dict[str, dict[str, dict[str, float]]]:
    """B-cubed per threshold on the tuning and reported windows; ``keyword_only``: cluster only the
    titles the pool's family-planning keyword net caught (the in-domain part, where stories are denser)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = {i["id"]: i for i in load_items()}
    if keyword_only:
        rows = [r for r in rows if items[r["id"]].get("keyword")]
    texts = {r["id"]: items[r["id"]]["text"] for r in rows}
    firsts = {r["id"]: items[r["id"]]["first_seen"] for r in rows}
    gold = {r["id"]: r["story"] for r in rows}
    results: dict[str, dict[str, dict[str, float]]] = {}
    for t in thresholds:
        pred = predict(rows, texts, firsts, t)
        results[str(t)] = {
            part: {k: round(v, 4) for k, v in bcubed(
                {i: g for i, g in gold.items() if (i in tune) == (part == "tuning")}, pred).items()}
            for part, tune in (("tuning", {r["id"] for r in rows if r["window"] in TUNING_WINDOWS}),
                               ("reported", {r["id"] for r in rows if r["window"] in TUNING_WINDOWS}))
        }
    alone = {i: i for i in gold}
    results["every title alone"] = {"all": {k: round(v, 4) for k, v in bcubed(gold, alone).items()}}
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threshold", type=float, nargs="*", default=[0.0, 0.25, 0.3, 0.35, 0.4, 0.5])
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    results = {"all titles": evaluate(args.threshold), "keyword titles": evaluate(args.threshold, keyword_only=True)}
    for subset, by_threshold in results.items():
        for name, parts in by_threshold.items():
            log.info("%s %s %s", subset, name, json.dumps(parts))
    log.info("%s", json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
