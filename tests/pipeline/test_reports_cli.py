"""`yuqing report alert|weekly|monthly` run as a user runs them (subprocess, SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db import make_engine, session_factory
from pipeline.models import Alert, AuditEntry
from tests.pipeline.test_digest_cli import office, yuqing
from tests.reports_support import read_docx

pytestmark = pytest.mark.slow
__all__ = ["office"]  # the seeded office folder (a fixture)


def _db(folder: Path):  # type: ignore[no-untyped-def]
    return session_factory(make_engine(f"sqlite:///{folder / 'var/yuqing.db'}"))


def test_alert_report_then_followups(office: Path) -> None:
    with _db(office)() as session:
        alert_id = session.scalars(select(Alert.id).where(Alert.grade == "II")).one()
    first = yuqing("report", "alert", str(alert_id), "--out", "out/初报.docx", cwd=office)
    assert first.returncode == 0, first.stderr
    assert "舆情专报 2026年第1期（初报）" in first.stdout and "草稿 watermark" in first.stdout
    doc = read_docx((office / "out/初报.docx").read_bytes())
    assert "预警等级为II级" in doc.text and doc.images == 1
    follow = yuqing("report", "alert", str(alert_id), "--followup", "--out", "out/续报.docx", cwd=office)
    assert follow.returncode == 0 and "第2期（续报1）" in follow.stdout
    assert "续报1" in read_docx((office / "out/续报.docx").read_bytes()).text
    with _db(office)() as session:
        assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()) == 2


def test_weekly_report(office: Path) -> None:
    weekly = yuqing("report", "weekly", "--date", "2026-03-05", "--out", "w.docx", cwd=office)
    assert weekly.returncode == 0, weekly.stderr
    assert "2026年3月2日至2026年3月8日" in weekly.stdout and "relevant 117" in weekly.stdout
    assert read_docx((office / "w.docx").read_bytes()).images == 2


@pytest.mark.parametrize(("args", "message"), [
    (("report", "weekly", "--out", "w.pdf"), "ending in .docx"),
    (("report", "alert", "999", "--out", "a.docx"), "alert 999 does not exist"),
])
def test_bad_input_is_one_clear_line(office: Path, args: tuple[str, ...], message: str) -> None:
    result = yuqing(*args, cwd=office)
    assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr
    assert not list(office.glob("*.docx"))
