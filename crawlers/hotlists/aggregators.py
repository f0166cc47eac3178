"""Readers of self-hosted hot-list aggregators an office may run (``base_url`` in config).

- newsnow ``/api/s?id=<board>``: ``{"status": "success"|"cache", "id", "updatedTime", "items": [...]}``,
  each item ``title``, ``url``, ``extra.info`` (the heat as shown, e.g. "123万").
- DailyHotApi ``/<board>``: ``{"code": 200, "name", "title", "type", "data": [...]}``, each item
  ``title``, ``desc``, ``hot``, ``url``.
- RSSHub ``<route>`` (e.g. ``/weibo/search/hot``): RSS whose item order is the rank.
"""

from __future__ import annotations

import feedparser

from crawlers.extract.text import html_text
from crawlers.hotlists.entries import FormatChanged, HotEntry, entry_list, load_json, parse_heat, ranked, text_field


def read_newsnow(body: bytes) -> list[HotEntry]:
    data = load_json(body, "newsnow")
    status = data.get("status") if isinstance(data, dict) else None
    if status not in ("success", "cache"):
        raise FormatChanged(f"newsnow: status is {status!r}, expected 'success' or 'cache'")
    out = []
    for position, item in enumerate(entry_list(data, "items", "newsnow"), start=1):
        extra = item.get("extra") if isinstance(item.get("extra"), dict) else {}
        heat = extra.get("info") if isinstance(extra.get("info"), str | int | float) else None
        out.append(HotEntry(0, text_field(item, ("title",), "newsnow", position),
                            text_field(item, ("url", "mobileUrl"), "newsnow", position), parse_heat(heat),
                            str(extra.get("hover") or "") if isinstance(extra.get("hover"), str) else ""))
    return ranked(out, "newsnow")


def read_dailyhot(body: bytes) -> list[HotEntry]:
    data = load_json(body, "dailyhot")
    code = data.get("code") if isinstance(data, dict) else None
    if code != 200:
        raise FormatChanged(f"dailyhot: code is {code!r}, expected 200 "
                            f"({data.get('message') if isinstance(data, dict) else 'not an object'})")
    out = []
    for position, item in enumerate(entry_list(data, "data", "dailyhot"), start=1):
        out.append(HotEntry(0, text_field(item, ("title",), "dailyhot", position),
                            text_field(item, ("url", "mobileUrl"), "dailyhot", position),
                            parse_heat(item.get("hot")), str(item.get("desc") or "")))
    return ranked(out, "dailyhot")


def read_rsshub(body: bytes) -> list[HotEntry]:
    feed = feedparser.parse(body)
    if not feed.entries:
        reason = f" ({feed.bozo_exception})" if feed.bozo else ""
        raise FormatChanged(f"rsshub: the response is no RSS/Atom feed with items{reason}")
    out = []
    for position, entry in enumerate(feed.entries, start=1):
        title = html_text(entry.get("title", "")).strip()
        link = entry.get("link")
        if not title or not link:
            raise FormatChanged(f"rsshub: item {position} has no title or link")
        out.append(HotEntry(0, title, link, None, html_text(entry.get("summary", "") or "").strip()))
    return ranked(out, "rsshub")
