"""`yuqing import` and `yuqing export` as users run them: the real program in a subprocess."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.pipeline.test_cli_setup import yuqing


def test_import_then_export_from_the_command_line(tmp_path: Path) -> None:
    assert yuqing("init", ".", cwd=tmp_path).returncode == 0
    posts = tmp_path / "vendor.csv"
    posts.write_bytes("链接,标题,正文,发布时间\r\n"
                      "https://a.example.cn/1,通知,三孩政策解读,2026-03-05 10:00\r\n"
                      "https://a.example.cn/2,无正文,,2026-03-05 11:00\r\n"
                      "https://a.example.cn/3,公式,=1+2,2026/3/5\r\n".encode("gbk"))

    result = yuqing("import", "vendor.csv", "--source", "vendor", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "vendor.csv:3: no text" in result.stderr
    assert "imported vendor.csv into vendor: 3 rows: 2 new, 0 updated, 0 unchanged, 1 bad" in result.stdout

    result = yuqing("export", "--source", "vendor", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["title"], r["text"], r["published_at"]) for r in lines] == [
        ("通知", "三孩政策解读", "2026-03-05T10:00:00+08:00"), ("公式", "=1+2", "2026-03-05T00:00:00+08:00")]

    result = yuqing("export", "--q", "三孩政策 OR title:公式", "--format", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [r[2] for r in csv.reader(io.StringIO(result.stdout.lstrip("\ufeff")))][1:] == ["通知", "公式"]

    result = yuqing("export", "--out", "posts.csv", "--since", "2026-03-05", cwd=tmp_path)
    assert result.returncode == 0 and "exported 2 posts to posts.csv" in result.stdout
    assert "'=1+2" in (tmp_path / "posts.csv").read_text(encoding="utf-8-sig")


def test_errors_are_one_line(tmp_path: Path) -> None:
    assert yuqing("init", ".", cwd=tmp_path).returncode == 0
    (tmp_path / "a.csv").write_text("title\nx\n", encoding="utf-8")
    cases = [
        (("export", "--format", "xlsx"), "give --out"),
        (("export", "--since", "someday"), "is not a date"),
        (("export", "--source", "nowhere"), "no source named"),
        (("export", "--q", "(三孩 OR"), "--q: expression ends where a term was expected"),
        (("import", "a.csv", "--source", "x"), "no text column"),
        (("import", "a.csv", "--source", "bad name!"), "source name"),
    ]
    for args, message in cases:
        result = yuqing(*args, cwd=tmp_path)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
