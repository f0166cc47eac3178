"""`yuqing export`: fields, filters, formats and formula safety, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nlp.categories import CATEGORY_NAMES_ZH
from pipeline.config import Config
from pipeline.db import transaction
from pipeline.exceptions import NotFound
from pipeline.exporting import ExportError, export_posts, parse_bound
from pipeline.models import Alert, Analysis, AuditEntry, Event, Post
from pipeline.postfields import EXPORT_FIELDS
from pipeline.sheets import HEADER_ROW
from pipeline.store.export import ExportFilter
from pipeline.store.posts import add_posts
from tests.factories import make_post

T0 = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def export_jsonl(factory: sessionmaker[Session], config: Config, **filters: object) -> list[dict[str, object]]:
    out = io.BytesIO()
    export_posts(factory, config, out, fmt="jsonl", filters=ExportFilter(**filters))  # type: ignore[arg-type]
    return [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]


def analyse(session: Session, post_id: int, *, relevance: float, version: str = "v1",
            sentiment: str = "neg", category: str = "rumour", at: datetime = T0) -> None:
    session.add(Analysis(post_id=post_id, model_version=version, relevance=relevance,
                         is_relevant=relevance >= 0.5, rumour=0.25, sentiment=sentiment, negative=0.5,
                         category=category, created_at=at))


def add_event(session: Session, key: str, *, alerted: bool) -> int:
    event = Event(key=key, title=key, first_seen=T0, last_seen=T0)
    session.add(event)
    session.flush()
    if alerted:
        session.add(Alert(event_id=event.id, rule="r", category="rumour", grade="III", due_at=T0))
    return event.id


def test_fields_times_and_newest_analysis(factory: sessionmaker[Session], make_config) -> None:
    config = make_config()
    with transaction(factory) as s:
        add_posts(s, [
            make_post("city-news", published_at=T0, thread_url="https://bbs.example.cn/t/1", floor=3),
            make_post("city-news", published_at=None, author=None),
        ])
        analysed = s.scalars(select(Post.id).where(Post.floor == 3)).one()
        analyse(s, analysed, relevance=0.2, version="v1", sentiment="neu", category="hot_issue")
        s.flush()
        analyse(s, analysed, relevance=0.875, version="v2", sentiment="neg", category="rumour",
                at=T0 + timedelta(hours=1))
        s.get_one(Post, analysed).event_id = add_event(s, "e1", alerted=False)
    first, second = export_jsonl(factory, config)
    assert tuple(first) == EXPORT_FIELDS
    assert first["source"] == "city-news"
    assert first["published_at"] == "2026-03-05T10:00:00+08:00"
    assert (first["thread_url"], first["floor"]) == ("https://bbs.example.cn/t/1", 3)
    assert (first["relevance"], first["rumour"], first["sentiment"], first["category"]) == (0.875, 0.25, "neg",
                                                                                             "rumour")
    assert isinstance(first["event_id"], int)
    assert second["published_at"] is None and second["author"] is None
    assert all(second[k] is None for k in ("relevance", "rumour", "sentiment", "category", "event_id"))


def test_filters_since_until_source_flagged(factory: sessionmaker[Session], make_config) -> None:
    config = make_config()
    with transaction(factory) as s:
        add_posts(s, [
            make_post("a", title="day1", published_at=T0 - timedelta(days=1)),
            make_post("a", title="day2-relevant", published_at=T0),
            make_post("b", title="day2-alerted", published_at=T0 + timedelta(hours=3)),
            make_post("b", title="day3-fetched", published_at=None, fetched_at=T0 + timedelta(days=1)),
        ])
        ids = [s.scalars(select(Post.id).where(Post.title == t)).one()
               for t in ("day1", "day2-relevant", "day2-alerted", "day3-fetched")]  # new_ids come unordered
        analyse(s, ids[1], relevance=0.9)
        analyse(s, ids[0], relevance=0.1)
        s.get_one(Post, ids[2]).event_id = add_event(s, "alerted", alerted=True)
        s.get_one(Post, ids[3]).event_id = add_event(s, "quiet", alerted=False)
    tz = config.tz

    def titles(**filters: object) -> list[object]:
        return [r["title"] for r in export_jsonl(factory, config, **filters)]

    assert titles(since=parse_bound("2026-03-05", tz, end=False), until=parse_bound("2026-03-05", tz, end=True)) \
        == ["day2-relevant", "day2-alerted"]
    assert titles(since=parse_bound("2026-03-06", tz, end=False)) == ["day3-fetched"]
    assert titles(until=parse_bound("2026-03-05T10:00", tz, end=True)) == ["day1"]
    assert titles(source="b") == ["day2-alerted", "day3-fetched"]
    assert titles(flagged=True) == ["day2-relevant", "day2-alerted"]
    with pytest.raises(NotFound):
        titles(source="nowhere")
    with pytest.raises(ExportError):
        parse_bound("last tuesday", tz, end=False)


def test_csv_is_excel_ready_and_formula_safe(factory: sessionmaker[Session], make_config) -> None:
    config = make_config()
    nasty = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "'=quoted"]
    with transaction(factory) as s:
        add_posts(s, [make_post("city-news", url=None, title=t, text=f"正文 {i}", author=t)
                      for i, t in enumerate(nasty)])
        add_posts(s, [make_post("city-news", title="普通标题", text="=1+2 在开头")])
    out = io.BytesIO()
    assert export_posts(factory, config, out, fmt="csv") == len(nasty) + 1
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese text right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == list(HEADER_ROW)  # Chinese headers: people read CSV files
    for row in rows:
        for name in ("标题", "正文", "作者"):
            assert not row[name].startswith(("=", "+", "-", "@", "\t", "\r")), row[name]
    assert rows[0]["标题"] == "'" + nasty[0]
    assert rows[-1]["正文"] == "'=1+2 在开头"
    assert rows[0]["链接"] == ""  # a post without URL is exported without one


def test_csv_values_are_what_people_read(factory: sessionmaker[Session], make_config) -> None:
    config = make_config()
    with transaction(factory) as s:
        (post_id,) = add_posts(s, [make_post("city-news", published_at=T0)]).new_ids
        analyse(s, post_id, relevance=0.873)
    out = io.BytesIO()
    export_posts(factory, config, out, fmt="csv")
    (row,) = csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig")))
    assert row["相关度"] == "87%"
    assert row["情感"] in ("负面", "中性", "正面") and row["类别"] in {v for v in CATEGORY_NAMES_ZH.values()}
    assert row["发布时间"] == "2026-03-05T10:00:00+08:00"


def test_xlsx_cells_are_text_never_formulas(factory: sessionmaker[Session], make_config, tmp_path: Path) -> None:
    config = make_config()
    with transaction(factory) as s:
        (post_id,) = add_posts(s, [make_post("city-news", title="=cmd|' /C calc'!A0", text="#N/A",
                                             author="控制\x07字符", published_at=T0)]).new_ids
        analyse(s, post_id, relevance=0.75)
    target = tmp_path / "posts.xlsx"
    with target.open("wb") as handle:
        assert export_posts(factory, config, handle, fmt="xlsx") == 1
    book = load_workbook(target)
    sheet = book["信息"]
    header, row = (list(r) for r in sheet.iter_rows())
    assert [c.value for c in header] == list(HEADER_ROW) and header[0].font.bold
    cells = dict(zip(EXPORT_FIELDS, row, strict=False))
    assert cells["title"].value == "=cmd|' /C calc'!A0" and cells["title"].data_type == "s"
    assert cells["text"].value == "#N/A" and cells["text"].data_type == "s"
    assert cells["author"].value == "控制字符"  # control characters Excel rejects are dropped
    assert cells["relevance"].value == 0.75 and cells["relevance"].number_format == "0%"  # shown as 75%
    # a real date cell in the config's zone (10:00 in Shanghai), not a string
    assert cells["published_at"].is_date and cells["published_at"].value == datetime(2026, 3, 5, 10, 0)
    assert cells["published_at"].number_format == "yyyy-mm-dd hh:mm"
    assert cells["sentiment"].value in ("负面", "中性", "正面")
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:M2"
    assert sheet.column_dimensions["D"].width == 60  # 正文 wide, 楼层 narrow
    assert sheet.column_dimensions["H"].width == 6


def test_export_is_audited(factory: sessionmaker[Session], make_config) -> None:
    config = make_config()
    with transaction(factory) as s:
        add_posts(s, [make_post("city-news")])
    export_jsonl(factory, config, source="city-news")
    with factory() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry is not None and entry.detail["rows"] == 1 and entry.detail["source"] == "city-news"
