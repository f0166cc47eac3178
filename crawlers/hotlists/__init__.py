"""Hot lists (热搜/热榜): where each platform's list is read, and the reader of its format.

`hotlist_url` resolves a source's endpoint (the platform's public one, or the configured
aggregator's), `read_hotlist` parses one response into ranked `HotEntry` values and
`hotlist_label` names the list as people say it ("微博热搜"). Pure: no network, no database.
"""

from __future__ import annotations

from collections.abc import Callable

from crawlers.hotlists.aggregators import read_dailyhot, read_newsnow, read_rsshub
from crawlers.hotlists.entries import FormatChanged, HotEntry, parse_heat
from crawlers.hotlists.platforms import (
    read_baidu,
    read_bilibili,
    read_douyin,
    read_toutiao,
    read_weibo,
    read_zhihu,
)

__all__ = ["AGGREGATORS", "PLATFORMS", "FormatChanged", "HotEntry", "hotlist_label", "hotlist_url",
           "parse_heat", "read_hotlist"]

Reader = Callable[[bytes], list[HotEntry]]

# platform → (label, public endpoint, reader)
PLATFORMS: dict[str, tuple[str, str, Reader]] = {
    "weibo": ("微博热搜", "https://weibo.com/ajax/side/hotSearch", read_weibo),
    "baidu": ("百度热搜", "https://top.baidu.com/board?tab=realtime", read_baidu),
    "zhihu": ("知乎热榜", "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50", read_zhihu),
    "douyin": ("抖音热榜", "https://www.douyin.com/aweme/v1/web/hot/search/list/?device_platform=webapp"
               "&aid=6383&channel=channel_pc_web&detail_list=1", read_douyin),
    "toutiao": ("今日头条热榜", "https://www.toutiao.com/hot-event/hot-board/?origin=toutiao_pc", read_toutiao),
    "bilibili": ("B站热搜", "https://s.search.bilibili.com/main/hotword?limit=30", read_bilibili),
}
AGGREGATORS: dict[str, Reader] = {"newsnow": read_newsnow, "dailyhot": read_dailyhot, "rsshub": read_rsshub}
# RSSHub routes of the platforms' lists; another list is named by its route ("/…") as ``board``.
RSSHUB_ROUTES = {"weibo": "/weibo/search/hot", "zhihu": "/zhihu/hot", "bilibili": "/bilibili/hot-search",
                 "baidu": "/baidu/top/realtime", "douyin": "/douyin/trending", "toutiao": "/toutiao/hot"}
# DailyHotApi names 今日头条 "toutiao" like we do; newsnow calls B站 "bilibili-hot-search".
NEWSNOW_IDS = {"bilibili": "bilibili-hot-search"}


def hotlist_url(platform: str, *, base_url: str | None = None, board: str = "weibo") -> str:
    """The URL polled for a hot-list source."""
    if platform in PLATFORMS:
        return PLATFORMS[platform][1]
    if platform not in AGGREGATORS:
        raise ValueError(f"unknown hot-list platform {platform!r}")
    if not base_url:
        raise ValueError(f"a {platform} hot list needs base_url (the aggregator's address)")
    base = base_url.rstrip("/")
    if platform == "newsnow":
        return f"{base}/api/s?id={NEWSNOW_IDS.get(board, board)}"
    if platform == "dailyhot":
        return f"{base}/{board.strip('/')}"
    route = board if board.startswith("/") else RSSHUB_ROUTES.get(board)
    if route is None:
        raise ValueError(f"no RSSHub route known for {board!r}; write the route as board, e.g. /weibo/search/hot")
    return f"{base}{route}"


def hotlist_label(platform: str, board: str = "weibo") -> str:
    """How people name the list: 微博热搜, 知乎热榜 … (an aggregator's board by its platform)."""
    if platform in PLATFORMS:
        return PLATFORMS[platform][0]
    if board in PLATFORMS:
        return PLATFORMS[board][0]
    return f"{platform} {board.strip('/')}"


def read_hotlist(platform: str, body: bytes) -> list[HotEntry]:
    """The entries of one response, rank 1 first; `FormatChanged` when its shape is not the known one."""
    reader = PLATFORMS[platform][2] if platform in PLATFORMS else AGGREGATORS[platform]
    return reader(body)
