"""Reading import files record by record, and checking one record: the import's parsing side, no database."""

from __future__ import annotations

import codecs
import gc
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from pipeline.config import default_config
from pipeline.db import make_engine, session_factory
from pipeline.exceptions import StorageError
from pipeline.filereading import Position, read_records
from pipeline.importing import import_file
from pipeline.postfields import RowError, parse_time, row_to_post

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_jsonl_records_carry_line_reason_and_resume_position(tmp_path: Path) -> None:
    lines = [
        json.dumps({"url": "https://a.example.cn/1", "text": "一"}, ensure_ascii=False).encode(),
        b"   ",  # blank: skipped, but counted as a line
        json.dumps({"链接": "https://a.example.cn/2", "正文": "二", "Title": "标题"}, ensure_ascii=False).encode(),
        json.dumps({"url": "https://a.example.cn/3", "text": "三"}, ensure_ascii=False).encode(),
        b'{"text": "broken',
        b"[1]",
        b'{"text": "\xff"}',
        json.dumps({"content": "四", "text": "后者优先"}, ensure_ascii=False).encode(),
    ]
    path = tmp_path / "a.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + b"\n".join(lines) + b"\n")
    ends = [len(codecs.BOM_UTF8) + sum(len(line) + 1 for line in lines[:n + 1]) for n in range(len(lines))]

    records = list(read_records(path, "jsonl", "utf-8-sig"))

    assert [r.line for r in records] == [1, 3, 4, 5, 6, 7, 8]
    assert [r.end for r in records] == [Position(ends[n - 1], n) for n in (1, 3, 4, 5, 6, 7, 8)]
    assert records[0].fields == {"url": "https://a.example.cn/1", "text": "一"}
    assert records[1].fields == {"url": "https://a.example.cn/2", "text": "二", "title": "标题"}  # aliases
    assert records[2].fields == {"url": "https://a.example.cn/3", "text": "三"}  # a key set seen before
    assert records[3].error == "not valid JSON (Invalid control character at column 17)"  # the newline
    assert records[4].error == "not a JSON object but list"
    assert records[5].error == "not valid utf-8 text"
    assert records[6].fields == {"text": "后者优先"}  # two names for one field: the later wins

    resumed = list(read_records(path, "jsonl", "utf-8-sig", records[1].end))
    assert [r.line for r in resumed] == [4, 5, 6, 7, 8]
    assert resumed[0].fields == records[2].fields


def test_row_to_post_cleans_and_checks_fields() -> None:
    post = row_to_post({"text": "正文\x00", "title": 12, "author": "  ", "url": "HTTPS://A.example.cn/x#top",
                        "published_at": "2026-03-05 10:00", "floor": "3"}, source="s", tz=SHANGHAI)
    assert (post.text, post.title, post.author, post.url, post.floor) == (
        "正文", "12", None, "https://a.example.cn/x", 3)
    assert post.published_at == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    for fields, reason in [({"text": " \n"}, "no text"), ({"title": "t"}, "no text"),
                           ({"text": True}, "text must be text, not bool"),
                           ({"text": ["a"]}, "text must be text, not list")]:
        with pytest.raises(RowError, match=reason):
            row_to_post(fields, source="s", tz=SHANGHAI)


@pytest.mark.parametrize("value, expected", [
    ("2026-03-05T10:00:00+08:00", datetime(2026, 3, 5, 2, 0, tzinfo=UTC)),
    ("2026-03-05T02:00:00Z", datetime(2026, 3, 5, 2, 0, tzinfo=UTC)),
    (" 2026-03-05 10:00 ", datetime(2026, 3, 5, 2, 0, tzinfo=UTC)),
    ("2026/3/5 10:00", datetime(2026, 3, 5, 2, 0, tzinfo=UTC)),
    ("2026.03.05", datetime(2026, 3, 4, 16, 0, tzinfo=UTC)),
    ("2026年3月5日 10时05分", datetime(2026, 3, 5, 2, 5, tzinfo=UTC)),
])
def test_parse_time_reads_iso_and_chinese_forms(value: str, expected: datetime) -> None:
    assert parse_time(value, SHANGHAI) == expected


def test_import_leaves_the_garbage_collector_as_it_found_it(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "一"}\n', encoding="utf-8")
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER boom BEFORE INSERT ON posts BEGIN SELECT RAISE(ABORT, 'rejected'); END"))
    frozen = gc.get_freeze_count()
    with pytest.raises(StorageError, match="rejected"):  # the import stops inside its chunk loop
        import_file(session_factory(engine), default_config(tmp_path), path, source="walk-in")
    assert gc.get_freeze_count() == frozen
    engine.dispose()
