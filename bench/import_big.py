"""Benchmark: import one very large JSONL file (2 GiB by default) and show memory stays flat.

    .venv/bin/python bench/import_big.py [--gb 2] [--dir /tmp]

Writes a JSONL file of ``--gb`` GiB of generated Chinese posts (news and forum replies, unique
URLs, times in the forms people write them; every 100,000th line is broken JSON or has no
text) into a new temp folder under ``--dir``, imports it into a fresh SQLite database there
through `yuqing import`'s code path (`pipeline.importing.import_file`), and deletes the folder.
A thread samples this process's RSS every 20 ms (`PeakRss` of bench/export.py); the RSS is also
read when the import passes 10 %, 50 % and 90 % of the file. The last line is one JSON object:
file_gb, rows, bad_rows, import_rows_per_s, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from export import PeakRss  # bench/export.py: this script's folder is on sys.path too

from pipeline.config import default_config
from pipeline.db import make_engine, session_factory
from pipeline.importing import MAX_REPORTED, import_file
from pipeline.migrate import upgrade
from pipeline.models import Post

GIB = 1024**3
BAD_EVERY = 100_000  # one bad line in this many
SPACE_FACTOR = 3.5  # free space needed per byte of file: the file, the database (~2x with indexes), its WAL
MARKS = (10, 50, 90)  # percent of the file at which RSS is reported

TOPICS = ["三孩生育政策", "育儿补贴", "生育登记", "托育服务", "产假延长", "生育保险报销", "婚假", "育儿假",
          "出生人口", "独生子女父母奖励", "计划生育特殊家庭扶助", "辅助生殖医保", "婴幼儿照护", "妇幼保健"]
PLACES = ["市卫健委", "区卫生健康局", "街道社区服务中心", "市医保局", "妇幼保健院", "市政府新闻办", "县人民医院"]
PHRASES = [
    "符合条件的家庭可以在社区服务中心或网上办理，材料齐全的当场办结。",
    "有网友反映申领流程繁琐，要跑好几个部门才能办完，希望简化手续。",
    "网传补贴标准下调的消息不实，相关部门已经辟谣，请以官方发布为准。",
    "记者从{place}了解到，相关政策将于下月起正式实施，细则已经公布。",
    "不少家长表示托育机构收费太高，普惠性托位还是不够用。",
    "{place}提醒，请通过官方渠道咨询，不要轻信陌生电话和短信。",
    "据统计，今年以来全市共发放育儿补贴一万两千余笔，惠及家庭八千多户。",
    "有市民在论坛发帖称，{place}工作人员态度冷淡，办事效率低。",
    "专家解读：延长产假的同时要保障女职工的就业权益，防止就业歧视。",
    "今天下午{place}召开新闻发布会，介绍{topic}的最新进展和下一步安排。",
]
AUTHORS = ["记者 王磊", "通讯员 李娜", "本报记者", "网友“小橙子妈妈”", "一位市民", None, "新华社", "匿名用户"]


def _time_text(rng: random.Random, when: datetime) -> str:
    form = rng.randrange(4)
    if form == 0:
        return when.isoformat() + "+08:00"
    if form == 1:
        return when.strftime("%Y-%m-%d %H:%M")
    if form == 2:
        return f"{when.year}年{when.month}月{when.day}日 {when.hour}:{when.minute:02d}"
    return when.strftime("%Y/%m/%d %H:%M:%S")


def _post(rng: random.Random, n: int, when: datetime) -> dict[str, Any]:
    topic = rng.choice(TOPICS)
    place = rng.choice(PLACES)
    sentences = [rng.choice(PHRASES).format(place=place, topic=topic) for _ in range(rng.randint(2, 14))]
    text = f"关于{topic}，" + "".join(sentences) + f"（编号{n}）"
    if n % 3 == 0:  # a forum reply
        thread = n // 30
        return {"url": f"https://bbs.example.cn/thread-{thread}-{n}.html", "title": f"回复：{topic}怎么办理？",
                "text": text, "author": rng.choice(AUTHORS), "published_at": _time_text(rng, when),
                "thread_url": f"https://bbs.example.cn/thread-{thread}.html", "floor": n % 30 + 1}
    return {"url": f"https://news.example.cn/{when:%Y%m}/{n}.html", "title": f"{place}：{topic}最新消息（{n}）",
            "text": text, "author": rng.choice(AUTHORS), "published_at": _time_text(rng, when)}


def _lines(seed: int) -> Iterator[tuple[bytes, bool]]:
    """Endless JSONL lines (with their newline) and whether each is a bad one."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, 8, 0)
    n = 0
    while True:
        n += 1
        when = start + timedelta(seconds=7 * n)
        if n % BAD_EVERY == 0:
            if n // BAD_EVERY % 2:
                yield f'{{"url": "https://news.example.cn/broken/{n}.html", "text": "断了的一行'.encode() + b"\n", True
            else:
                line = json.dumps({"url": f"https://news.example.cn/notext/{n}.html", "title": "只有标题"},
                                  ensure_ascii=False)
                yield line.encode() + b"\n", True
            continue
        yield json.dumps(_post(rng, n, when), ensure_ascii=False).encode() + b"\n", False


def write_file(path: Path, size: int, seed: int = 9) -> tuple[int, list[int]]:
    """Write at least ``size`` bytes of JSONL; returns the number of lines and the bad lines' numbers."""
    written = lines = 0
    bad: list[int] = []
    with path.open("wb", buffering=1 << 20) as out:
        for line, is_bad in _lines(seed):
            out.write(line)
            written += len(line)
            lines += 1
            if is_bad:
                bad.append(lines)
            if written >= size:
                return lines, bad
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0, help="file size in GiB (default 2)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where to make the temp folder (default: the system temp folder)")
    args = parser.parse_args()
    size = int(args.gb * GIB)
    free = shutil.disk_usage(args.dir).free
    if free < SPACE_FACTOR * size:
        sys.exit(f"{args.dir} has {free / GIB:.1f} GiB free; a {args.gb:g} GiB file needs "
                 f"~{SPACE_FACTOR * args.gb:.1f} GiB (the file and its database)")
    folder = Path(tempfile.mkdtemp(prefix="yuqing-import-big-", dir=args.dir))
    try:
        run(folder, size)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, size: int) -> None:
    path = folder / "posts.jsonl"
    started = time.perf_counter()
    lines, bad_lines = write_file(path, size)
    file_size = path.stat().st_size
    print(f"wrote {path} in {time.perf_counter() - started:.0f} s: {file_size / GIB:.2f} GiB ({file_size:,} bytes), "
          f"{lines:,} lines, {len(bad_lines)} bad", flush=True)

    engine = make_engine(f"sqlite:///{folder / 'import.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    config = default_config(folder)
    with PeakRss() as rss:
        at_mark: dict[int, float] = {}
        baseline = rss.process.memory_info().rss / 2**20

        def progress(offset: int) -> None:
            for mark in MARKS:
                if mark not in at_mark and offset >= file_size * mark / 100:
                    at_mark[mark] = rss.process.memory_info().rss / 2**20

        started = time.perf_counter()
        summary = import_file(factory, config, path, source="big-file", progress=progress)
        seconds = time.perf_counter() - started
    with factory() as session:
        stored = session.scalar(select(func.count()).select_from(Post))
    engine.dispose()

    rate = summary.rows / seconds
    print(f"imported {summary.line()} in {seconds:.1f} s: {rate:,.0f} rows/s, "
          f"{file_size / 2**20 / seconds:.1f} MiB/s", flush=True)
    reported = [(bad.line, bad.reason) for bad in summary.bad_rows]
    print(f"bad rows: {summary.bad} (generated {len(bad_lines)}), {len(reported)} reported with line numbers "
          f"matching the generated ones: {[line for line, _ in reported] == bad_lines[:MAX_REPORTED]}; "
          f"first two: {reported[:2]}", flush=True)
    print(f"posts stored: {stored:,} (good rows: {summary.rows - summary.bad:,})", flush=True)
    marks = ", ".join(f"{mark} % {at_mark.get(mark, float('nan')):.0f} MB" for mark in MARKS)
    print(f"RSS before import {baseline:.0f} MB; at {marks}; peak {rss.mb:.0f} MB", flush=True)
    assert summary.rows == lines and summary.bad == len(bad_lines) and stored == lines - len(bad_lines), \
        "rows, bad rows or stored posts do not add up"
    print(json.dumps({"file_gb": round(file_size / GIB, 2), "rows": summary.rows, "bad_rows": summary.bad,
                      "import_rows_per_s": round(rate), "peak_rss_mb": round(rss.mb, 1)}))


if __name__ == "__main__":
    main()
