"""Crawl throughput: our full pipeline vs a bare Scrapy spider, same site, same settings, same run.

    .venv/bin/python bench/crawl.py [--articles 2000] [--rounds 2]

A local site (http.server in a thread) serves list pages of 50 links and ``--articles``
article pages. "ours" is `pipeline.crawl.crawl_source` (child process, clean → de-duplicate
→ store in SQLite in batches); "bare" is a plain Scrapy spider in a child process that
follows the same links, extracts the same fields with the same selectors and discards the
items. Pages/s are pages over Scrapy's own elapsed time (process start-up excluded), best of
``--rounds``. Then an unchanged re-crawl: its requests as a fraction of the first crawl's.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
# bench/ holds scripts named like packages (alerts.py, ...): never import from it
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
PER_LIST = 50
SELECTORS = {"links": "ul.list a::attr(href)", "next_page": "a.next::attr(href)", "title": "h1",
             "body": "div.article", "author": ".byline a.author::text", "time": ".byline"}
CRAWL = {"download_delay": 0, "autothrottle": False, "concurrency_per_domain": 16, "timeout": "30s",
         "retries": 2, "run_time_limit": "10m", "contact": "bench@example.org"}
PARAGRAPH = ("市卫生健康委员会今天发布通知，进一步完善生育支持政策，落实生育登记、育儿补贴和生育保险等措施，"
             "并对群众关心的问题作出解答。")


def build_site(articles: int) -> dict[str, tuple[bytes, str | None]]:
    pages: dict[str, tuple[bytes, str | None]] = {"/robots.txt": (b"User-agent: *\nDisallow: /admin/\n", None)}
    lists = (articles + PER_LIST - 1) // PER_LIST
    for n in range(lists):
        links = "".join(f'<li><a href="/a/{i}.html?utm_source=list">文章{i}</a></li>'
                        for i in range(n * PER_LIST, min(articles, (n + 1) * PER_LIST)))
        nxt = f'<a class="next" href="/list/{n + 1}.html">下一页</a>' if n + 1 < lists else ""
        html = (f"<html><head><title>列表{n}</title></head><body><nav>导航</nav><ul class=list>{links}</ul>"
                f"{nxt}</body></html>")
        pages[f"/list/{n}.html"] = (html.encode(), f'"list-{n}"')
    for i in range(articles):
        body = "".join(f"<p>{PARAGRAPH}（第{i}篇第{k}段）</p>" for k in range(6))
        html = (f"<html><head><meta charset=utf-8><title>文章{i}</title><script>var x={i};</script></head><body>"
                f"<nav>首页 新闻 通知</nav><div class=main><h1>生育政策通知第{i}号</h1>"
                f"<div class=byline>作者：<a class=author>记者{i % 37}</a> "
                f"2024年3月{1 + i % 28}日 10:{i % 60:02d}</div>"
                f"<div class=article>{body}</div></div><footer>版权所有</footer></body></html>")
        pages[f"/a/{i}.html"] = (html.encode(), None)
    return pages


@contextmanager
def serve(pages: dict[str, tuple[bytes, str | None]]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0] if self.path.startswith("/a/") else self.path
            found = pages.get(path)
            if found is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, etag = found
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_config(folder: Path, base: str) -> Path:
    path = folder / "config.yaml"
    data = {"storage": {"url": f"sqlite:///{folder / 'bench.db'}"}, "crawl": CRAWL,
            "sources": [{"name": "bench", "kind": "list", "start_urls": [f"{base}/list/0.html"],
                         "selectors": SELECTORS, "max_pages": 100000}]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def run_ours(folder: Path, base: str) -> dict[str, Any]:
    from pipeline.config import load_config
    from pipeline.crawl import crawl_source
    from pipeline.db import make_engine
    from pipeline.migrate import upgrade

    folder.mkdir(parents=True, exist_ok=True)
    path = write_config(folder, base)
    config = load_config(path)
    engine = make_engine(config.database_url)
    upgrade(engine)
    engine.dispose()
    first = crawl_source(config, path, "bench")
    again = crawl_source(config, path, "bench")
    return {"first": first.stats, "again": again.stats, "new_posts": first.new_posts, "status": first.status}


def run_bare(folder: Path, base: str) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_config(folder, base)
    out = subprocess.run([sys.executable, __file__, "--bare-child", str(path)], capture_output=True, text=True,
                         cwd=REPO, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"the bare spider failed: {out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bare_child(config_path: Path) -> None:
    """A plain Scrapy spider: same settings, same selectors, items discarded."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import build_settings
    from pipeline.config import load_config

    config = load_config(config_path)
    source = config.source("bench")
    settings = build_settings(config, source, log_level="WARNING")
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
    settings.set("EXTENSIONS", {}, priority="cmdline")

    class BareSpider(scrapy.Spider):
        name = "bare"
        start_urls = source.start_urls

        async def start(self) -> Any:
            for url in self.start_urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response: Any) -> Any:
            for href in response.css(SELECTORS["links"]).getall():
                yield response.follow(href, callback=self.parse_article)
            for href in response.css(SELECTORS["next_page"]).getall():
                yield response.follow(href, callback=self.parse)

        def parse_article(self, response: Any) -> Any:
            yield {"url": response.url, "title": " ".join(response.css("h1 ::text").getall()).strip(),
                   "text": "\n".join(t.strip() for t in response.css("div.article ::text").getall() if t.strip()),
                   "author": response.css(SELECTORS["author"]).get(),
                   "time": " ".join(response.css(".byline ::text").getall())}

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps({"pages": stats.get("response_received_count", 0),
                      "requests": stats.get("downloader/request_count", 0),
                      "items": stats.get("item_scraped_count", 0),
                      "elapsed_s": stats.get("elapsed_time_seconds", 0.0)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare-child", type=Path)
    args = parser.parse_args()
    if args.bare_child:
        bare_child(args.bare_child)
        return
    pages = build_site(args.articles)
    bare_rates: list[float] = []
    ours_rates: list[float] = []
    fractions: list[float] = []
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-") as tmp, serve(pages) as base:
        for round_no in range(args.rounds):
            bare = run_bare(Path(tmp) / f"bare{round_no}", base)
            bare_rate = bare["pages"] / bare["elapsed_s"]
            ours = run_ours(Path(tmp) / f"ours{round_no}", base)
            first, again = ours["first"], ours["again"]
            ours_rate = first["pages"] / first["elapsed_s"]
            fraction = again["requests"] / first["requests"]
            print(f"round {round_no + 1}: bare {bare['pages']} pages in {bare['elapsed_s']:.2f}s = {bare_rate:.0f}/s "
                  f"({bare['items']} items discarded); ours {first['pages']} pages in {first['elapsed_s']:.2f}s = "
                  f"{ours_rate:.0f}/s ({ours['new_posts']} posts stored, {ours['status']}); "
                  f"re-crawl {again['requests']}/{first['requests']} requests = {fraction:.3f}")
            bare_rates.append(bare_rate)
            ours_rates.append(ours_rate)
            fractions.append(fraction)
    best_ours, best_bare = max(ours_rates), max(bare_rates)
    print(json.dumps({"ours_pages_per_s": round(best_ours, 1), "bare_pages_per_s": round(best_bare, 1),
                      "ratio": round(best_ours / best_bare, 3),
                      "recrawl_request_fraction": round(max(fractions), 4)}))


if __name__ == "__main__":
    main()
