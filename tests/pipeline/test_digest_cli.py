"""`yuqing digest` and `yuqing notify` run as a user runs them (subprocess, SQLite, .eml outbox)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

import pytest
import yaml

from pipeline.db import make_engine, session_factory, transaction
from pipeline.migrate import upgrade
from tests.alerts.seeding import digest_config_overrides, seed_digest_week
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def yuqing(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(COLUMNS="200", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "pipeline", "--config", "config.yaml", *args], cwd=cwd, text=True,
                          capture_output=True, env=env, timeout=120)


@pytest.fixture
def office(tmp_path: Path) -> Path:
    settings = digest_config_overrides(storage={"url": "sqlite:///var/yuqing.db"}, smtp={"outbox_dir": "outbox"})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'var/yuqing.db'}")
    upgrade(engine)
    from zoneinfo import ZoneInfo

    with transaction(session_factory(engine)) as session:
        seed_digest_week(session, datetime.combine(datetime(2026, 3, 5).date(), time(0),
                                                   tzinfo=ZoneInfo("Asia/Shanghai")))
    engine.dispose()
    return tmp_path


def test_digest_out_and_send_then_notify(office: Path) -> None:
    result = yuqing("digest", "--date", "2026-03-05", "--out", "d/digest.html", "--send", cwd=office)
    assert result.returncode == 0, result.stderr
    assert "【舆情日报】2026年3月5日" in result.stdout and "sent 1" in result.stdout
    html = (office / "d/digest.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "cid:trend" not in html
    [eml] = list((office / "outbox").glob("*.eml"))
    assert b"Content-ID: <trend>" in eml.read_bytes()
    again = yuqing("digest", "--date", "2026-03-05", "--send", cwd=office)
    assert again.returncode == 0 and "sent 0" in again.stdout  # once per day and recipient
    assert len(list((office / "outbox").glob("*.eml"))) == 1
    text = yuqing("digest", "--date", "2026-03-05", "--out", "d/digest.txt", cwd=office)
    assert text.returncode == 0 and "一、总体情况" in (office / "d/digest.txt").read_text(encoding="utf-8")
    notify = yuqing("notify", cwd=office)
    assert notify.returncode == 0, notify.stderr
    # The seeded overdue alert (never acknowledged) escalates to the supervisor: one more mail file.
    assert "escalated 1 alert(s)" in notify.stdout and "sent 1" in notify.stdout and "0 pending" in notify.stdout
    assert len(list((office / "outbox").glob("*.eml"))) == 2
    assert "逾期未确认" in yuqing("notify", cwd=office).stdout + "".join(
        p.read_text(encoding="utf-8") for p in (office / "outbox").glob("*.html"))


def test_a_bad_date_is_one_clear_line(office: Path) -> None:
    result = yuqing("digest", "--date", "5 March", cwd=office)
    assert result.returncode == 1
    assert "YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr
