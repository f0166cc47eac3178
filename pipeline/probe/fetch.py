"""Polite single fetches (previews, hot-list polls): robots.txt obeyed, the crawler's User-Agent, a size
cap, and the crawl's address rule (crawlers.origins): no request, redirects included, goes to a
loopback/private/link-local address unless the address asked for is of that kind itself or the
source sets ``allow_private``."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from crawlers.extract.encoding import decode_html
from crawlers.origins import address_kind
from pipeline.config import Config
from pipeline.exceptions import YuqingError

log = logging.getLogger(__name__)


class FetchError(YuqingError):
    """A page could not be fetched (or robots.txt forbids it)."""


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return decode_html(self.body, self.content_type)[0]


class Fetcher:
    """One HTTP client for a probe; ``with Fetcher(config) as f: f.get(url)``."""

    def __init__(self, config: Config, *, allow_private: bool = False) -> None:
        crawl = config.crawl
        self.allow_private = allow_private
        self.allowed_kinds: set[str] = {"public"}
        self.kinds: dict[str, set[str]] = {}
        self.obey_robots = crawl.obey_robots
        self.delay = crawl.download_delay
        self.max_bytes = crawl.max_page_bytes
        self.user_agent = crawl.resolved_user_agent
        self.client = httpx.Client(headers={"User-Agent": self.user_agent}, follow_redirects=True,
                                   timeout=crawl.timeout.total_seconds(),
                                   event_hooks={"request": [self._check_address]})
        self.robots: dict[str, RobotFileParser] = {}
        self.sitemaps: dict[str, list[str]] = {}
        self.last = 0.0

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _kinds_of(self, host: str) -> set[str]:
        if host not in self.kinds:
            try:
                literal = ipaddress.ip_address(host.strip("[]"))
                addresses: list[Any] = [literal]
            except ValueError:
                try:
                    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
                except (socket.gaierror, UnicodeError):
                    infos = []
                addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
            self.kinds[host] = {address_kind(a) for a in addresses}
        return self.kinds[host]

    def _check_address(self, request: httpx.Request) -> None:
        if self.allow_private:
            return
        kinds = self._kinds_of(request.url.host)
        if not kinds <= self.allowed_kinds:
            raise FetchError(f"{request.url}: refused, {request.url.host} is a {'/'.join(sorted(kinds))} address "
                             "(set allow_private on an intranet source)")

    def _robots(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            parser = RobotFileParser()
            try:
                response = self._get(urljoin(origin, "/robots.txt"))
                lines = response.text.splitlines() if response.status_code == 200 else []
            except httpx.HTTPError:
                lines = []
            parser.parse(lines)
            self.robots[origin] = parser
            self.sitemaps[origin] = [line.split(":", 1)[1].strip() for line in lines
                                     if line.lower().startswith("sitemap:")]
        return self.robots[origin]

    def sitemaps_of(self, url: str) -> list[str]:
        """The sitemaps robots.txt of ``url``'s site names."""
        self._robots(url)
        parts = urlsplit(url)
        return self.sitemaps.get(f"{parts.scheme}://{parts.netloc}", [])

    def _get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        wait = self.last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # crawl politely: download_delay between requests to a site
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"{url}: larger than crawl.max_page_bytes ({self.max_bytes} bytes)")
                    chunks.append(chunk)
                response._content = b"".join(chunks)
                return response
        finally:
            self.last = time.monotonic()

    def get(self, url: str, *, headers: dict[str, str] | None = None) -> Page:
        """The page at ``url`` (a 304 when ``headers`` make the request conditional and nothing changed)."""
        host = httpx.URL(url).host
        self.allowed_kinds = {"public"} | self._kinds_of(host)  # the address asked for is allowed
        if self.obey_robots and not self._robots(url).can_fetch(self.user_agent, url):
            raise FetchError(f"{url}: robots.txt of the site does not allow fetching it")
        try:
            response = self._get(url, headers)
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise FetchError(f"{url}: the server answered HTTP {response.status_code}")
        log.debug("fetched", extra={"url": url, "status": response.status_code})
        return Page(str(response.url), response.status_code, response.content,
                    response.headers.get("content-type", ""), {k.lower(): v for k, v in response.headers.items()})
