"""``kind: hotlist`` — a platform's hot list (微博热搜, 知乎热榜 …) or an aggregator's, polled.

One request per poll, conditional where the server offers validators (a 304 repeats the
cached entries, so the rank history still advances). Each entry becomes a post (title, link,
rank and heat in ``extra``) that is analysed like any other; the whole list goes to the rank
history. A response whose shape the reader does not know fails the run with the reader's
reason (``yuqing/format_error``), and the source turns unhealthy at once: never an empty success.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawlers.hotlists import FormatChanged, HotEntry, read_hotlist
from crawlers.items import HotlistItem, PostItem
from crawlers.spiders.base import YuqingSpider
from crawlers.urls import canonical_url

log = logging.getLogger(__name__)

FORMAT_ERROR_STAT = "yuqing/format_error"


class HotlistSpider(YuqingSpider):
    kind = "hotlist"

    def parse_start(self, response: Response) -> Iterator[Any]:
        platform = self.source.platform or ""
        cached = self.cached(response)
        if cached is not None:
            self.count("pages_not_modified")
            entries = [HotEntry.from_dict(e) for e in cached.extra.get("entries", [])]
        else:
            try:
                entries = read_hotlist(platform, response.body)
            except FormatChanged as exc:
                assert self.crawler.stats is not None
                self.crawler.stats.set_value(FORMAT_ERROR_STAT, str(exc))
                self.count("errors/format_changed")
                log.error("hot list format changed: %s", exc, extra={"source": self.source.name,
                                                                    "url": response.url})
                return
        self.count("items_seen", len(entries))
        label = self.source.hotlist_label
        ranked: list[dict[str, Any]] = []
        for entry in entries:
            url = canonical_url(entry.url)
            ranked.append({"url": url, "title": entry.title, "rank": entry.rank, "heat": entry.heat})
            text = entry.title if not entry.text or entry.text == entry.title else f"{entry.title}\n{entry.text}"
            yield PostItem(url=url, title=entry.title, text=text, published_at=None, extra={"hotlist": {
                "platform": platform, "label": label, "rank": entry.rank, "heat": entry.heat}})
        yield HotlistItem(label=label, entries=ranked, at=self.context.now())
        if cached is None:
            yield self.page_record(response, kind="hotlist", entries=[e.as_dict() for e in entries])
