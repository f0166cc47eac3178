"""End to end: a local site gets a new rumour about family planning while `yuqing run` runs with a
30-second crawl interval; the alert mail reaches the real SMTP server in this test.

Also checks that the chain is fast: the crawl that stores the post triggers processing at once,
and processing that queues a mail triggers delivery at once (no waiting for their own intervals).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db import make_engine, session_factory
from pipeline.models import JobRun
from tests.alerts.seeding import smtp_server
from tests.pipeline.daemon_support import (
    RUMOURS,
    DaemonProcess,
    list_source,
    news_site,
    scalar,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.slow


def test_new_rumour_on_a_site_reaches_the_monitor_by_mail(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    title, body = RUMOURS[0]
    with news_site() as site, smtp_server() as (controller, sink):
        config = write_config(tmp_path, sqlite_url, smtp_port=controller.port,
                              sources=[list_source("city-bbs", site.start_url, every="30s")])
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            # The daemon crawls at once when it starts (the site has nothing yet), then every 30 s.
            wait_until(lambda: scalar(engine, "SELECT count(*) FROM job_runs WHERE job = 'crawl:city-bbs' "
                                              "AND finished_at IS NOT NULL"), 60, what="the first crawl")
            published = time.monotonic()
            url = site.publish(title, body)
            wait_until(lambda: sink.messages, 75, interval=0.1, what="the alert mail")
            latency = time.monotonic() - published
            assert daemon.running()
            assert daemon.terminate() == 0
    assert latency <= 60, f"post-to-mail latency {latency:.1f}s"
    [mail] = sink.messages
    assert str(mail["Subject"]).startswith("【舆情预警·") and title in str(mail["Subject"])
    assert mail["To"] == "zhaolei@example.gov.cn"  # 社会抚养费 is 赵磊's topic in config.yaml
    text = mail.get_body(("plain",)).get_content()
    assert "10万元社会抚养费" in text and url in text
    with session_factory(engine)() as s:
        runs = list(s.scalars(select(JobRun).where(JobRun.ok.is_(True)).order_by(JobRun.started_at)))
    crawl = next(r for r in runs if r.job == "crawl:city-bbs" and (r.stats or {}).get("new_posts"))
    process = next(r for r in runs if r.job == "process" and (r.stats or {}).get("alerts"))
    notify = next(r for r in runs if r.job == "notify" and (r.stats or {}).get("sent"))
    assert crawl.finished_at is not None and process.finished_at is not None
    assert 0 <= (process.started_at - crawl.finished_at).total_seconds() < 3, "crawl → process at once"
    assert 0 <= (notify.started_at - process.finished_at).total_seconds() < 3, "process → notify at once"
    engine.dispose()
