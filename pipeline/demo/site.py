"""The demo site `yuqing demo` crawls: a news list (GBK, paginated) and a small forum.

It runs in a thread on 127.0.0.1 and serves `posts.yaml`, with times placed relative
to the moment the site starts so that everything happens "today". Text is escaped:
the site is built like the hostile public pages the crawlers meet, only well-behaved.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

log = logging.getLogger(__name__)

NEWS_PER_PAGE = 5
ROBOTS = "User-agent: *\nDisallow: /admin/\nDisallow: /bbs/post/new\n"


def load_content() -> dict[str, Any]:
    text = resources.files("pipeline.demo").joinpath("posts.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclass
class DemoContent:
    data: dict[str, Any]
    started: datetime

    def when(self, minutes_ago: int) -> str:
        return (self.started - timedelta(minutes=minutes_ago)).strftime("%Y年%m月%d日 %H:%M")


def _page(title: str, body: str, charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{html.escape(title)}</title>'
            '</head><body><nav><a href="/news/">新闻</a> <a href="/bbs/">论坛</a> '
            '<a href="/admin/">管理</a></nav>'
            f"{body}<footer>示例网站 · yuqing demo</footer></body></html>")


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line.strip())}</p>" for line in text.strip().splitlines() if line.strip())


def hotlist_json(content: DemoContent) -> str:
    """The demo's hot list in the shape of weibo.com's ``ajax/side/hotSearch``."""
    realtime = [{"word": e["word"], "note": e.get("note", e["word"]), "num": e["num"], "rank": i,
                 **({"is_ad": 1} if e.get("is_ad") else {})}
                for i, e in enumerate(content.data.get("hotlist", []))]
    return json.dumps({"ok": 1, "data": {"realtime": realtime}}, ensure_ascii=False)


def render(path: str, content: DemoContent) -> tuple[int, str, str]:
    """(status, body, charset) for a path of the demo site."""
    news = content.data["news"]
    forum = content.data["forum"]
    if path == "/robots.txt":
        return 200, ROBOTS, "utf-8"
    if path == "/hot/weibo.json":
        return 200, hotlist_json(content), "utf-8"
    if path in ("/", "/news/", "/news/page/1.html") or path.startswith("/news/page/"):
        page = 1 if not path.startswith("/news/page/") else int(path.rsplit("/", 1)[1].split(".")[0] or 1)
        ordered = sorted(news, key=lambda item: item["minutes_ago"])
        chunk = ordered[(page - 1) * NEWS_PER_PAGE: page * NEWS_PER_PAGE]
        if not chunk:
            return 404, _page("未找到", "<h1>页面不存在</h1>"), "utf-8"
        items = "".join(f'<li><a href="/news/a/{item["id"]}.html">{html.escape(item["title"])}</a>'
                        f'<span>{content.when(item["minutes_ago"])}</span></li>' for item in chunk)
        more = len(ordered) > page * NEWS_PER_PAGE
        nxt = f'<a class="next" href="/news/page/{page + 1}.html">下一页</a>' if more else ""
        return 200, _page("新闻中心", f'<h1>新闻中心</h1><ul class="news-list">{items}</ul>{nxt}', "gbk"), "gbk"
    if path.startswith("/news/a/"):
        key = path.rsplit("/", 1)[1].removesuffix(".html")
        item = next((n for n in news if str(n["id"]) == key), None)
        if item is None:
            return 404, _page("未找到", "<h1>页面不存在</h1>"), "utf-8"
        body = (f'<h1>{html.escape(item["title"])}</h1><div class="info"><span class="time">发布时间：'
                f'{content.when(item["minutes_ago"])}</span> <span class="author">{html.escape(item["author"])}'
                f'</span></div><div class="article">{_paragraphs(item["body"])}</div>'
                '<div class="share"><a href="/news/">返回列表</a></div>')
        return 200, _page(item["title"], body, "gbk"), "gbk"
    if path == "/bbs/":
        boards = "".join(f'<li><a class="board" href="/bbs/board/{b["id"]}.html">{html.escape(b["name"])}</a></li>'
                         for b in forum["boards"])
        return 200, _page("社区论坛", f"<h1>社区论坛</h1><ul>{boards}</ul>"), "utf-8"
    if path.startswith("/bbs/board/"):
        board = int(path.rsplit("/", 1)[1].removesuffix(".html"))
        threads = "".join(
            f'<li><a class="thread-title" href="/bbs/thread/{t["id"]}.html">{html.escape(t["title"])}</a></li>'
            for t in forum["threads"] if t["board"] == board)
        return 200, _page("版块", f'<h1>版块</h1><ul>{threads}</ul><a href="/bbs/post/new">发帖</a>'), "utf-8"
    if path.startswith("/bbs/thread/"):
        key = path.rsplit("/", 1)[1].removesuffix(".html")
        thread = next((t for t in forum["threads"] if str(t["id"]) == key), None)
        if thread is None:
            return 404, _page("未找到", "<h1>页面不存在</h1>"), "utf-8"
        posts = "".join(
            f'<div class="post" id="floor-{n}"><span class="author">{html.escape(p["author"])}</span>'
            f'<span class="meta">{n}楼 发表于 {content.when(p["minutes_ago"])}</span>'
            f'<div class="content">{_paragraphs(p["body"])}</div></div>'
            for n, p in enumerate(thread["posts"], start=1))
        return 200, _page(thread["title"], f'<h1>{html.escape(thread["title"])}</h1>{posts}'), "utf-8"
    return 404, _page("未找到", "<h1>页面不存在</h1>"), "utf-8"


class DemoSite:
    """The demo site on 127.0.0.1 in a background thread: ``with DemoSite(now) as site: site.url``."""

    def __init__(self, started: datetime | None = None, tz: str = "Asia/Shanghai") -> None:
        self.content = DemoContent(load_content(), (started or datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz)))
        content = self.content

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, charset = render(self.path.split("?", 1)[0], content)
                data = body.encode(charset)
                ctype = ("text/plain" if self.path == "/robots.txt" else
                         "application/json" if self.path.endswith(".json") else "text/html")
                self.send_response(status)
                self.send_header("Content-Type", f"{ctype}; charset={charset.upper()}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("demo site: " + format, *args)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="demo-site", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> DemoSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
