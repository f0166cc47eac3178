"""Merge the annotators' labels into the corpus (nlp/resources/corpus) and report agreement.

``python data/annotation/merge.py /work/annot nlp/resources/corpus``. Reads the batch index
(``batches.json``), each annotator's TSV (``out/BATCH.ANN.tsv``: ``n, relevance[, category, tone]``),
the third annotator's labels on the disagreements (``out/*_adj.*.tsv`` with ``*_adj_index.json``)
and the story groupings (``out/stories.S1.tsv``, ``out/stories.S2.tsv``, third ``out/stories_adj.S3.tsv``).
Writes ``items.jsonl`` (adjudicated labels), ``annotations.jsonl`` (every annotator's label),
``stories.jsonl`` and ``agreement.json``.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from nlp.agreement import bcubed, cohen_kappa, majority
from nlp.corpus import near_dup_key

PAIRS = {"titles_a": ("ann1", "ann2"), "titles_b": ("ann3", "ann4"), "posts": ("ann5", "ann6")}
THIRD = {"titles": "ann8", "posts": "ann7"}
REL = {"1": 1, "0": 0, "b": "borderline"}


def read_tsv(path: Path) -> dict[int, dict]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split("\t") if p.strip()]
        if not parts or not parts[0].isdigit():
            continue
        label = {"relevance": REL[parts[1]]}
        if label["relevance"] == 1:
            label["category"], label["tone"] = parts[2], parts[3]
        out[int(parts[0])] = label
    return out


def decide(labels: list[dict], third: dict | None) -> tuple[dict, str]:
    rel, how = majority([x["relevance"] for x in labels])
    if how == "tie":
        rel, how = "borderline", "no majority: borderline"
    out: dict = {"relevance": rel}
    if rel == 1:
        for field in ("category", "tone"):
            given = [x[field] for x in labels if x.get(field)]
            tie = third.get(field) if third else None
            value, field_how = majority(given, tie)
            out[field] = value
            if field_how not in ("unanimous",):
                how = f"{how}; {field} {field_how}"
    return out, how


def main(work: Path, dest: Path) -> None:
    items = {json.loads(x)["id"]: json.loads(x) for x in (work / "items.jsonl").read_text("utf-8").splitlines()}
    batches = json.loads((work / "batches.json").read_text("utf-8"))
    thirds: dict[tuple[str, int], dict] = {}
    for kind, ann in THIRD.items():
        index = json.loads((work / f"{kind}_adj_index.json").read_text("utf-8"))
        labels = read_tsv(work / "out" / f"{kind}_adj.{ann}.tsv")
        for k, ref in enumerate(index, 1):
            batch, n = (ref if isinstance(ref, list) else ("posts", ref))
            thirds[(batch, n)] = labels[k] | {"annotator": ann}
    annotations, merged, agreement = [], [], {}
    for batch, (a_name, b_name) in PAIRS.items():
        a, b = read_tsv(work / "out" / f"{batch}.{a_name}.tsv"), read_tsv(work / "out" / f"{batch}.{b_name}.tsv")
        ids = batches[batch]
        rel_a = [a[n]["relevance"] for n in range(1, len(ids) + 1)]
        rel_b = [b[n]["relevance"] for n in range(1, len(ids) + 1)]
        both = [n for n in range(1, len(ids) + 1) if a[n]["relevance"] == 1 == b[n]["relevance"]]
        agreement[batch] = {
            "items": len(ids), "annotators": [a_name, b_name],
            "relevance_kappa": round(cohen_kappa([str(x) for x in rel_a], [str(x) for x in rel_b]), 4),
            "relevance_agree": round(sum(x == y for x, y in zip(rel_a, rel_b, strict=True)) / len(ids), 4),
            "relevance_kappa_binary_no_borderline": round(cohen_kappa(
                *zip(*[(x, y) for x, y in zip(rel_a, rel_b, strict=True) if "borderline" not in (x, y)], strict=True)),
                4),
            "both_relevant": len(both),
            "category_kappa": round(cohen_kappa([a[n]["category"] for n in both], [b[n]["category"] for n in both]), 4),
            "tone_kappa": round(cohen_kappa([a[n]["tone"] for n in both], [b[n]["tone"] for n in both]), 4),
            "to_third_annotator": sum(1 for n in range(1, len(ids) + 1) if a[n] != b[n]),
        }
        for n, item_id in enumerate(ids, 1):
            third = thirds.get((batch, n))
            labels = [a[n], b[n]] + ([third] if third else [])
            for name, lab in zip([a_name, b_name] + ([third["annotator"]] if third else []), labels, strict=True):
                annotations.append({"id": item_id, "annotator": name,
                                    **{k: v for k, v in lab.items() if k != "annotator"}})
            label, how = decide(labels, third)
            item = items[item_id]
            merged.append({
                "id": item_id, "kind": item["kind"], "source": item["source"], "text": item["text"],
                "first_seen": item.get("first_seen"), "keyword": item.get("keyword"),
                "near_dup": item.get("near_dup") or near_dup_key(item["text"]), **label,
                "n_annotators": len(labels), "agreement": how,
            })
    dest.mkdir(parents=True, exist_ok=True)
    with (dest / "items.jsonl").open("w", encoding="utf-8") as fh:
        for m in sorted(merged, key=lambda m: (m["kind"], m.get("first_seen") or "", m["id"])):
            fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    with (dest / "annotations.jsonl").open("w", encoding="utf-8") as fh:
        for x in annotations:
            fh.write(json.dumps(x, ensure_ascii=False) + "\n")
    agreement["stories"] = merge_stories(work, dest)
    (dest / "agreement.json").write_text(json.dumps(agreement, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(agreement, ensure_ascii=False, indent=2))


def read_groups(path: Path) -> dict[int, str]:
    return {int(line.split("\t")[0]): line.split("\t")[1].strip()
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def find(parent: dict[int, int], x: int) -> int:
    """Union-find root (pairs linked by a majority of annotators form one story)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def merge_stories(work: Path, dest: Path) -> dict:
    index = json.loads((work / "stories_index.json").read_text("utf-8"))
    s1, s2 = read_groups(work / "out" / "stories.S1.tsv"), read_groups(work / "out" / "stories.S2.tsv")
    adj_map = json.loads((work / "stories_adj_index.json").read_text("utf-8"))
    s3_local = read_groups(work / "out" / "stories_adj.S3.tsv")
    s3 = {adj_map[k - 1]: g for k, g in s3_local.items()}
    final: dict[int, str] = {}
    for window in sorted({r["window"] for r in index}):
        ns = [r["n"] for r in index if r["window"] == window]
        parent = {n: n for n in ns}
        for i, j in itertools.combinations(ns, 2):
            votes = [(g[i] == g[j]) for g in (s1, s2, s3) if i in g and j in g]
            if sum(votes) * 2 > len(votes):
                parent[find(parent, i)] = find(parent, j)
        roots = sorted({find(parent, n) for n in ns})
        for n in ns:
            final[n] = f"{window}-{roots.index(find(parent, n)) + 1}"
    with (dest / "stories.jsonl").open("w", encoding="utf-8") as fh:
        for r in index:
            fh.write(json.dumps({"id": r["id"], "window": r["window"], "story": final[r["n"]],
                                 "S1": s1[r["n"]], "S2": s2[r["n"]], "S3": s3.get(r["n"])}, ensure_ascii=False) + "\n")
    agree = bcubed(s1, s2)
    multi = len({s for s in final.values() if list(final.values()).count(s) > 1})
    return {"titles": len(index), "windows": len({r["window"] for r in index}),
            "bcubed_S2_vs_S1": {k: round(v, 4) for k, v in agree.items()},
            "windows_to_third_annotator": len({r["window"] for r in index if r["n"] in s3}),
            "stories": len(set(final.values())), "multi_title_stories": multi}


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
