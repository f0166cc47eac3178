"""Draw the items of the in-domain corpus and write the annotators' batch files.

Run once: ``python data/annotation/prepare.py ../shared/data /work/annot``. Writes
``items.jsonl`` (every item with its provenance) and, per batch, a numbered text file that an
annotator sees (``n<TAB>text``: no ids, no sources, no labels).

Posts: 2,000 longer Weibo posts from the rumour, topic (NLPCC 2016) and Weibo sentiment
(COVID-19 7-emotion, SMP2020 virus) sources, half caught by the family-planning keyword net
below and half not; near-duplicates (the first 60 characters without links, spaces and
punctuation) are drawn once.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from pathlib import Path

KEYWORD_NET = re.compile(
    "孕|生育|二胎|二孩|三胎|三孩|人口|彩礼|计生|计划生育|超生|独生|失独|产假|婴儿|新生儿|出生|结扎|上环|流产|引产|"
    "代孕|试管|分娩|产妇|生孩子|育儿|托育|结婚|离婚|避孕|妇幼|月子|婚检|老龄|生娃|催生|不孕|产检|孕妇"
)
WIDE_NET = re.compile("孩子|宝宝|怀上|怀了|妈妈|奶粉|幼儿|儿童")
POST_SOURCES = {"ced", "weibo_ma2016", "nlpcc2016_taskA", "covid_weibo_7emo", "smp2020_ewect_virus"}
SOURCE_ERA = {"nlpcc2016_taskA": "2016-01-01", "covid_weibo_7emo": "2020-02-01", "smp2020_ewect_virus": "2020-02-01"}
N_POSTS = 2000
MAX_CHARS = 400


def near_dup_key(text: str) -> str:
    text = re.sub(r"https?://t\.cn/\w+", "", text)
    text = re.sub(r"[\W_]+", "", text)
    return text[:60]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def draw_posts(data: Path, rng: random.Random) -> list[dict]:
    rows: list[dict] = []
    for name in ("rumour/train.jsonl", "rumour/val.jsonl", "topic/train.jsonl", "sentiment/train.jsonl"):
        rows += [r for r in read_jsonl(data / name) if r["source"] in POST_SOURCES]
    seen: set[str] = set()
    hits, wide, rest = [], [], []
    for r in rows:
        key = near_dup_key(r["text"])
        if len(key) < 8 or key in seen:
            continue
        seen.add(key)
        t = r.get("time") if isinstance(r.get("time"), str) else None
        item = {
            "id": f"post-{hashlib.md5(r['id'].encode()).hexdigest()[:12]}",
            "src_id": r["id"],
            "kind": "post",
            "source": r["source"],
            "target": r.get("target"),
            "text": r["text"][:MAX_CHARS],
            "first_seen": (t or SOURCE_ERA.get(r["source"], ""))[:10] or None,
            "near_dup": hashlib.md5(key.encode()).hexdigest()[:12],
        }
        if KEYWORD_NET.search(r["text"]):
            item["keyword"] = True
            hits.append(item)
        elif WIDE_NET.search(r["text"]):
            item["keyword"] = True
            wide.append(item)
        else:
            item["keyword"] = False
            rest.append(item)
    rng.shuffle(wide)
    rng.shuffle(rest)
    caught = hits + wide[: max(0, N_POSTS // 2 - len(hits))]
    # the uncaught half: a stratified draw so every source is present
    by_src: dict[str, list[dict]] = {}
    for it in rest:
        by_src.setdefault(it["source"], []).append(it)
    uncaught: list[dict] = []
    while len(uncaught) < N_POSTS - len(caught):
        for lst in by_src.values():
            if lst and len(uncaught) < N_POSTS - len(caught):
                uncaught.append(lst.pop())
    return caught[: N_POSTS // 2] + uncaught


def main(data: Path, out: Path) -> None:
    rng = random.Random(20261202)
    titles = [
        {"id": r["id"], "kind": "title", "source": "weibo_hotsearch", "text": r["text"],
         "first_seen": r["first_seen"], "keyword": r["keyword"]}
        for r in read_jsonl(data / "pool/hotsearch_2020_2023.jsonl")
    ]
    posts = draw_posts(data, rng)
    rng.shuffle(posts)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "items.jsonl").open("w", encoding="utf-8") as f:
        for it in titles + posts:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    half = (len(titles) + 1) // 2
    batches = {"titles_a": titles[:half], "titles_b": titles[half:], "posts": posts}
    index = {}
    for name, items in batches.items():
        with (out / f"{name}.txt").open("w", encoding="utf-8") as f:
            for n, it in enumerate(items, 1):
                f.write(f"{n}\t{' '.join(it['text'].split())}\n")
        index[name] = [it["id"] for it in items]
    (out / "batches.json").write_text(json.dumps(index), encoding="utf-8")
    print({k: len(v) for k, v in index.items()}, "caught posts:", sum(p["keyword"] for p in posts))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
