"""CPU of one hot-list poll of six platforms (weibo, baidu, zhihu, douyin, toutiao, bilibili).

    .venv/bin/python bench/hotlist.py [--entries 50] [--polls 5]

Responses in each platform's documented format (``--entries`` per list, ranks reshuffled
every poll) are served by ``python -m http.server`` in a child process. "poll": the six
sources polled through `pipeline.crawl.crawl_source`, as `yuqing crawl` and the daemon poll
them (in-process: fetch, parse, store posts, page cache, rank history, crawl run and health);
CPU of this process and its children, mean over ``--polls`` after the first. "readers and
store alone": the same without HTTP and bookkeeping. SQLite. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
# bench/ holds scripts named like packages (alerts.py, ...): never import from it
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PLATFORMS = ("weibo", "baidu", "zhihu", "douyin", "toutiao", "bilibili")


def responses(entries: int, seed: int) -> dict[str, str]:
    """One response per platform, its entries in a shuffled order."""
    rng = random.Random(seed)
    words = [f"热点话题第{i}号：某地生育支持政策出台引发讨论" for i in range(entries)]
    rng.shuffle(words)
    heat = [10_000_000 - i * 12_345 for i in range(entries)]
    baidu = {"data": {"cards": [{"content": [{"word": w, "query": w, "desc": w * 2, "hotScore": str(h)}
                                             for w, h in zip(words, heat, strict=True)]}]}}
    pairs = list(zip(words, heat, strict=True))
    return {
        "weibo": json.dumps({"ok": 1, "data": {"realtime": [{"word": w, "note": w, "num": h, "rank": i}
                                                            for i, (w, h) in enumerate(pairs)]}}),
        "baidu": "<html><body><!--s-data:" + json.dumps(baidu, ensure_ascii=False) + "--></body></html>",
        "zhihu": json.dumps({"data": [{"target": {"title": w, "url": f"https://api.zhihu.com/questions/{i + 1000}",
                                                  "excerpt": w * 3}, "detail_text": f"{h // 10000} 万热度"}
                                      for i, (w, h) in enumerate(zip(words, heat, strict=True))]}),
        "douyin": json.dumps({"data": {"word_list": [{"word": w, "hot_value": h, "sentence_id": str(i)}
                                                     for i, (w, h) in enumerate(zip(words, heat, strict=True))]}}),
        "toutiao": json.dumps({"data": [{"Title": w, "HotValue": str(h), "ClusterIdStr": str(7_000_000 + i)}
                                        for i, (w, h) in enumerate(zip(words, heat, strict=True))]}),
        "bilibili": json.dumps({"code": 0, "list": [{"keyword": w, "show_name": w, "heat_score": h}
                                                    for w, h in zip(words, heat, strict=True)]}),
    }


def as_bytes(bodies: dict[str, str]) -> dict[str, bytes]:
    return {k: v.encode("utf-8") for k, v in bodies.items()}


def in_process(entries: int, polls: int, folder: Path) -> float:
    from crawlers.hotlists import hotlist_label, read_hotlist
    from crawlers.urls import canonical_url
    from pipeline.db import make_engine, session_factory, transaction
    from pipeline.migrate import upgrade
    from pipeline.store.hotlists import RankedEntry, record_snapshot
    from pipeline.store.posts import PostIn, add_posts
    from pipeline.store.sources import ensure_source

    engine = make_engine(f"sqlite:///{folder / 'inproc.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        ids = {p: ensure_source(session, f"{p}-hot", "hotlist").id for p in PLATFORMS}
    cpu: list[float] = []
    when = datetime(2026, 3, 5, tzinfo=UTC)
    for poll in range(polls):
        bodies = as_bytes(responses(entries, seed=poll))
        started = time.process_time()
        with transaction(factory) as session:
            for platform in PLATFORMS:
                found = read_hotlist(platform, bodies[platform])
                posts = [PostIn(source=f"{platform}-hot", url=canonical_url(e.url), title=e.title, text=e.title,
                                fetched_at=when, extra={"hotlist": {"rank": e.rank, "heat": e.heat}}) for e in found]
                add_posts(session, posts, kind="hotlist", batch_size=len(posts))
                ranked = [RankedEntry(p.url, p.title, e.rank, e.heat) for p, e in zip(posts, found, strict=True)]
                record_snapshot(session, ids[platform], hotlist_label(platform), ranked, now=when)
        cpu.append(time.process_time() - started)
        when += timedelta(minutes=10)
    engine.dispose()
    return sum(cpu[1:]) / max(len(cpu) - 1, 1) if len(cpu) > 1 else cpu[0]


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """``python -m http.server`` on ``folder`` in a child process (its CPU is not the poll's)."""
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def write_site(folder: Path, entries: int, seed: int) -> None:
    for platform, body in responses(entries, seed).items():
        name = f"{platform}.html" if platform == "baidu" else f"{platform}.json"
        (folder / name).write_text(body, encoding="utf-8")


def through_crawl_source(entries: int, polls: int, folder: Path) -> float:
    """CPU of this process per poll of the six sources through `crawl_source` (as the daemon runs it)."""
    from pipeline.config import load_config
    from pipeline.crawl import crawl_source
    from pipeline.db import make_engine
    from pipeline.migrate import upgrade

    db = f"sqlite:///{folder / 'crawl.db'}"
    engine = make_engine(db)
    upgrade(engine)
    engine.dispose()
    site = folder / "site"
    site.mkdir()
    cpu: list[float] = []
    with serve(site) as base:
        path = folder / "config.yaml"
        path.write_text(yaml.safe_dump({
            "storage": {"url": db}, "crawl": {"download_delay": 0, "contact": "bench@example.org"},
            "sources": [{"name": f"{p}-hot", "kind": "hotlist", "platform": p,
                         "start_urls": [f"{base}/{p}.html" if p == "baidu" else f"{base}/{p}.json"]}
                        for p in PLATFORMS]}), encoding="utf-8")
        config = load_config(path)
        for poll in range(polls):
            write_site(site, entries, seed=poll)
            before = time.process_time()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            for platform in PLATFORMS:
                summary = crawl_source(config, path, f"{platform}-hot")
                if summary.status != "ok" or summary.stats.get("items_seen") != entries:
                    raise SystemExit(f"{platform}: {summary}")
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(time.process_time() - before + after.ru_utime + after.ru_stime
                       - children.ru_utime - children.ru_stime)
    return sum(cpu[1:]) / max(len(cpu) - 1, 1) if len(cpu) > 1 else cpu[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--polls", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-hot-") as tmp:
        inproc = in_process(args.entries, args.polls, Path(tmp))
        print(f"readers and store alone: {inproc:.3f} s CPU per poll of six platforms ({6 * args.entries} entries: "
              f"parse, store posts, rank history; mean of {args.polls - 1} polls after the first)")
        polled = through_crawl_source(args.entries, args.polls, Path(tmp))
        print(f"through crawl_source: {polled:.3f} s CPU per poll of six platforms (fetch over HTTP, parse, store, "
              f"rank history, crawl runs and health; the server runs in another process)")
    print(json.dumps({"platforms": 6, "entries": 6 * args.entries, "poll_cpu_s": round(polled, 3),
                      "parse_store_cpu_s": round(inproc, 3)}))


if __name__ == "__main__":
    main()
