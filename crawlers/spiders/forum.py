"""``kind: forum`` — boards → threads (paginated) → every post and reply as its own post.

Re-crawls are cheap without server validators: a board row shows what changes when a
thread gets a reply (reply count, last-reply time); its hash is kept per thread with the
thread's last page. A thread whose row is unchanged is not fetched at all; a changed one is
read from its last known page on, so unchanged thread pages are never fetched again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawlers.forums import detect_forum, preset_selectors
from crawlers.items import PageItem, PostItem
from crawlers.select import first_text, joined_text, link_elements, row_signatures, select, texts
from crawlers.spiders.base import YuqingSpider
from crawlers.urls import canonical_url, post_url
from pipeline.config import Selectors
from pipeline.store.pages import CachedPage

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d+")
_FLOOR_ATTRS = ("data-number", "data-floor", "data-index")


class ForumSpider(YuqingSpider):
    kind = "forum"

    def parse_start(self, response: Response) -> Iterator[Any]:
        if not self.source.selectors.post and not self.use_preset(response):
            return
        if isinstance(response, TextResponse) and response.status != 304:
            for url in self.links(response, self.selectors.boards):
                yield self.page_request(url, self.parse_board)
        yield from self.parse_board(response)

    def use_preset(self, response: Response) -> bool:
        """Take the selectors of the forum software (configured, or recognised on the start page)."""
        cached = self.cached(response)
        software = self.source.software or (cached.extra.get("software") if cached is not None else None)
        if software is None and isinstance(response, TextResponse):
            software = detect_forum(response.selector.root, response.text)
        if software is None:
            self.count("errors/unknown_forum")
            log.error("no forum software recognised at %s: set software (discuz, phpbb, discourse, flarum, "
                      "phpwind) or write selectors.post", response.url, extra={"source": self.source.name})
            return False
        self.software = software
        self.selectors = Selectors(**preset_selectors(software, self.source.selectors.model_dump()))
        self.count(f"forum_preset/{software}")
        return True

    # --- boards ---------------------------------------------------------------------------
    def parse_board(self, response: Response) -> Iterator[Any]:
        cached = self.cached(response)
        if cached is not None:  # the board shows the same rows: no thread on it changed
            self.count("pages_not_modified")
            for url in cached.extra.get("next", []):
                yield self.page_request(url, self.parse_board)
            return
        if not isinstance(response, TextResponse):
            self.count("dropped/not_html")
            return
        threads = self.thread_links(response)
        self.count("items_seen", len(threads))
        for url, signature in threads:
            yield from self.thread_request(url, signature)
        next_pages = self.links(response, self.selectors.next_page)
        for url in next_pages:
            yield self.page_request(url, self.parse_board)
        yield self.page_record(response, kind="board", next=next_pages, software=getattr(self, "software", None))

    def thread_links(self, response: TextResponse) -> list[tuple[str, str | None]]:
        spec = self.selectors.links
        if not spec:
            return []
        first: dict[str, tuple[str, Any]] = {}
        for href, element in link_elements(response, spec):
            url = response.urljoin(href)
            if url.startswith(("http://", "https://")):
                first.setdefault(canonical_url(url), (url, element))
        pairs = list(first.values())
        signatures = row_signatures([element for _, element in pairs])
        return [(url, sig) for (url, _), sig in zip(pairs, signatures, strict=True)]

    def thread_request(self, url: str, signature: str | None) -> Iterator[Any]:
        thread_url = canonical_url(url)
        cached = self.context.pages.get(thread_url)
        if cached is not None and signature is not None and cached.extra.get("signature") == signature:
            self.count("threads_unchanged")
            return
        meta: dict[str, Any] = {"thread_url": thread_url, "signature": signature, "floor_offset": 0}
        start = url
        if cached is not None and cached.extra.get("last_page"):
            start = cached.extra["last_page"]
            meta["floor_offset"] = int(cached.extra.get("last_offset", 0))
            meta["title"] = cached.extra.get("title")
        yield self.detail_request(start, self.parse_thread, meta=meta)

    # --- threads --------------------------------------------------------------------------
    def parse_thread(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.count("dropped/not_html")
            return
        selectors = self.selectors
        thread_url: str = response.meta["thread_url"]
        offset: int = response.meta.get("floor_offset", 0)
        title = (first_text(response, selectors.thread_title) or first_text(response, selectors.title)
                 or response.meta.get("title") or first_text(response, "title::text") or "")
        assert selectors.post is not None
        posts = select(response, selectors.post)
        for position, post in enumerate(posts, start=1):
            floor = self.floor_of(post, offset + position)
            yield PostItem(
                url=post_url(thread_url, floor), title=title,
                text=joined_text(post, selectors.post_body) if selectors.post_body else joined_text(post, "*"),
                author=first_text(post, selectors.post_author), published_at=self.date_of(post, selectors.post_time),
                thread_url=thread_url, floor=floor, extra={"reply": floor > 1},
            )
        next_pages = self.links(response, selectors.thread_next_page or selectors.next_page)
        meta = {**response.meta, "floor_offset": offset + len(posts), "title": title}
        if next_pages:
            yield self.detail_request(next_pages[0], self.parse_thread, meta={
                k: meta[k] for k in ("thread_url", "signature", "floor_offset", "title")})
            return
        # the thread's last page: remember where to continue and what its board row showed
        yield PageItem(CachedPage(
            url=thread_url, extra={"kind": "thread", "signature": response.meta.get("signature"),
                                   "last_page": response.url, "last_offset": offset, "title": title,
                                   "floors": offset + len(posts)},
            fetched_at=self.context.now(),
        ))

    def floor_of(self, post: Any, position: int) -> int:
        spec = self.selectors.post_floor
        if spec:
            for text in texts(post, spec):
                match = _DIGITS.search(text)
                if match:
                    return int(match.group(0))
        root = post.root
        if not isinstance(root, str):
            for attr in _FLOOR_ATTRS:
                value = root.get(attr)
                if value and value.strip().isdigit():
                    return int(value.strip())
        return position
