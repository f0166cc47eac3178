"""A large file streams through import and export with flat memory (the benchmark shows 1M posts)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select

from pipeline.config import default_config
from pipeline.db import make_engine, session_factory
from pipeline.exporting import export_posts
from pipeline.importing import import_file
from pipeline.models import Post
from pipeline.store.import_files import SQLITE_BULK_CACHE_KIB

ROWS = 120_000
BROKEN_EVERY = 10_000
# The file is ~80 MB; loading it whole (as text, then as Python objects) would take several times that.
# An 80 MB file held in memory would grow RSS by hundreds of MB; a stream grows it by its
# buffers plus SQLite's bulk-write page cache (a fixed 64 MB), whatever the file's size.
MAX_GROWTH_MB = 60 + SQLITE_BULK_CACHE_KIB // 1024


class RssSamplingFile(io.RawIOBase):
    """A write-only sink that records the process's peak RSS as data goes through it."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self.written = 0
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.written += len(data)
        self.calls += 1
        if self.calls % 64 == 0:
            self.peak = max(self.peak, self.process.memory_info().rss)
        return len(data)


@pytest.mark.slow
def test_large_file_streams_with_flat_memory(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    filler = "三孩生育政策和育儿补贴的办理流程，社区服务中心可以当场办结。" * 6
    with path.open("w", encoding="utf-8") as out:
        for n in range(ROWS):
            if n % BROKEN_EVERY == 5:
                out.write('{"text": "broken\n')
                continue
            out.write(json.dumps({"url": f"https://big.example.cn/{n}", "title": f"第{n}条", "text": filler + str(n),
                                  "published_at": "2026-03-05 10:00"}, ensure_ascii=False) + "\n")
    assert path.stat().st_size > 70 * 1024 * 1024
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    config = default_config(tmp_path)
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline

    def sample(_offset: int) -> None:
        nonlocal peak
        peak = max(peak, process.memory_info().rss)

    summary = import_file(factory, config, path, source="big", progress=sample)

    broken = ROWS // BROKEN_EVERY
    assert (summary.rows, summary.new, summary.bad) == (ROWS, ROWS - broken, broken)
    assert (peak - baseline) / 2**20 < MAX_GROWTH_MB, f"import grew RSS by {(peak - baseline) / 2**20:.0f} MB"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Post)) == ROWS - broken

    sink = RssSamplingFile()
    baseline = process.memory_info().rss
    assert export_posts(factory, config, sink, fmt="csv") == ROWS - broken  # type: ignore[arg-type]
    assert sink.written > 70 * 1024 * 1024
    assert (sink.peak - baseline) / 2**20 < MAX_GROWTH_MB, f"export grew RSS by {(sink.peak - baseline) / 2**20:.0f} MB"
    engine.dispose()
