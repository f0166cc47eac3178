"""Keep the written examples whose labels two annotators agree on (the writer's and an independent one's).

``python data/annotation/merge_synthetic.py /work/annot nlp/resources/corpus/synthetic.jsonl``.
Relevance must agree (borderline items are dropped); category and tone are kept where they agree too.
These items are for training only: never in a validation file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nlp.agreement import cohen_kappa

REL = {"1": 1, "0": 0, "b": "borderline"}


def main(work: Path, dest: Path) -> None:
    written = [line.split("\t") for line in (work / "synthetic_shuffled.tsv").read_text("utf-8").splitlines()]
    other: dict[int, list[str]] = {}
    for line in (work / "out" / "synthetic.ann9.tsv").read_text("utf-8").splitlines():
        parts = [p.strip() for p in line.split("\t") if p.strip()]
        if parts and parts[0].isdigit():
            other[int(parts[0])] = parts[1:]
    kept, rel_a, rel_b, cat_pairs, tone_pairs = [], [], [], [], []
    for n, (text, rel, cat, tone, kind) in enumerate(written, 1):
        o = other[n]
        rel_a.append(rel)
        rel_b.append(o[0])
        if rel != o[0] or REL[rel] == "borderline":
            continue
        item = {"text": text, "kind": kind.strip(), "relevance": REL[rel], "source": "written-from-guideline"}
        if rel == "1":
            cat_pairs.append((cat, o[1]))
            tone_pairs.append((tone.strip(), o[2]))
            if cat == o[1]:
                item["category"] = cat
            if tone.strip() == o[2]:
                item["tone"] = tone.strip()
        kept.append(item)
    with dest.open("w", encoding="utf-8") as fh:
        for item in kept:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(json.dumps({
        "written": len(written), "kept": len(kept),
        "relevance_kappa": round(cohen_kappa(rel_a, rel_b), 4),
        "category_kappa": round(cohen_kappa(*zip(*cat_pairs, strict=True)), 4),
        "tone_kappa": round(cohen_kappa(*zip(*tone_pairs, strict=True)), 4),
        "relevant": sum(1 for k in kept if k["relevance"] == 1),
        "with_category": sum(1 for k in kept if "category" in k), "with_tone": sum(1 for k in kept if "tone" in k),
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
