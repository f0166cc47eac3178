"""Readers of the platforms' own public hot-list endpoints (no login, no cookies).

The formats are the ones public readers document (newsnow, DailyHotApi, TrendRadar):

- 微博热搜 ``weibo.com/ajax/side/hotSearch``: ``data.realtime[]`` with ``word``, ``note``, ``num``;
  ``is_ad`` entries are advertisements and skipped.
- 百度热搜 ``top.baidu.com/board?tab=realtime``: an HTML page carrying its data in a comment
  ``<!--s-data:{...}-->``: ``data.cards[0].content[]`` with ``word``/``query``, ``desc``,
  ``hotScore``; ``isTop`` is the pinned entry, not ranked.
- 知乎热榜 ``api/v3/feed/topstory/hot-lists/total``: ``data[].target`` with ``title``, ``excerpt``,
  ``url`` (an api.zhihu.com question URL) and ``detail_text`` "1234 万热度"; the web variant
  ``hot-list-web`` with ``target.title_area.text`` / ``link.url`` / ``metrics_area.text`` too.
- 抖音热榜 ``aweme/v1/web/hot/search/list``: ``data.word_list[]`` with ``word``, ``hot_value``,
  ``sentence_id``.
- 今日头条热榜 ``hot-event/hot-board``: ``data[]`` with ``Title``, ``HotValue``, ``ClusterIdStr``.
- B站热搜 ``s.search.bilibili.com/main/hotword``: ``list[]`` with ``keyword``, ``show_name``,
  ``heat_score``; or ``data.trending.list[]`` of the search-square API.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from crawlers.hotlists.entries import (
    FormatChanged,
    HotEntry,
    dig,
    entry_list,
    load_json,
    parse_heat,
    ranked,
    text_field,
)


def read_weibo(body: bytes) -> list[HotEntry]:
    data = load_json(body, "weibo")
    out = []
    for position, item in enumerate(entry_list(data, "data.realtime", "weibo"), start=1):
        if isinstance(item, dict) and item.get("is_ad"):
            continue
        word = text_field(item, ("word", "note"), "weibo", position)
        out.append(HotEntry(0, word, f"https://s.weibo.com/weibo?q={quote('#' + word + '#')}",
                            parse_heat(item.get("num")), str(item.get("note") or "")))
    return ranked(out, "weibo")


_BAIDU_DATA = re.compile(rb"<!--s-data:(.*?)-->", re.S)


def read_baidu(body: bytes) -> list[HotEntry]:
    match = _BAIDU_DATA.search(body)
    if match is None:
        raise FormatChanged("baidu: the page carries no <!--s-data:...--> block")
    try:
        data = json.loads(match.group(1))
    except ValueError as exc:
        raise FormatChanged(f"baidu: the s-data block is not JSON ({exc})") from exc
    cards = entry_list(data, "data.cards", "baidu")
    out = []
    for position, item in enumerate(entry_list(cards[0], "content", "baidu"), start=1):
        if isinstance(item, dict) and item.get("isTop"):
            continue
        word = text_field(item, ("word", "query"), "baidu", position)
        query = item.get("query") or word
        out.append(HotEntry(0, word, f"https://www.baidu.com/s?wd={quote(str(query))}",
                            parse_heat(item.get("hotScore")), str(item.get("desc") or "")))
    return ranked(out, "baidu")


_ZHIHU_API_QUESTION = re.compile(r"^https?://api\.zhihu\.com/questions/(\d+)")


def _zhihu_url(url: str) -> str:
    match = _ZHIHU_API_QUESTION.match(url)
    return f"https://www.zhihu.com/question/{match.group(1)}" if match else url


def read_zhihu(body: bytes) -> list[HotEntry]:
    data = load_json(body, "zhihu")
    out = []
    for position, item in enumerate(entry_list(data, "data", "zhihu"), start=1):
        target = dig(item, "target", "zhihu")
        if isinstance(target, dict) and "title_area" in target:  # the hot-list-web variant
            title = text_field(target.get("title_area"), ("text",), "zhihu", position)
            url = text_field(target.get("link"), ("url",), "zhihu", position)
            excerpt = (target.get("excerpt_area") or {}).get("text") or ""
            heat = parse_heat((target.get("metrics_area") or {}).get("text"))
        else:
            title = text_field(target, ("title",), "zhihu", position)
            url = text_field(target, ("url",), "zhihu", position)
            excerpt = target.get("excerpt") or ""
            heat = parse_heat(item.get("detail_text"))
        out.append(HotEntry(0, title, _zhihu_url(url), heat, str(excerpt)))
    return ranked(out, "zhihu")


def read_douyin(body: bytes) -> list[HotEntry]:
    data = load_json(body, "douyin")
    out = []
    for position, item in enumerate(entry_list(data, "data.word_list", "douyin"), start=1):
        word = text_field(item, ("word",), "douyin", position)
        sentence = item.get("sentence_id")
        url = (f"https://www.douyin.com/hot/{quote(str(sentence))}" if sentence
               else f"https://www.douyin.com/search/{quote(word)}")
        out.append(HotEntry(0, word, url, parse_heat(item.get("hot_value"))))
    return ranked(out, "douyin")


def read_toutiao(body: bytes) -> list[HotEntry]:
    data = load_json(body, "toutiao")
    out = []
    for position, item in enumerate(entry_list(data, "data", "toutiao"), start=1):
        title = text_field(item, ("Title", "QueryWord"), "toutiao", position)
        cluster = item.get("ClusterIdStr") or item.get("ClusterId")
        url = (f"https://www.toutiao.com/trending/{cluster}/" if cluster
               else text_field(item, ("Url",), "toutiao", position))
        out.append(HotEntry(0, title, url, parse_heat(item.get("HotValue"))))
    return ranked(out, "toutiao")


def read_bilibili(body: bytes) -> list[HotEntry]:
    data: Any = load_json(body, "bilibili")
    path = "list" if isinstance(data, dict) and "list" in data else "data.trending.list"
    out = []
    for position, item in enumerate(entry_list(data, path, "bilibili"), start=1):
        keyword = text_field(item, ("keyword", "show_name"), "bilibili", position)
        title = text_field(item, ("show_name", "keyword"), "bilibili", position)
        out.append(HotEntry(0, title, f"https://search.bilibili.com/all?keyword={quote(keyword)}",
                            parse_heat(item.get("heat_score"))))
    return ranked(out, "bilibili")
