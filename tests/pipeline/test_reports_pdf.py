"""A report converted to PDF by LibreOffice headless: every page renders its Chinese text.

python-docx writes the file; whether Word or LibreOffice can lay it out with the fonts a
plain install has is checked here the way an office opens it (slow: LibreOffice starts).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.alerting import raise_alerts
from pipeline.reports import followup_report, initial_report, render_report
from tests.alerts.seeding import alert_config_overrides, seed_event
from tests.conftest import IN_CI

pytestmark = pytest.mark.slow
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite only: the layout does not depend on the database, and LibreOffice is slow to start."""
    return sqlite_url


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required under CI (apt-get install {package})")
        pytest.skip(f"{name} missing (apt-get install {package})")
    return path


def to_pdf(docx: Path, folder: Path) -> Path:
    soffice = _tool("soffice", "libreoffice-writer-nogui")
    profile = folder / "lo-profile"  # a private profile: no clash with a desktop LibreOffice or another test
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(folder), str(docx)],
                   check=True, capture_output=True, timeout=180)
    pdf = folder / (docx.stem + ".pdf")
    assert pdf.is_file(), f"LibreOffice wrote no PDF for {docx.name}"
    return pdf


def page_texts(pdf: Path) -> list[str]:
    pdftotext = _tool("pdftotext", "poppler-utils")
    info = subprocess.run([_tool("pdfinfo", "poppler-utils"), str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    return [subprocess.run([pdftotext, "-f", str(n), "-l", str(n), str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout for n in range(1, pages + 1)]


def test_a_followup_report_renders_its_chinese_text_on_every_page(session, make_config, clock, tmp_path):
    config = make_config(**alert_config_overrides(reports={"unit": "某市卫健委新闻办"}))
    event = seed_event(session, when=clock.now(), posts=12, sources=3, heat=30.0)
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    initial_report(session, config, alert_id, author="yuqing", now=clock.now())
    clock.advance(hours=3)
    report = followup_report(session, config, alert_id, author="yuqing", now=clock.now())
    docx = tmp_path / "续报.docx"
    docx.write_bytes(render_report(config, report))
    pages = page_texts(to_pdf(docx, tmp_path))
    assert len(pages) >= 2  # heading, four sections, chart and table do not fit one page
    first = re.sub(r"\s+", "", pages[0])
    assert "舆情专报" in first and "2026年第2期（续报1）" in first and "报送单位：某市卫健委新闻办" in first
    assert re.sub(r"\s+", "", report.title) in first  # the title, as laid out
    for n, text in enumerate(pages, start=1):
        assert CJK.search(text), f"page {n} shows no Chinese text: {text[:200]!r}"
        assert f"—{n}—" in re.sub(r"\s+", "", text), f"page {n} has no page number"
