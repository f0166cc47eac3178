"""Reports in the review app: 下载初报 and 生成续报 from the alert page, editing, the two-person rule,
the Word file before (草稿 watermark) and after approval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipeline.models import AuditEntry, Report
from tests.reports_support import read_docx
from tests.review.builders import NOW, add_alert, add_event, add_item


@pytest.fixture
def alert_id(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        event = add_event(s, title="网传二孩罚款<script>x</script>", category="rumour")
        add_item(s, title="网传二孩罚款十万", text="网传新规二孩罚款十万", event=event, category="rumour")
        return add_alert(s, event, category="rumour", due_at=NOW + timedelta(minutes=50)).id


def _report(db, followup_no=0):  # type: ignore[no-untyped-def]
    with db() as s:
        return s.scalars(select(Report).where(Report.followup_no == followup_no)).one()


def test_initial_report_from_the_alert_page_reviewed_then_approved(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    writer, w_token = client_for("ana")
    page = writer.get(f"/alerts/{alert_id}").text
    assert "下载初报" in page and "生成续报" not in page  # no 续报 before an 初报
    first = writer.post(f"/alerts/{alert_id}/reports/initial", data={"csrf_token": w_token})
    assert first.status_code == 200 and first.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert "filename*=UTF-8''%E8%88%86" in first.headers["content-disposition"]  # 舆情专报-…-初报.docx
    draft = read_docx(first.content)
    assert "2026年第1期（初报）" in draft.text and "草稿" in draft.header_xml
    assert "网传二孩罚款<script>x</script>" in draft.text  # crawled text stays text
    report = _report(db)
    assert report.author == "ana" and writer.post(f"/alerts/{alert_id}/reports/initial",
                                                  data={"csrf_token": w_token}).status_code == 200
    page = writer.get(f"/reports/{report.id}").text
    assert "&lt;script&gt;" in page and "<script>x</script>" not in page
    edited = {f"text_{s['key']}": s["text"].replace("【待核实", "【已核实") for s in report.sections}
    assert writer.post(f"/reports/{report.id}/edit", data={**edited, "version": "1", "csrf_token": w_token}
                       ).status_code == 200
    writer.post(f"/reports/{report.id}/submit", data={"version": "2", "csrf_token": w_token})
    assert writer.post(f"/reports/{report.id}/review", data={"version": "2", "csrf_token": w_token}).status_code == 409
    reviewer, r_token = client_for("ana2")
    assert reviewer.post(f"/reports/{report.id}/review", data={"version": "2", "csrf_token": r_token}
                         ).status_code == 200
    assert reviewer.post(f"/reports/{report.id}/approve", data={"version": "2", "csrf_token": r_token}
                         ).status_code == 403  # analysts do not approve
    approver, p_token = client_for("appr")
    assert approver.post(f"/reports/{report.id}/approve", data={"version": "2", "csrf_token": p_token}
                         ).status_code == 200
    final = read_docx(approver.get(f"/reports/{report.id}/download").content)
    assert "审核：ana2　签发：appr" in final.text and "第2版" in final.text and "草稿" not in final.header_xml
    with db() as s:
        exports = s.scalars(select(AuditEntry.user).where(AuditEntry.action == "export")).all()
    assert exports == ["ana", "ana", "appr"]


def test_followup_from_the_alert_page(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    writer, token = client_for("mon")
    writer.post(f"/alerts/{alert_id}/reports/initial", data={"csrf_token": token})
    assert "生成续报" in writer.get(f"/alerts/{alert_id}").text
    page = writer.post(f"/alerts/{alert_id}/reports/followup", data={"csrf_token": token})
    assert page.status_code == 200 and "续报1" in page.text
    doc = read_docx(writer.get(f"/reports/{_report(db, 1).id}/download").content)
    assert "2026年第2期（续报1）" in doc.text and "自上次报告" in doc.text
    reader, _ = client_for("ana")
    assert reader.post(f"/alerts/{alert_id}/reports/followup", data={}).status_code == 403  # no CSRF token
