"""Benchmark: full nlp analysis vs plain ``jieba.lcut`` on the same 20,000 real posts.

Usage: ``.venv/bin/python bench/nlp.py [--data ../shared/data] [--n 20000] [--batch 500]``

Posts: rumour train+val texts, topic texts, then sentiment texts, in that order, until ``--n``
(all real Weibo/review texts from ../shared/data). Full analysis = normalisation, segmentation, topic
rules, the four classifiers with explanations, MinHash near-duplicates and event clustering
(``Analyzer.analyze`` in batches), timed batch by batch interleaved with ``jieba.lcut`` of the same
batch so that load from other jobs affects both alike. Cold start is measured in a fresh interpreter: import nlp,
``Analyzer.load`` and the first ``analyze`` of one post. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TOPICS = [
    ("fertility-policy", "(生育政策 OR 三孩 OR 二孩 OR 二胎 OR 育儿补贴 OR 生育登记) AND NOT (拐卖 OR 明星)", "all"),
    ("family-planning", "计划生育 OR 计生 OR 社会抚养费 OR 超生 OR 独生子女 OR 失独", "all"),
    ("rewards", "(奖励扶助 OR 特别扶助 OR 少生快富) OR (扶助金 NEAR/10 (发放 OR 提高))", "all"),
    ("population", "出生人口 OR 人口老龄化 OR 出生率 OR 生育率 OR 出生性别比", "all"),
    ("rumour-words", '谣言 OR 辟谣 OR "紧急扩散" OR 网传', "all"),
]

COLD_START = """
import time
t0 = time.perf_counter()
from datetime import datetime
from nlp import Analyzer, PostInput
a = Analyzer.load({topics!r})
a.analyze([PostInput(1, "", "三孩政策来了，育儿补贴怎么领？", "bench", "", datetime(2024, 1, 1))])
print(time.perf_counter() - t0)
"""


def load_posts(data: Path, n: int) -> list[str]:
    files = ["rumour/train.jsonl", "rumour/val.jsonl", "topic/train.jsonl", "sentiment/train.jsonl"]
    texts: list[str] = []
    for name in files:
        with (data / name).open(encoding="utf-8") as fh:
            for line in fh:
                texts.append(json.loads(line)["text"])
                if len(texts) >= n:
                    return texts
    return texts


def cold_start() -> float:
    out = subprocess.run(
        [sys.executable, "-c", COLD_START.format(topics=TOPICS)], cwd=REPO, capture_output=True, text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def index_memory(n: int) -> float:
    """RSS growth (MB) of an EventClusterer fed ``n`` posts with random (worst-case, all distinct)
    signatures, one per second (86,400 a day: the item cap binds before the 7-day window)."""
    import numpy as np

    from nlp.events import EventClusterer

    def rss_mb() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096 / 2**20

    rng = np.random.default_rng(0)
    clusterer = EventClusterer()
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    base = rss_mb()
    for lo in range(0, n, 1000):
        sigs = rng.integers(0, 2**32, size=(1000, 64), dtype=np.uint64).astype(np.uint32)
        clusterer.add_batch(list(range(lo, lo + 1000)), sigs, [10] * 1000,
                            [t0 + timedelta(seconds=i) for i in range(lo, lo + 1000)])
    return rss_mb() - base


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--index-memory", type=int, default=0, metavar="N",
                    help="also feed N synthetic posts to the event index and report its memory (slow)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    log = logging.getLogger("bench.nlp")

    texts = load_posts(args.data, args.n)
    mean_len = sum(map(len, texts)) / len(texts)
    cold = min(cold_start() for _ in range(3))

    from nlp import Analyzer, PostInput

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    posts = [PostInput(i, "", t, "bench", f"https://example.org/{i}", t0 + timedelta(seconds=30 * i))
             for i, t in enumerate(texts)]
    analyzer = Analyzer.load(TOPICS)
    analyzer.warm()
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    # Interleaved batch by batch, so that load from other jobs on the machine hits both alike.
    analyze_s = jieba_s = 0.0
    results = []
    for lo in range(0, len(posts), args.batch):
        batch = posts[lo : lo + args.batch]
        start = time.perf_counter()
        results.extend(analyzer.analyze(batch))
        mid = time.perf_counter()
        for p in batch:
            jieba.lcut(p.text)
        analyze_s += mid - start
        jieba_s += time.perf_counter() - mid

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    events = len({r.event_key for r in results})
    dups = len({r.dup_key for r in results})
    relevant = sum(r.is_relevant for r in results)
    summary = {
        "analyze_posts_per_s": round(len(texts) / analyze_s, 1),
        "jieba_posts_per_s": round(len(texts) / jieba_s, 1),
        "ratio": round(jieba_s / analyze_s, 3),
        "cold_start_s": round(cold, 3),
        "peak_rss_mb": round(peak_mb, 1),
    }
    log.info("done")
    print(f"posts: {len(texts)} (mean {mean_len:.0f} characters), batch {args.batch}")
    print(f"full analysis: {analyze_s:.2f} s = {summary['analyze_posts_per_s']} posts/s "
          f"({relevant} relevant, {dups} near-duplicate groups, {events} events)")
    print(f"jieba.lcut:    {jieba_s:.2f} s = {summary['jieba_posts_per_s']} posts/s")
    print(f"ratio (analysis speed / jieba speed): {summary['ratio']}")
    print(f"cold start (import + load + first post, best of 3): {cold:.3f} s")
    print(f"peak RSS: {peak_mb:.0f} MB")
    if args.index_memory:
        grown = index_memory(args.index_memory)
        print(f"event/near-duplicate index after {args.index_memory:,} posts: +{grown:.0f} MB RSS")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
