"""What an address is, and what yuqing would read there: `probe(url)` → `Findings`.

In order: forum software (its preset), a feed (the page itself, or its ``<link rel=alternate>``),
the block of article links of a list page and its next page, the sitemaps robots.txt names.
A few articles (or posts) are fetched and previewed; the config block that would read the
site is built. When nothing fits, the findings say what the page holds and which selector to
write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html
from lxml import etree
from parsel import Selector

from crawlers.discover import MIN_TITLE, css_of, find_list_block, find_next_page
from crawlers.extract.dates import labelled_date, parse_date
from crawlers.extract.text import html_text, main_text, page_metadata
from crawlers.forums import PRESETS, detect_forum
from crawlers.select import date_candidates, first_text, joined_text, link_elements, select
from pipeline.probe.fetch import Fetcher, FetchError

log = logging.getLogger(__name__)

PREVIEW_CHARS = 60


@dataclass
class Preview:
    url: str
    title: str
    published: datetime | None
    author: str | None
    text: str

    @property
    def start(self) -> str:
        flat = " ".join(self.text.split())
        return flat[:PREVIEW_CHARS] + ("…" if len(flat) > PREVIEW_CHARS else "")


@dataclass
class Findings:
    url: str
    kind: str | None = None
    block: dict[str, Any] = field(default_factory=dict)   # the source's config without its name
    found: list[str] = field(default_factory=list)         # what was found, one line each
    previews: list[Preview] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)        # what to write when nothing fits
    problems: list[str] = field(default_factory=list)      # pages that could not be fetched

    @property
    def understood(self) -> bool:
        return self.kind is not None


def _tree(text: str) -> Any:
    try:
        return lxml.html.fromstring(text or "<html></html>")
    except (etree.ParserError, ValueError):
        return lxml.html.fromstring("<html></html>")


def article_preview(url: str, text: str, tz: tzinfo, now: datetime) -> Preview:
    """Title, time, author and text of an article page, as a selector-less crawl reads them."""
    meta = page_metadata(text, url)
    sel = Selector(text=text)
    title = meta.get("title") or first_text(sel, "h1") or first_text(sel, "title::text") or ""
    published = labelled_date(joined_text(sel, "body"), tz, now)
    if published is None and meta.get("date"):
        published = parse_date(meta["date"], tz, now)
    return Preview(url, title, published, meta.get("author"), main_text(text, url))


def probe(url: str, fetcher: Fetcher, *, tz: tzinfo, now: datetime | None = None, limit: int = 3) -> Findings:
    """Work out what ``url`` is; `FetchError` when the address itself cannot be fetched."""
    now = now or datetime.now(UTC)
    findings = Findings(url)
    page = fetcher.get(url)
    feed = feedparser.parse(page.body)
    if feed.entries and not page.content_type.startswith("text/html"):
        _as_feed(findings, url, feed, fetcher, tz, now, limit, follow=False)
        return findings
    text = page.text
    root = _tree(text)
    title = first_text(Selector(text=text), "title::text") or ""
    findings.found.append(f"page: {title[:60]!r} ({len(text)} characters, {sum(1 for _ in root.iter('a'))} links)")
    software = detect_forum(root, text)
    if software is not None:
        _as_forum(findings, url, software, text, fetcher, tz, now, limit)
        return findings
    for link in root.xpath("//link[@rel='alternate'][contains(@type, 'rss') or contains(@type, 'atom')]/@href"):
        feed_url = urljoin(page.url, str(link))
        try:
            linked = feedparser.parse(fetcher.get(feed_url).body)
        except FetchError as exc:
            findings.problems.append(str(exc))
            continue
        if linked.entries:
            findings.found.append(f"feed: {feed_url} (<link rel=alternate>, {len(linked.entries)} entries)")
            _as_feed(findings, feed_url, linked, fetcher, tz, now, limit, follow=True)
            return findings
    block = find_list_block(root, page.url)
    if block is not None:
        next_page = find_next_page(root, page.url, text)
        findings.kind = "list"
        findings.block = {"kind": "list", "start_urls": [url]}
        findings.found.append(f"list block: {block.rows} article links, {block.dated} with a date "
                              f"(they match {block.selector!r})")
        findings.found.append(f"next page: {next_page}" if next_page else "next page: none found (one list page)")
        _previews(findings, block.links[:limit], fetcher, tz, now)
        return findings
    sitemaps = fetcher.sitemaps_of(page.url)
    if sitemaps:
        findings.kind = "sitemap"
        findings.block = {"kind": "sitemap", "start_urls": sitemaps[:1], "lookback": "2d"}
        findings.found.append(f"sitemap: {sitemaps[0]} (robots.txt)")
        return findings
    _advise(findings, root, page.url)
    return findings


def _as_feed(findings: Findings, feed_url: str, feed: Any, fetcher: Fetcher, tz: tzinfo, now: datetime,
             limit: int, *, follow: bool) -> None:
    findings.kind = "feed"
    findings.block = {"kind": "feed", "start_urls": [feed_url], **({"follow": True} if follow else {})}
    if not follow:
        findings.found.append(f"feed: {len(feed.entries)} entries")
        for entry in feed.entries[:limit]:
            published = parse_date(entry.get("published") or entry.get("updated"), tz, now)
            findings.previews.append(Preview(
                urljoin(feed_url, entry.get("link", "")), html_text(entry.get("title", "")), published,
                entry.get("author"), html_text(entry.get("summary", "") or "")))
        return
    _previews(findings, [urljoin(feed_url, e["link"]) for e in feed.entries[:limit] if e.get("link")], fetcher, tz,
              now)


def _previews(findings: Findings, urls: list[str], fetcher: Fetcher, tz: tzinfo, now: datetime) -> None:
    for link in urls:
        try:
            findings.previews.append(article_preview(link, fetcher.get(link).text, tz, now))
        except FetchError as exc:
            findings.problems.append(str(exc))


def _links(text: str, base: str, spec: str | None) -> list[str]:
    if not spec:
        return []
    return list(dict.fromkeys(urljoin(base, href) for href, _ in link_elements(Selector(text=text), spec)))


def _as_forum(findings: Findings, url: str, software: str, text: str, fetcher: Fetcher, tz: tzinfo,
              now: datetime, limit: int) -> None:
    preset = PRESETS[software]
    findings.kind = "forum"
    findings.block = {"kind": "forum", "start_urls": [url], "software": software}
    findings.found.append(f"forum software: {software} (its preset selectors apply)")
    threads = _links(text, url, preset.get("links"))
    boards = _links(text, url, preset.get("boards"))
    findings.found.append(f"{len(boards)} boards, {len(threads)} threads on this page")
    for board in boards[:3]:
        if threads:
            break
        try:
            threads = _links(fetcher.get(board).text, board, preset.get("links"))
        except FetchError as exc:
            findings.problems.append(str(exc))
    if not threads:
        findings.advice.append("no thread links found with the preset: write selectors.links (the thread links "
                               "of a board page)")
        return
    try:
        thread = fetcher.get(threads[0])
    except FetchError as exc:
        findings.problems.append(str(exc))
        return
    sel = Selector(text=thread.text)
    title = first_text(sel, preset.get("thread_title")) or first_text(sel, "title::text") or ""
    for post in select(sel, preset["post"])[:limit]:
        body = joined_text(post, preset.get("post_body") or "*")
        published = None
        for candidate in date_candidates(post, preset.get("post_time")):
            published = parse_date(candidate, tz, now)
            if published is not None:
                break
        author = first_text(post, preset.get("post_author"))
        findings.previews.append(Preview(thread.url, title, published, author, body))


def _advise(findings: Findings, root: Any, url: str) -> None:
    """Nothing fits: say what the page holds and which selector to write."""
    groups: dict[Any, list[str]] = {}
    for anchor in root.iter("a"):
        text = " ".join("".join(anchor.itertext()).split())
        parent = anchor.getparent()
        if len(text) >= MIN_TITLE and parent is not None:
            groups.setdefault(parent.getparent() if parent.getparent() is not None else parent, []).append(text)
    best = max(groups.items(), key=lambda kv: len(kv[1]), default=None)
    findings.found.append("no feed, no forum software, no block of three or more article links, no sitemap")
    if best is not None:
        findings.found.append(f"the most links with titles are under {css_of(best[0])!r}: "
                              + ", ".join(repr(t[:20]) for t in best[1][:3]))
        findings.advice.append(f"if those are the articles, write selectors.links: \"{css_of(best[0])} "
                               "a::attr(href)\"")
    findings.advice.append("write selectors.links (CSS of the article links on the list page) and, if the list "
                           "has more pages, selectors.next_page; try them with `yuqing crawl NAME`")
    findings.advice.append("if the page builds its list with JavaScript, look for the JSON it loads or a feed")
