"""The demo's working folder: its config file, database and mail folder.

The config is the shipped starter config with the parts that point outward replaced:
the sources point at the local demo site, mail is written to files, the database is a
SQLite file in the folder. Crawl processes read this file, as in production.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import STARTER_CONFIG

DEMO_CONFIG_HEADER = """\
# Written by `yuqing demo`; rewritten on every demo run.
# The demo site (the sources below) runs only while `yuqing demo` runs: its sources are disabled so
# that `yuqing crawl` and `yuqing run` with this file do not fail on it. While the demo serves the
# review app, crawl the site again by name: yuqing --config THIS-FILE crawl demo-news demo-forum demo-weibo-hot
# Everything else works with this file at any time: serve, status, digest, export, user add, ...
"""
DEMO_USERS = (("analyst", "analyst"), ("monitor", "monitor"), ("approver", "approver"), ("admin", "admin"))


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def database(self) -> Path:
        return self.root / "yuqing.db"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def password_file(self) -> Path:
        return self.root / "demo-password.txt"

    def digest(self, day: str) -> Path:
        return self.root / f"digest-{day}.html"


def demo_config(paths: DemoPaths, site_url: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(STARTER_CONFIG.read_text(encoding="utf-8"))
    data["data_dir"] = "."
    data["storage"] = {"url": f"sqlite:///{paths.database}"}
    data["crawl"].update({"download_delay": 0, "autothrottle": False, "contact": "demo@localhost",
                          "run_time_limit": "2m", "retries": 1})
    # Disabled: the demo site lives only while `yuqing demo` runs (on a port of the moment), so a
    # later `crawl` or `run` with this config must not fail on it and mark the sources unhealthy.
    # The demo crawls them by name; while it serves, `yuqing --config … crawl demo-news` works too.
    data["sources"] = [
        {"name": "demo-news", "kind": "list", "enabled": False, "start_urls": [f"{site_url}/news/"], "every": "10m",
         "selectors": {"links": "ul.news-list a::attr(href)", "next_page": "a.next::attr(href)",
                       "title": "h1::text", "body": "div.article", "author": ".info .author::text",
                       "time": ".info .time"}},
        {"name": "demo-forum", "kind": "forum", "enabled": False, "start_urls": [f"{site_url}/bbs/"], "every": "10m",
         "selectors": {"boards": "a.board::attr(href)", "links": "a.thread-title::attr(href)",
                       "thread_title": "h1::text", "post": "div.post", "post_body": ".content",
                       "post_author": ".author::text", "post_time": ".meta"}},
        {"name": "demo-weibo-hot", "kind": "hotlist", "enabled": False, "platform": "weibo", "every": "10m",
         "start_urls": [f"{site_url}/hot/weibo.json"], "alert_rank": 20, "alert_grade": "II"},
    ]
    data["monitors"] = [
        {"name": "值班监测员", "email": "monitor@demo.local", "supervisor": "新闻发言人"},
        {"name": "新闻发言人", "email": "spokesperson@demo.local"},
    ]
    data["digest"]["recipients"] = ["spokesperson@demo.local", "monitor@demo.local"]
    data["smtp"] = {"sender": "yuqing demo <yuqing@demo.local>", "outbox_dir": str(paths.mail)}
    data["webhooks"] = []
    return data


def prepare(out: Path, site_url: str) -> DemoPaths:
    """Create the folder and write its config; remove what an earlier demo run left there."""
    paths = DemoPaths(out.resolve())
    paths.root.mkdir(parents=True, exist_ok=True)
    for leftover in (paths.database, paths.database.with_name("yuqing.db-wal"),
                     paths.database.with_name("yuqing.db-shm")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(paths.mail, ignore_errors=True)
    for old in paths.root.glob("digest-*.html"):
        old.unlink()
    paths.mail.mkdir()
    text = DEMO_CONFIG_HEADER + yaml.safe_dump(
        demo_config(paths, site_url), allow_unicode=True, sort_keys=False)
    paths.config.write_text(text, encoding="utf-8")
    return paths


def demo_password(paths: DemoPaths) -> str:
    """One random password for the demo logins, kept in the folder so a second run reuses it."""
    if paths.password_file.exists():
        return paths.password_file.read_text(encoding="utf-8").strip()
    password = "demo-" + secrets.token_urlsafe(6)
    paths.password_file.write_text(password + "\n", encoding="utf-8")
    paths.password_file.chmod(0o600)
    return password
