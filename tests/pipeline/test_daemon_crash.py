"""`yuqing run` killed with SIGKILL in the middle of processing, then restarted (PostgreSQL).

Every post is analysed exactly once and every alert mailed exactly once: the batch the
dead daemon had claimed is freed by the new one (same machine, dead pid), redone without
duplicates, and the rumours seen again after the restart join their stored events.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.alerts.seeding import smtp_server
from tests.pipeline.daemon_support import DaemonProcess, fresh_postgres, scalar, seed_posts, wait_until, write_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

POSTS = 6000
RUMOURS = 4


def test_sigkill_mid_processing_then_restart_each_post_once_each_alert_mailed_once(
        pg_migrated: str, tmp_path: Path) -> None:
    engine = fresh_postgres(pg_migrated)
    assert seed_posts(pg_migrated, POSTS, rumours=RUMOURS) == POSTS
    processed = "SELECT count(*) FROM posts WHERE processed_at IS NOT NULL"
    with smtp_server() as (controller, sink):
        config = write_config(tmp_path, pg_migrated, sources=[], smtp_port=controller.port,
                              process={"batch_size": 200, "every": "1m"})
        with DaemonProcess(config, tmp_path / "first.log") as first:
            wait_until(lambda: scalar(engine, processed) >= 400 or not first.running(), 60,
                       interval=0.02, what="the first batches")
            assert first.kill() < 0, first.log()
        done_before_restart = scalar(engine, processed)
        assert 0 < done_before_restart < POSTS, "the kill must land in the middle of processing"
        claimed = scalar(engine, "SELECT count(*) FROM posts WHERE claimed_by IS NOT NULL AND processed_at IS NULL")

        with DaemonProcess(config, tmp_path / "second.log") as second:
            wait_until(lambda: scalar(engine, processed) == POSTS, 60, what="every post processed")
            wait_until(lambda: scalar(engine, "SELECT count(*) FROM notifications WHERE status <> 'sent'") == 0
                       and scalar(engine, "SELECT count(*) FROM notifications") > 0, 30, what="mails sent")
            sent = len(sink.messages)
            second.terminate()
            log = second.log()
        assert "daemon stopped" in log
        if claimed:
            assert "freed the claims of dead workers" in log
    assert scalar(engine, "SELECT count(*) FROM analyses") == POSTS
    assert scalar(engine, "SELECT count(DISTINCT post_id) FROM analyses") == POSTS
    # Each rumour was posted twice, once on each side of the kill: one event, one alert, one mail each.
    assert scalar(engine, "SELECT count(*) FROM alerts") == RUMOURS
    assert scalar(engine, "SELECT count(DISTINCT event_id) FROM alerts") == RUMOURS
    subjects = [str(m["Subject"]) for m in sink.messages]
    assert len(subjects) == sent == RUMOURS, subjects
    assert len(set(subjects)) == RUMOURS and all("舆情预警" in s for s in subjects)
    assert len({m["Message-ID"] for m in sink.messages}) == RUMOURS
    engine.dispose()
