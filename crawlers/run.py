"""One crawl of one source, in this process: ``python -m crawlers.run --config PATH --source NAME``.

Started by `pipeline.crawl` in a process of its own (Twisted's reactor cannot restart),
killed with its process group at the time limit. The figures go to ``--stats-file``
(JSON, rewritten as the crawl goes, see `crawlers.stats`). Exit status 0 when the crawl ran
to its end, 2 for a config problem, 1 for any other failure.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from redis.exceptions import RedisError
from scrapy.crawler import CrawlerProcess

from crawlers.context import CrawlContext
from crawlers.distributed import SharedRun, scheduler_settings
from crawlers.extract.text import warm_up
from crawlers.settings import build_settings
from crawlers.spiders import spider_for
from crawlers.stats import summarise, write_json_atomic
from pipeline.config import ConfigError, load_config
from pipeline.exceptions import YuqingError

log = logging.getLogger("crawlers.run")


def crawl(config_path: Path, source_name: str, stats_file: Path | None, log_level: str) -> int:
    config = load_config(config_path)
    source = config.source(source_name)
    spider_cls = spider_for(source.kind)
    shared: SharedRun | None = None
    extra = {}
    if config.crawl.redis_url:
        shared = SharedRun(config.crawl.redis_url, source.name,
                           ttl_seconds=int(config.crawl.run_time_limit.total_seconds()) + 60)
        shared.join()
        extra = scheduler_settings(shared)
    settings = build_settings(config, source, stats_file=stats_file, log_level=log_level, extra=extra)
    selectors = source.selectors
    if not (selectors.body and selectors.title and selectors.time and selectors.author):
        warm_up()  # automatic extraction will be used: load it before the event loop runs
    context = CrawlContext.open(config, source.name)
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(spider_cls)
    try:
        process.crawl(crawler, context=context)
        process.start()
    finally:
        context.close()
        if shared is not None:
            shared.leave()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    if stats_file is not None:
        write_json_atomic(stats_file, summarise(stats, finished=reason is not None,
                                                reason=str(reason) if reason else None))
    if reason is None:
        log.error("the crawl did not run to its end", extra={"source": source.name})
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crawlers.run", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--source", required=True)
    parser.add_argument("--stats-file", type=Path)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    try:
        return crawl(args.config, args.source, args.stats_file, args.log_level)
    except ConfigError as exc:
        parser.exit(2, f"error: {exc}\n")  # the parent reports this line as the crawl's error
    except KeyError:
        parser.exit(2, f"error: no source named {args.source!r} in {args.config}\n")
    except (YuqingError, RedisError, ValueError, OSError) as exc:
        parser.exit(1, f"error: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())
