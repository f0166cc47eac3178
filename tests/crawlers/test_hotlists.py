"""Hot-list readers on responses written from each platform's documented format."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.hotlists import FormatChanged, hotlist_label, hotlist_url, parse_heat, read_hotlist

FIXTURES = Path(__file__).parent / "fixtures" / "hotlists"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(("platform", "fixture", "first", "url", "heat", "count"), [
    ("weibo", "weibo.json", "某地发布生育支持新政",
     "https://s.weibo.com/weibo?q=%23%E6%9F%90%E5%9C%B0%E5%8F%91%E5%B8%83%E7%94%9F%E8%82%B2%E6%94%AF%E6%8C%81%E6%96%B0"
     "%E6%94%BF%23", 1523342, 3),
    ("baidu", "baidu.html", "三孩育儿补贴开始申领",
     "https://www.baidu.com/s?wd=%E4%B8%89%E5%AD%A9%E8%82%B2%E5%84%BF%E8%A1%A5%E8%B4%B4%E5%BC%80%E5%A7%8B%E7%94%B3%E9%A2%86",
     4981234, 2),
    ("zhihu", "zhihu.json", "如何看待多地取消社会抚养费？", "https://www.zhihu.com/question/612345678", 12340000, 2),
    ("zhihu", "zhihu-web.json", "生育津贴怎么领？", "https://www.zhihu.com/question/634567890", 3020000, 1),
    ("douyin", "douyin.json", "生育登记全面放开", "https://www.douyin.com/hot/1789001", 11783412, 2),
    ("toutiao", "toutiao.json", "出生人口数据发布", "https://www.toutiao.com/trending/7312345678/", 25413214, 2),
    ("bilibili", "bilibili.json", "育儿补贴怎么申领",
     "https://search.bilibili.com/all?keyword=%E8%82%B2%E5%84%BF%E8%A1%A5%E8%B4%B4", 112233, 2),
    ("newsnow", "newsnow.json", "网传二孩家庭罚款10万", "https://s.weibo.com/weibo?q=%23%E7%BD%91%E4%BC%A0%23",
     None, 2),
    ("dailyhot", "dailyhot.json", "生育支持新政", "https://s.weibo.com/weibo?q=%23%E7%94%9F%E8%82%B2%23&t=31",
     1523342, 2),
    ("rsshub", "rsshub.xml", "网传二孩家庭罚款10万", "https://s.weibo.com/weibo?q=%23%E7%BD%91%E4%BC%A0%23", None, 2),
])
def test_reader_reads_the_documented_format(platform: str, fixture: str, first: str, url: str,
                                            heat: float | None, count: int) -> None:
    entries = read_hotlist(platform, body(fixture))
    assert [e.rank for e in entries] == list(range(1, count + 1))
    assert entries[0].title == first
    assert entries[0].url == url
    assert entries[0].heat == heat


def test_pinned_and_advertised_entries_are_not_ranked() -> None:
    weibo = read_hotlist("weibo", body("weibo.json"))
    assert [e.title for e in weibo] == ["某地发布生育支持新政", "网传二孩家庭罚款10万", "周末天气"]
    baidu = read_hotlist("baidu", body("baidu.html"))
    assert "置顶：学习贯彻全会精神" not in [e.title for e in baidu]
    assert baidu[0].text == "多地已开放线上申领渠道。"


@pytest.mark.parametrize(("platform", "fixture", "reason"), [
    ("weibo", "weibo-changed.json", "weibo: expected data.realtime, but data has no 'realtime' (found: band_list)"),
    ("baidu", "baidu-changed.html", "baidu: the page carries no <!--s-data:...--> block"),
    ("zhihu", "zhihu-changed.json", "zhihu: expected target, but the top level has no 'target' (found: card, type)"),
    ("douyin", "douyin-changed.json", "douyin: expected data.word_list, but data has no 'word_list'"),
    ("toutiao", "toutiao-changed.json", "toutiao: expected data, but the top level has no 'data'"),
    ("bilibili", "bilibili-changed.json", "bilibili: expected data.trending.list, but the top level has no 'data'"),
    ("newsnow", "newsnow-changed.json", "newsnow: status is 'error'"),
    ("dailyhot", "dailyhot-changed.json", "dailyhot: code is 500, expected 200 (获取失败)"),
    ("rsshub", "rsshub-changed.xml", "rsshub: the response is no RSS/Atom feed with items"),
    ("weibo", "baidu.html", "weibo: the response is not JSON"),
])
def test_a_changed_format_says_what_changed(platform: str, fixture: str, reason: str) -> None:
    with pytest.raises(FormatChanged) as caught:
        read_hotlist(platform, body(fixture))
    assert reason in str(caught.value)


def test_an_empty_list_is_a_changed_format_not_an_empty_success() -> None:
    with pytest.raises(FormatChanged, match="empty"):
        read_hotlist("weibo", b'{"ok": 1, "data": {"realtime": []}}')
    with pytest.raises(FormatChanged, match="no entries"):
        read_hotlist("weibo", b'{"ok": 1, "data": {"realtime": [{"word": "x", "is_ad": 1}]}}')


def test_endpoints_and_labels() -> None:
    assert hotlist_url("weibo") == "https://weibo.com/ajax/side/hotSearch"
    assert hotlist_url("newsnow", base_url="http://agg:4444/", board="bilibili") == \
        "http://agg:4444/api/s?id=bilibili-hot-search"
    assert hotlist_url("dailyhot", base_url="http://agg", board="zhihu") == "http://agg/zhihu"
    assert hotlist_url("rsshub", base_url="http://rss", board="weibo") == "http://rss/weibo/search/hot"
    assert hotlist_url("rsshub", base_url="http://rss", board="/36kr/hot-list") == "http://rss/36kr/hot-list"
    with pytest.raises(ValueError, match="base_url"):
        hotlist_url("dailyhot")
    assert hotlist_label("weibo") == "微博热搜"
    assert hotlist_label("newsnow", "zhihu") == "知乎热榜"


@pytest.mark.parametrize(("raw", "value"), [
    (123, 123.0), ("4981234", 4981234.0), ("1234 万热度", 12340000.0), ("1.5亿", 150000000.0),
    ("45万", 450000.0), (None, None), ("热", None), (True, None),
])
def test_parse_heat(raw: object, value: float | None) -> None:
    assert parse_heat(raw) == value
