"""``kind: feed`` — RSS and Atom (feedparser); with ``follow: true`` each entry's page is fetched
and parsed like an article (selectors apply), the entry filling in what the page lacks."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
from scrapy.http import Response

from crawlers.extract.text import html_text
from crawlers.items import PostItem
from crawlers.spiders.base import YuqingSpider
from crawlers.urls import canonical_url
from pipeline.links import is_http_url


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return None


def _entry_text(entry: Any) -> str:
    contents = entry.get("content") or []
    for content in contents:
        if content.get("value"):
            return html_text(content["value"])
    return html_text(entry.get("summary", "") or "")


class FeedSpider(YuqingSpider):
    kind = "feed"

    def parse_start(self, response: Response) -> Iterator[Any]:
        if self.cached(response) is not None:
            self.count("pages_not_modified")
            return
        feed = feedparser.parse(response.body, response_headers={
            "content-type": (response.headers.get(b"Content-Type") or b"").decode("latin-1")})
        if feed.bozo and not feed.entries:
            self.count("errors/bad_feed")
            return
        entries = [e for e in feed.entries if e.get("link")]
        self.count("items_seen", len(entries))
        linked = [e for e in entries if is_http_url(response.urljoin(e["link"]))]
        if len(linked) < len(entries):  # javascript:, data:, mailto: ... are never stored or fetched
            self.count("dropped/bad_scheme", len(entries) - len(linked))
        entries = linked
        if self.source.follow:
            wanted = set(self.unknown(response.urljoin(e["link"]) for e in entries))
        for entry in entries:
            link = response.urljoin(entry["link"])
            published = _entry_time(entry)
            if published is not None:
                published = published.astimezone(self.context.tz)
            if self.source.follow:
                if link in wanted:
                    yield self.detail_request(link, self.parse_article, meta={
                        "post_url": canonical_url(link),
                        "entry": {"title": entry.get("title"), "text": _entry_text(entry),
                                  "author": entry.get("author"),
                                  "published": published.isoformat() if published else None}})
                continue
            yield PostItem(url=canonical_url(link), title=html_text(entry.get("title", "")),
                           text=_entry_text(entry), author=entry.get("author"), published_at=published)
        yield self.page_record(response, kind="feed")
