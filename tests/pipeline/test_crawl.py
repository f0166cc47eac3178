"""The parent side of crawling: child processes, time limits, crawl runs, source health, the CLI."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli.crawl_cmds import summary_details, summary_table
from pipeline.crawl import CrawlSummary, crawl_source, crawl_sources
from pipeline.exceptions import NotFound, YuqingError
from tests.crawlers.conftest import article, list_page, news_source, write_config
from tests.crawlers.site import Site, serve


@pytest.fixture
def blank_site() -> Iterator[Site]:
    site = Site()
    with serve(site):
        yield site


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_time_limit_kills_the_crawl(blank_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    blank_site.add("/news/", list_page([]), delay=30.0)  # a site that never answers in time
    config, path = write_config(tmp_path, sqlite_url, [news_source(blank_site)], timeout="60s")
    started = time.monotonic()
    summary = crawl_source(config, path, "news", time_limit=timedelta(seconds=6))
    assert summary.status == "timeout"
    assert time.monotonic() - started < 20  # SIGTERM, then SIGKILL after a grace: never waits for the site
    assert summary.message == "stopped at the time limit"


def test_a_shutdown_stops_the_crawl_without_marking_the_source_unhealthy(blank_site: Site, sqlite_url: str,
                                                                         tmp_path: Path) -> None:
    blank_site.add("/news/", list_page([]), delay=30.0)
    config, path = write_config(tmp_path, sqlite_url, [news_source(blank_site)], unhealthy_after_failures=1)
    asked: list[bool] = []

    def stopping() -> bool:  # the daemon's stop flag, set once the crawl has started
        asked.append(True)
        return len(asked) > 1

    started = time.monotonic()
    summary = crawl_source(config, path, "news", should_stop=stopping)
    assert summary.status == "stopped" and summary.message == "stopped on request (shutdown)"
    assert time.monotonic() - started < 20  # not the 30 s the site takes, nor the run time limit
    assert summary.healthy and summary.health_note is None


def test_failing_source_becomes_unhealthy(sqlite_url: str, tmp_path: Path) -> None:
    source = {"name": "down", "kind": "list", "start_urls": [f"http://127.0.0.1:{_closed_port()}/news/"],
              "selectors": {"links": "a::attr(href)"}}
    config, path = write_config(tmp_path, sqlite_url, [source], unhealthy_after_failures=2, retries=1)
    first = crawl_source(config, path, "down")
    assert first.status == "failed" and first.healthy
    assert "no page could be fetched" in (first.message or "")
    second = crawl_source(config, path, "down")
    assert second.status == "failed" and not second.healthy
    assert "failed 2 runs in a row" in (second.health_note or "")


def test_source_returning_nothing_after_many_becomes_unhealthy(blank_site: Site, sqlite_url: str,
                                                                tmp_path: Path) -> None:
    links = [f"/news/{i}.html" for i in range(6)]
    for i, link in enumerate(links):
        blank_site.add(link, article(f"第{i}篇文章", "2024-03-05", f"正文{i}"))
    blank_site.add("/news/", list_page(links))
    config, path = write_config(tmp_path, sqlite_url, [news_source(blank_site)])
    assert crawl_source(config, path, "news").healthy
    assert crawl_source(config, path, "news").healthy  # nothing new, but the list still shows its items
    blank_site.add("/news/", list_page([]))  # the site changed its layout: the selector finds nothing
    silent = crawl_source(config, path, "news")
    assert silent.status == "ok" and not silent.healthy
    assert "returned no items" in (silent.health_note or "")


def test_unknown_and_import_sources_are_refused(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    config, path = write_config(tmp_path, sqlite_url, [{"name": "files", "kind": "import", "folder": str(folder)}])
    with pytest.raises(NotFound):
        crawl_sources(config, path, ["nope"])
    with pytest.raises(YuqingError, match="imported, not crawled"):
        crawl_source(config, path, "files")
    assert crawl_sources(config, path, []) == []  # import sources are not crawled


def test_cli_crawl_prints_a_summary(blank_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    blank_site.add("/news/", list_page(["/news/1.html", "/news/2.html"]))
    blank_site.add("/news/1.html", article("第一篇", "2024-03-05", "正文一"))
    blank_site.add("/news/2.html", "<html><body><div></div></body></html>")  # no text: dropped
    _, path = write_config(tmp_path, sqlite_url, [news_source(blank_site)])
    result = CliRunner().invoke(app, ["--config", str(path), "crawl", "news"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.strip().startswith("news"))
    cells = row.split()
    assert cells[:7] == ["news", "ok", "4", "1", "0", "1", "0"]  # source, status, pages, new, updated, dropped,
    assert "news: dropped no_text 1" in result.output                  # errors; then why, on a line of its own
    bad = CliRunner().invoke(app, ["--config", str(path), "crawl", "nope"])
    assert bad.exit_code != 0


def test_the_summary_table_fits_80_columns() -> None:
    summaries = [CrawlSummary(source="province-hc-news", status="timeout", pages=12345, new_posts=1234,
                              updated_posts=123, dropped={"no_text": 3, "too_old": 40, "duplicate": 7}, errors=12,
                              error_reasons={"http_503": 10, "dns": 2}, duration_s=1234.5)]
    console = Console(width=80, record=True)
    console.print(summary_table(summaries))
    lines = console.export_text().splitlines()
    assert len(lines) == 3  # title, header, one row: nothing wrapped
    assert lines[2].split() == ["province-hc-news", "timeout", "12345", "1234", "123", "50", "12", "1234.5s"]
    assert summary_details(summaries) == ["  province-hc-news: dropped duplicate 7, no_text 3, too_old 40; "
                                          "errors dns 2, http_503 10"]
