"""`yuqing import`: round trips, bad input and the watched folder, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config
from pipeline.db import transaction
from pipeline.exceptions import StorageError
from pipeline.exporting import export_posts
from pipeline.filereading import ImportFileError
from pipeline.importing import import_file, import_folder
from pipeline.models import ImportFile, Post, Source
from pipeline.store.posts import add_posts
from tests.factories import make_post, make_posts


def stored(factory: sessionmaker[Session]) -> list[Post]:
    with factory() as s:
        return list(s.scalars(select(Post).order_by(Post.id)))


def exported(factory: sessionmaker[Session], config: Config, fmt: str = "jsonl") -> bytes:
    out = io.BytesIO()
    export_posts(factory, config, out, fmt=fmt)  # type: ignore[arg-type]
    return out.getvalue()


def clear(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM posts"))
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("DELETE FROM sources"))


ODD_POSTS = [
    dict(title="=SUM(A1:A9)", text="-5 元？'谣言'\n第二行, 带逗号 \"引号\"", author="@某网友"),
    dict(url=None, title="", text="没有链接的帖子 +1", author=None, published_at=None),
    dict(thread_url="https://bbs.example.cn/t/9", floor=12, text="'=已经带引号"),
]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_round_trip_gives_the_same_posts(fmt: str, engine: Engine, factory: sessionmaker[Session],
                                         make_config, tmp_path: Path) -> None:
    config = make_config()
    with transaction(factory) as s:
        add_posts(s, make_posts(20, "city-news") + [make_post("city-news", **f) for f in ODD_POSTS])  # type: ignore[arg-type]
    first = exported(factory, config, fmt)
    before = [(p.url, p.title, p.text, p.author, p.published_at, p.thread_url, p.floor, p.content_hash)
              for p in stored(factory)]
    path = tmp_path / f"posts.{fmt}"
    path.write_bytes(first)
    clear(engine)

    summary = import_file(factory, config, path, source="city-news")

    assert (summary.rows, summary.new, summary.bad) == (23, 23, 0)
    assert exported(factory, config, fmt) == first
    after = [(p.url, p.title, p.text, p.author, p.published_at, p.thread_url, p.floor, p.content_hash)
             for p in stored(factory)]
    assert after == before
    again = import_file(factory, config, path, source="city-news")
    assert (again.new, again.unchanged) == (0, 23)


def test_gbk_csv_is_detected(factory: sessionmaker[Session], make_config, tmp_path: Path) -> None:
    config = make_config()
    lines = ["标题,正文,作者,发布时间,链接"] + [
        f"关于生育补贴的通知{i},二孩家庭可以申请育儿补贴，请到社区服务中心办理第{i}号,市卫健委,2026-03-05 10:{i:02d},"
        f"https://gov.example.cn/n/{i}" for i in range(30)]
    path = tmp_path / "vendor.csv"
    path.write_bytes("\r\n".join(lines).encode("gbk"))

    summary = import_file(factory, config, path, source="vendor")

    assert (summary.new, summary.bad) == (30, 0)
    posts = stored(factory)
    assert posts[3].title == "关于生育补贴的通知3" and posts[3].author == "市卫健委"
    assert posts[3].text.startswith("二孩家庭可以申请育儿补贴")
    assert posts[3].published_at == datetime(2026, 3, 5, 2, 3, tzinfo=UTC)  # naive: the config timezone


def test_bad_rows_are_reported_and_good_rows_kept(factory: sessionmaker[Session], make_config,
                                                  tmp_path: Path) -> None:
    config = make_config()
    good = {"url": "https://a.example.cn/1", "title": "好", "text": "三孩政策解读"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        '{"url": "https://a.example.cn/2", "text": "断了的行',  # broken JSON
        json.dumps({"url": "https://a.example.cn/3", "title": "没有正文"}),
        json.dumps({"url": "ftp://a.example.cn/4", "text": "x"}),
        json.dumps({"text": "时间不对", "published_at": "昨天"}),
        json.dumps({"text": "楼层不对", "floor": "二楼"}),
        "[1, 2]",
        "",
        json.dumps({"url": "https://a.example.cn/5#frag", "text": "有时区", "published_at": "2026-03-05T01:00:00Z"}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n" + b'{"text": "\xff\xfe bad bytes"}\n')

    summary = import_file(factory, config, path, source="vendor")

    reasons = {bad.line: bad.reason for bad in summary.bad_rows}
    assert set(reasons) == {2, 3, 4, 5, 6, 7, 10}
    assert "not valid JSON" in reasons[2]
    assert reasons[3] == "no text"
    assert "not an http(s) URL" in reasons[4]
    assert "published_at" in reasons[5] and "floor" in reasons[6] and "not a JSON object" in reasons[7]
    assert "not valid utf-8" in reasons[10]
    assert (summary.rows, summary.new, summary.bad) == (9, 2, 7)
    assert str(summary.bad_rows[0]) == "feed.jsonl:2: " + reasons[2]
    posts = stored(factory)
    assert [p.url for p in posts] == ["https://a.example.cn/1", "https://a.example.cn/5"]
    assert posts[1].published_at == datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


def test_csv_bad_rows_and_undecodable_line(factory: sessionmaker[Session], make_config,
                                           tmp_path: Path) -> None:
    config = make_config()
    body = "url,title,text\nhttps://a.example.cn/1,t1,\"多行\n正文\"\nhttps://a.example.cn/2,t2,\n"
    path = tmp_path / "sheet.csv"
    path.write_bytes(body.encode("utf-8") + b"https://a.example.cn/3,t3,\xff\xff\nhttps://a.example.cn/4,t4,ok\n")
    summary = import_file(factory, config, path, source="vendor")
    assert [(b.line, b.reason) for b in summary.bad_rows] == [(4, "no text"), (5, "line 5 is not valid utf-8 text")]
    assert [p.text for p in stored(factory)] == ["多行\n正文", "ok"]


def test_whole_file_problems_are_one_clear_error(factory: sessionmaker[Session], make_config,
                                                 tmp_path: Path) -> None:
    config = make_config()
    no_text = tmp_path / "a.csv"
    no_text.write_text("url,title\nhttps://a.example.cn/1,t\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="no text column"):
        import_file(factory, config, no_text, source="vendor")
    unknown = tmp_path / "a.xml"
    unknown.write_text("<x/>", encoding="utf-8")
    with pytest.raises(ImportFileError, match="--format"):
        import_file(factory, config, unknown, source="vendor")


def test_import_keeps_a_configured_sources_kind(factory: sessionmaker[Session], make_config,
                                                tmp_path: Path) -> None:
    config = make_config(sources=[{"name": "city-news", "kind": "list", "start_urls": ["https://a.example.cn/"]}])
    path = tmp_path / "p.jsonl"
    path.write_text('{"text": "补录的帖子"}\n', encoding="utf-8")
    import_file(factory, config, path, source="city-news")
    import_file(factory, config, path, source="walk-in")
    with factory() as s:
        kinds = {name: kind for name, kind in s.execute(select(Source.name, Source.kind))}
    assert kinds == {"city-news": "list", "walk-in": "import"}


def _folder_config(make_config, folder: Path) -> tuple[Config, object]:
    config = make_config(sources=[{"name": "drop", "kind": "import", "folder": str(folder)}])
    return config, config.source("drop")


def test_folder_imports_each_file_once(factory: sessionmaker[Session], make_config, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    config, source = _folder_config(make_config, folder)
    (folder / "a.jsonl").write_text('{"url": "https://a.example.cn/1", "text": "一"}\n{"title": "无正文"}\n',
                                    encoding="utf-8")
    (folder / "b.csv").write_text("text\n二\n", encoding="utf-8")
    (folder / "broken.csv").write_text("title\n三\n", encoding="utf-8")
    (folder / "notes.docx").write_bytes(b"ignored")

    first = import_folder(factory, config, source, settle_seconds=0)  # type: ignore[arg-type]

    assert (first.files, first.new, first.bad, len(first.failed_files)) == (3, 2, 1, 1)
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["a.jsonl", "a.jsonl.errors.txt", "b.csv"]
    assert "a.jsonl:2: no text" in (folder / "done/a.jsonl.errors.txt").read_text(encoding="utf-8")
    assert "no text column" in (folder / "failed/broken.csv.error.txt").read_text(encoding="utf-8")
    assert (folder / "notes.docx").exists()

    (folder / "b-copy.csv").write_text("text\n二\n", encoding="utf-8")  # the same file again, renamed
    second = import_folder(factory, config, source, settle_seconds=0)  # type: ignore[arg-type]
    assert (second.files, second.rows) == (0, 0)
    assert len(stored(factory)) == 2


def test_folder_file_failing_half_way_resumes_without_loss_or_repeat(
        engine: Engine, factory: sessionmaker[Session], make_config, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    config, source = _folder_config(make_config, folder)
    rows = [{"text": f"第{i}条", "title": "BOOM" if i == 25 else f"t{i}"} for i in range(40)]
    rows[7] = {"title": "无正文"}
    (folder / "day.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                      encoding="utf-8")
    _fail_inserts_titled(engine, "BOOM")  # the database rejects the chunk holding row 25

    with pytest.raises(StorageError, match="rows up to line 20 are stored"):
        import_folder(factory, config, source, settle_seconds=0, chunk_rows=10)  # type: ignore[arg-type]

    assert len(stored(factory)) == 19  # two chunks committed, minus the row without text
    assert (folder / "day.jsonl").exists()
    _allow_inserts(engine)
    summary = import_folder(factory, config, source, settle_seconds=0, chunk_rows=10)  # type: ignore[arg-type]

    assert (summary.rows, summary.new, summary.unchanged, summary.bad) == (20, 20, 0, 0)
    assert sorted(p.text for p in stored(factory)) == sorted(r["text"] for r in rows if "text" in r)
    with factory() as s:
        record = s.scalars(select(ImportFile)).one()
        assert (record.status, record.rows, record.new, record.bad) == ("done", 40, 39, 1)
        assert s.scalar(select(func.count()).select_from(Post)) == 39
    assert (folder / "done/day.jsonl").exists()


def _fail_inserts_titled(engine: Engine, title: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(f"CREATE TRIGGER boom BEFORE INSERT ON posts WHEN NEW.title = '{title}' "
                              "BEGIN SELECT RAISE(ABORT, 'rejected by test trigger'); END"))
        else:
            conn.execute(text(f"CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.title = '{title}' THEN "
                              "RAISE EXCEPTION 'rejected by test trigger'; END IF; RETURN NEW; END $$ "
                              "LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER boom BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION boom()"))


def _allow_inserts(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER boom"))
        else:
            conn.execute(text("DROP TRIGGER boom ON posts"))
            conn.execute(text("DROP FUNCTION boom()"))


def test_files_still_being_written_wait(factory: sessionmaker[Session], make_config, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    config, source = _folder_config(make_config, folder)
    fresh = folder / "arriving.jsonl"
    fresh.write_text('{"text": "还在写"}\n', encoding="utf-8")
    assert import_folder(factory, config, source, settle_seconds=3600).files == 0  # type: ignore[arg-type]
    os.utime(fresh, (fresh.stat().st_atime, fresh.stat().st_mtime - 7200))
    assert import_folder(factory, config, source, settle_seconds=3600).new == 1  # type: ignore[arg-type]
