"""A small real web site on 127.0.0.1 for crawler tests (http.server in a thread).

Pages live in ``site.pages`` (path → `Page`) and can change between crawls; every request
is logged in ``site.requests`` (path with query). Special behaviours: ETag/304 on pages
that have an etag, a 500 that recovers, a slow page, a huge page, a redirect loop.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # the server takes this long to answer (a slow site, not a test sleep)
    fail_first: int = 0  # answer 500 this many times, then normally
    stream_bytes: int = 0  # send this many bytes with no Content-Length (a huge page)


@dataclass
class Site:
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: str | bytes, **kwargs: Any) -> Page:
        page = Page(body.encode("utf-8") if isinstance(body, str) else body, **kwargs)
        self.pages[path] = page
        return page

    def fetched(self, path: str) -> int:
        with self.lock:
            return sum(1 for p in self.requests if p == path)

    def clear_log(self) -> None:
        with self.lock:
            self.requests.clear()
            self.headers_seen.clear()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def handle(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the crawler gave up on a page
                super().handle()

        def do_GET(self) -> None:
            with site.lock:
                site.requests.append(self.path)
                site.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
            page = site.pages.get(self.path)
            if page is None:
                self._send(404, b"<html><body>not found</body></html>", "text/html")
                return
            if page.delay:
                time.sleep(page.delay)
            with site.lock:
                seen = site.failures.get(self.path, 0)
                site.failures[self.path] = seen + 1
            if seen < page.fail_first:
                self._send(500, b"<html><body>server error</body></html>", "text/html")
                return
            if page.etag and self.headers.get("If-None-Match") == page.etag:
                self.send_response(304)
                self.send_header("ETag", page.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if page.stream_bytes:
                self._stream(page)
                return
            extra = dict(page.headers)
            if page.etag:
                extra["ETag"] = page.etag
            self._send(page.status, page.body, page.content_type, extra)

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def _stream(self, page: Page) -> None:
            self.send_response(200)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            chunk = b"<p>" + b"x" * 65530 + b"</p>"
            sent = 0
            try:
                while sent < page.stream_bytes:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def html_page(title: str, body: str, *, head: str = "", charset_meta: str | None = None) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return f"<!DOCTYPE html><html><head>{meta}<title>{title}</title>{head}</head><body>{body}</body></html>"


Builder = Callable[[Site], None]
