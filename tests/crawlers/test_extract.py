"""Dates, encodings, clean text and canonical URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crawlers.extract.dates import parse_date
from crawlers.extract.encoding import choose_encoding, decode_html
from crawlers.extract.text import html_text, main_text
from crawlers.urls import canonical_url, post_url, without_page
from tests.conftest import FakeClock

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("text", "expected"), [
    ("2024年3月5日 10:32", datetime(2024, 3, 5, 10, 32, tzinfo=SH)),
    ("发布时间：2024年03月05日10:32:07 来源：新华社", datetime(2024, 3, 5, 10, 32, 7, tzinfo=SH)),
    ("2024-03-05", datetime(2024, 3, 5, tzinfo=SH)),
    ("2024/3/5 8:05", datetime(2024, 3, 5, 8, 5, tzinfo=SH)),
    ("2024.03.05", datetime(2024, 3, 5, tzinfo=SH)),
    ("2024-03-05T02:32:00Z", datetime(2024, 3, 5, 10, 32, tzinfo=SH)),
    ("2025-01-28T04:17:00+08:00", datetime(2025, 1, 28, 4, 17, tzinfo=SH)),
    ("3分钟前", datetime(2026, 3, 5, 9, 57, tzinfo=SH)),
    ("2 小时前", datetime(2026, 3, 5, 8, 0, tzinfo=SH)),
    ("三天前", datetime(2026, 3, 2, 10, 0, tzinfo=SH)),
    ("刚刚", datetime(2026, 3, 5, 10, 0, tzinfo=SH)),
    ("昨天 08:15", datetime(2026, 3, 4, 8, 15, tzinfo=SH)),
    ("前天 23:59", datetime(2026, 3, 3, 23, 59, tzinfo=SH)),
    ("今天 09:00", datetime(2026, 3, 5, 9, 0, tzinfo=SH)),
    ("03-05 10:32", datetime(2026, 3, 5, 10, 32, tzinfo=SH)),
    ("12-30 10:32", datetime(2025, 12, 30, 10, 32, tzinfo=SH)),  # in the future this year: last year
    ("3月4日 07:00", datetime(2026, 3, 4, 7, 0, tzinfo=SH)),
])
def test_chinese_dates_in_the_source_timezone(text: str, expected: datetime, clock: FakeClock) -> None:
    # the fake clock stands at 2026-03-05 02:00 UTC = 10:00 in Shanghai
    found = parse_date(text, SH, clock.now())
    assert found == expected
    assert found is not None and found.tzinfo is not None


def test_no_date_and_other_timezones(clock: FakeClock) -> None:
    assert parse_date("没有日期的文字", SH, clock.now()) is None
    assert parse_date("", SH, clock.now()) is None
    taipei = parse_date("昨天 08:15", ZoneInfo("Asia/Taipei"), clock.now())
    assert taipei == datetime(2026, 3, 4, 8, 15, tzinfo=ZoneInfo("Asia/Taipei"))
    assert parse_date("2024年2月30日", SH, clock.now()) is None  # not a day


def test_encodings_from_header_meta_and_detection() -> None:
    text = "<html><head><title>计划生育奖励扶助</title></head><body>" + "独生子女父母奖励，" * 20 + "</body></html>"
    gbk = text.encode("gbk")
    assert choose_encoding(gbk, "text/html; charset=GBK") == "gb18030"
    assert choose_encoding(gbk, "text/html; charset=gb2312") == "gb18030"  # GB2312 labels decode as GB18030
    meta = ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' + text).encode("gb18030")
    assert decode_html(meta, "text/html")[0].endswith(text)
    assert decode_html(gbk, None)[0] == text  # detection
    assert decode_html(gbk, "text/html; charset=utf-8")[0] == text  # a lying header is not trusted
    big5 = "<html><body>生育津貼按月發放，請市民留意。生育津貼按月發放，請市民留意。</body></html>"
    assert decode_html(big5.encode("big5"), "text/html; charset=big5")[0] == big5
    assert decode_html("你好".encode(), "text/html")[0] == "你好"
    assert choose_encoding(gbk, None, configured="gbk") == "gb18030"
    rare = "出生人口监测㐀" * 5  # a character outside GBK, inside GB18030
    assert decode_html(rare.encode("gb18030"), "text/html; charset=gb2312")[0] == rare


def test_clean_text_drops_scripts_styles_navigation() -> None:
    markup = """<div><nav>首页 导航</nav><script>var a = "脚本";</script><style>p{}</style>
    <p>第一段　文字</p><p>第二段<br>换行</p><form>搜索框</form><footer>页脚</footer></div>"""
    assert html_text(markup) == "第一段 文字\n第二段\n换行"
    page = "<html><body><nav>导航 菜单</nav><article><h1>标题</h1><p>" + "正文内容很长。" * 60 + \
        "</p></article><footer>版权所有</footer></body></html>"
    extracted = main_text(page)
    assert "正文内容很长。" in extracted and "导航" not in extracted and "版权所有" not in extracted


def test_canonical_urls() -> None:
    assert canonical_url("http://News.Example.cn:80/a/b.html?utm_source=wx&id=3&spm=1.2&from=timeline#top") == \
        "http://news.example.cn/a/b.html?id=3"
    assert canonical_url("http://x.cn/a?b=2&a=1") == canonical_url("http://x.cn/a?a=1&b=2")
    assert canonical_url("https://x.cn/新闻/1.html") == "https://x.cn/%E6%96%B0%E9%97%BB/1.html"
    assert canonical_url("http://x.cn/a?q=%C4%E3") == "http://x.cn/a?q=%C4%E3"  # GBK query bytes kept
    assert post_url("http://x.cn/t/1/?utm_medium=x#c5", 3) == "http://x.cn/t/1/#floor-3"
    assert without_page("http://x.cn/t/1/?page=3&x=1") == "http://x.cn/t/1/?x=1"
    _ = datetime.now(UTC)
